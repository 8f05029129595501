//! The table of every diagnostic code: one line each for `cutover check`,
//! and a long explanation for `cutover explain` and docs/diagnostics.md.
//!
//! Codes are stable: a code is never renumbered or reused. E00xx are input
//! and syntax, E01xx names, E02xx expression types; W-codes are warnings.

use crate::{Code, Severity};

/// One registered code.
#[derive(Debug)]
pub struct CodeInfo {
    pub code: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    pub explanation: &'static str,
}

/// The constants stages use to build diagnostics.
pub mod codes {
    use crate::Code;
    pub const INVALID_UTF8: Code = Code("E0001");
    pub const SYNTAX: Code = Code("E0002");
    pub const INVALID_ESCAPE: Code = Code("E0003");
    pub const TOO_DEEP: Code = Code("E0004");
    pub const NUMBER_RANGE: Code = Code("E0005");
    pub const TOO_LARGE: Code = Code("E0006");

    pub const UNKNOWN_SYSTEM: Code = Code("E0101");
    pub const UNKNOWN_TABLE: Code = Code("E0102");
    pub const UNKNOWN_COLUMN: Code = Code("E0103");
    pub const UNKNOWN_LOOKUP: Code = Code("E0104");
    pub const UNKNOWN_FUNCTION: Code = Code("E0105");
    pub const UNKNOWN_MAP: Code = Code("E0106");
    pub const UNKNOWN_GATE: Code = Code("E0107");
    pub const UNKNOWN_PHASE: Code = Code("E0108");
    pub const UNKNOWN_TYPE: Code = Code("E0109");
    pub const DUPLICATE: Code = Code("E0110");
    pub const UNKNOWN_DIALECT: Code = Code("E0111");
    pub const INVALID_ATTRIBUTE: Code = Code("E0112");
    pub const UNKNOWN_ROLLBACK_STRATEGY: Code = Code("E0113");
    pub const AMBIGUOUS_COLUMN: Code = Code("E0114");
    pub const WRONG_ROLE: Code = Code("E0115");
    pub const INVALID_TYPE_PARAMS: Code = Code("E0116");
    pub const NO_MIGRATION: Code = Code("E0117");
    pub const RECURSIVE_FN: Code = Code("E0118");
    pub const NOT_A_VALUE: Code = Code("E0119");

    pub const ARITY: Code = Code("E0201");
    pub const ARGUMENT_TYPE: Code = Code("E0202");
    pub const OPERATOR_TYPE: Code = Code("E0203");
    pub const CONDITION_TYPE: Code = Code("E0204");
    pub const INVALID_CAST: Code = Code("E0205");
    pub const MIXED_TYPES: Code = Code("E0206");

    pub const ASSIGN_MISMATCH: Code = Code("E0301");
    pub const NARROWING: Code = Code("E0302");
    pub const NULL_INTO_NOT_NULL: Code = Code("E0303");
    pub const FALLIBLE: Code = Code("E0304");
    pub const BAD_CONSTANT: Code = Code("E0305");
    pub const UNASSIGNED_TARGET: Code = Code("E0310");
    pub const SOURCE_COLUMN_LOST: Code = Code("E0311");
    pub const ASSIGNED_TWICE: Code = Code("E0312");
    pub const UNMAPPED_TABLE: Code = Code("E0313");
    pub const DROPPED_BUT_USED: Code = Code("E0314");
    pub const AGGREGATE_WITHOUT_GROUP: Code = Code("E0315");
    pub const UNGROUPED_COLUMN: Code = Code("E0316");
    pub const KEY_MISSING: Code = Code("E0320");
    pub const KEY_NOT_PRIMARY: Code = Code("E0321");
    pub const NAMESPACE_SHARED: Code = Code("E0322");
    pub const NAMESPACE_NOT_LITERAL: Code = Code("E0323");
    pub const BAD_REF: Code = Code("E0324");
    pub const LOAD_CYCLE: Code = Code("E0325");
    pub const NULL_LOOKUP_KEY: Code = Code("E0330");
    pub const PII_UNMASKED: Code = Code("E0340");
    pub const BATCH_KEY: Code = Code("E0341");
    pub const PHASED_GROUPED_MAP: Code = Code("E0342");
    pub const INCREMENTAL_COLUMN_TYPE: Code = Code("E0343");
    pub const SYNC_NEEDS_KEY: Code = Code("E0344");
    pub const SKEW_ON_VERSION: Code = Code("E0345");
    pub const ZERO_BATCH: Code = Code("E0346");
    pub const CHECKSUM_NONDETERMINISTIC: Code = Code("E0350");
    pub const SAMPLE_NEEDS_KEY: Code = Code("E0351");
    pub const THRESHOLD_RANGE: Code = Code("E0352");
    pub const FK_WITHOUT_REFERENCE: Code = Code("E0353");
    pub const CHECKSUM_UNMAPPED: Code = Code("E0354");
    pub const BEFORE_LOAD_TARGET: Code = Code("E0355");
    pub const RECONCILE_NEEDS_KEY: Code = Code("E0356");
    pub const NO_ROLLBACK_STRATEGY: Code = Code("E0360");
    pub const TRUNCATE_EXISTING_DATA: Code = Code("E0361");
    pub const PHASE_CYCLE: Code = Code("E0370");
    pub const ZERO_DURATION: Code = Code("E0371");
    pub const NOT_PORTABLE: Code = Code("E0380");
    pub const NOT_COMPILABLE: Code = Code("E0381");
    pub const EXAMPLE_VALUE: Code = Code("E0401");
    pub const EXAMPLE_MISSING_VALUE: Code = Code("E0402");
    pub const LOOKUP_KEY_NEVER_MATCHES: Code = Code("W0331");
    pub const NO_ROLLBACK: Code = Code("W0362");
    pub const TRIGGER_BEFORE_LOAD: Code = Code("W0363");
    pub const LOAD_OUTSIDE_PHASES: Code = Code("W0372");
    pub const UNUSED_LOOKUP: Code = Code("W0390");
    pub const UNUSED_FN: Code = Code("W0391");
    pub const NO_ROW_ESTIMATE: Code = Code("W0392");
    pub const CONSTANT_KEY: Code = Code("W0393");
    pub const RULE_WITHOUT_EXAMPLE: Code = Code("W0394");
    pub const EXAMPLE_WITHOUT_EXPECT: Code = Code("W0395");
}

macro_rules! registry {
    ($($code:literal $sev:ident $summary:literal => $file:literal,)*) => {
        /// Every code, in order.
        pub static REGISTRY: &[CodeInfo] = &[
            $(CodeInfo {
                code: $code,
                severity: Severity::$sev,
                summary: $summary,
                explanation: include_str!(concat!("../explain/", $file)),
            },)*
        ];
    };
}

registry! {
    "E0001" Error "the spec is not valid UTF-8" => "E0001.md",
    "E0002" Error "syntax error" => "E0002.md",
    "E0003" Error "invalid escape in a string" => "E0003.md",
    "E0004" Error "the spec nests too deeply" => "E0004.md",
    "E0005" Error "number out of range" => "E0005.md",
    "E0006" Error "the spec is too large" => "E0006.md",
    "E0101" Error "unknown system" => "E0101.md",
    "E0102" Error "unknown table" => "E0102.md",
    "E0103" Error "unknown column" => "E0103.md",
    "E0104" Error "unknown lookup" => "E0104.md",
    "E0105" Error "unknown function" => "E0105.md",
    "E0106" Error "unknown map" => "E0106.md",
    "E0107" Error "unknown gate" => "E0107.md",
    "E0108" Error "unknown phase" => "E0108.md",
    "E0109" Error "unknown type" => "E0109.md",
    "E0110" Error "defined more than once" => "E0110.md",
    "E0111" Error "unknown dialect" => "E0111.md",
    "E0112" Error "invalid migration attribute" => "E0112.md",
    "E0113" Error "unknown rollback strategy" => "E0113.md",
    "E0114" Error "ambiguous column" => "E0114.md",
    "E0115" Error "source and target the wrong way round" => "E0115.md",
    "E0116" Error "invalid type parameters" => "E0116.md",
    "E0117" Error "no migration header" => "E0117.md",
    "E0118" Error "recursive function" => "E0118.md",
    "E0119" Error "name used as a value" => "E0119.md",
    "E0201" Error "wrong number of arguments" => "E0201.md",
    "E0202" Error "argument of the wrong type" => "E0202.md",
    "E0203" Error "operator applied to the wrong types" => "E0203.md",
    "E0204" Error "condition is not a bool" => "E0204.md",
    "E0205" Error "cast between types that cannot convert" => "E0205.md",
    "E0206" Error "branches or list items of different types" => "E0206.md",
    "E0301" Error "a value the column's type cannot hold" => "E0301.md",
    "E0302" Error "narrowing needs an explicit conversion" => "E0302.md",
    "E0303" Error "a NULL can reach a not-null column" => "E0303.md",
    "E0304" Error "an expression that can fail has no `else`" => "E0304.md",
    "E0305" Error "a constant that does not convert" => "E0305.md",
    "E0310" Error "target column neither assigned nor defaulted" => "E0310.md",
    "E0311" Error "source column neither used nor dropped" => "E0311.md",
    "E0312" Error "column assigned twice" => "E0312.md",
    "E0313" Error "source table neither mapped nor dropped" => "E0313.md",
    "E0314" Error "dropped column is used" => "E0314.md",
    "E0315" Error "aggregate in a map without `group by`" => "E0315.md",
    "E0316" Error "column read outside an aggregate in a `group by` map" => "E0316.md",
    "E0320" Error "primary key not assigned with `key`" => "E0320.md",
    "E0321" Error "`key` on a column outside the primary key" => "E0321.md",
    "E0322" Error "uuid_v5 namespace shared by two target tables" => "E0322.md",
    "E0323" Error "uuid_v5 namespace is not a literal" => "E0323.md",
    "E0324" Error "`ref` does not match the key of its table" => "E0324.md",
    "E0325" Error "target foreign keys form a cycle" => "E0325.md",
    "E0330" Error "`null` key in a lookup" => "E0330.md",
    "E0340" Error "personal data flows into a target unmasked" => "E0340.md",
    "E0341" Error "`batch by` a column that is not a unique, non-null key of the source" => "E0341.md",
    "E0342" Error "`batch` or `incremental` on a grouped map" => "E0342.md",
    "E0343" Error "`incremental by` a column that does not grow with changes" => "E0343.md",
    "E0344" Error "`incremental` on a map without a key" => "E0344.md",
    "E0345" Error "`skew` on a version column" => "E0345.md",
    "E0346" Error "`batch 0`" => "E0346.md",
    "E0350" Error "checksum over a non-deterministic column" => "E0350.md",
    "E0351" Error "`sample … recompute` on a map without a key" => "E0351.md",
    "E0352" Error "threshold out of range" => "E0352.md",
    "E0353" Error "`fk … resolves` on a column without `references`" => "E0353.md",
    "E0354" Error "checksum over tables or columns no map connects" => "E0354.md",
    "E0355" Error "a `before load` gate reads a target table" => "E0355.md",
    "E0356" Error "`reconcile` on a map without a key" => "E0356.md",
    "E0360" Error "rollback without a strategy" => "E0360.md",
    "E0361" Error "`truncate` on a target that already holds data" => "E0361.md",
    "E0370" Error "phases wait for each other" => "E0370.md",
    "E0371" Error "phase with no duration" => "E0371.md",
    "E0380" Error "result differs between dialects" => "E0380.md",
    "E0381" Error "construct the SQL backend cannot compile for a dialect" => "E0381.md",
    "E0401" Error "example value that does not fit its column" => "E0401.md",
    "E0402" Error "example row leaves a not-null source column empty" => "E0402.md",
    "W0331" Warning "lookup key can never match" => "W0331.md",
    "W0362" Warning "loads without a `rollback` section" => "W0362.md",
    "W0363" Warning "rollback trigger on a `before load` gate" => "W0363.md",
    "W0372" Warning "map not loaded in any phase" => "W0372.md",
    "W0390" Warning "unused lookup" => "W0390.md",
    "W0391" Warning "unused `fn`" => "W0391.md",
    "W0392" Warning "table without a `rows ~` estimate" => "W0392.md",
    "W0393" Warning "constant key" => "W0393.md",
    "W0394" Warning "rule without an example" => "W0394.md",
    "W0395" Warning "example without `expect`" => "W0395.md",
}

/// Stands in for a code missing from the table; a test keeps it unused.
pub(crate) static UNREGISTERED: CodeInfo = CodeInfo {
    code: "E9999",
    severity: Severity::Error,
    summary: "unregistered diagnostic",
    explanation: "This diagnostic code is not in the registry. Please report it.",
};

/// docs/diagnostics.md: every code with its summary and explanation, in
/// registry order. A test keeps the committed file equal to this.
pub fn markdown_catalogue() -> String {
    let mut out = String::from(
        "# Diagnostics\n\n\
         Every diagnostic Cutover reports has a stable code. `cutover explain CODE` prints the\n\
         explanation below; `cutover explain --list` prints the table. E00xx are input and syntax,\n\
         E01xx names, E02xx expression types; W-codes are warnings.\n\n\
         This file is generated from `crates/diagnostics/src/registry.rs` and\n\
         `crates/diagnostics/explain/`; run `UPDATE_DOCS=1 cargo test -p cutover-diagnostics` after\n\
         changing either.\n\n\
         | code | severity | summary |\n|---|---|---|\n",
    );
    for info in REGISTRY {
        let sev = match info.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!(
            "| [{0}](#{1}) | {sev} | {2} |\n",
            info.code,
            anchor(info),
            info.summary
        ));
    }
    for info in REGISTRY {
        // Explanations start with a level-1 heading; nest them under the page.
        out.push('\n');
        for line in info.explanation.lines() {
            if line.starts_with('#') {
                out.push('#');
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The GitHub anchor of a code's heading `## E0101: unknown system`.
fn anchor(info: &CodeInfo) -> String {
    let heading = format!("{}: {}", info.code, info.summary);
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '_' => Some(c),
            ' ' => Some('-'),
            _ => None,
        })
        .collect()
}

/// The registry entry for a code, case-insensitive (`e0101` works).
pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    REGISTRY.iter().find(|c| c.code.eq_ignore_ascii_case(code))
}

impl Code {
    /// Every registered code.
    pub fn all() -> impl Iterator<Item = Code> {
        REGISTRY.iter().map(|c| Code(c.code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_explained() {
        let mut prev = "";
        for info in REGISTRY {
            assert!(info.code > prev, "{} out of order or duplicated", info.code);
            prev = info.code;
            let prefix_matches = match info.severity {
                Severity::Error => info.code.starts_with('E'),
                Severity::Warning => info.code.starts_with('W'),
            };
            assert!(prefix_matches, "{}: prefix must match severity", info.code);
            assert!(
                info.explanation.starts_with(&format!("# {}", info.code)),
                "{}: explanation must start with its heading",
                info.code
            );
            assert!(
                info.explanation.contains("```cutover"),
                "{}: explanation needs an example",
                info.code
            );
        }
    }

    #[test]
    fn docs_catalogue_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/diagnostics.md");
        let generated = markdown_catalogue();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(path, &generated).expect("write docs/diagnostics.md");
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/diagnostics.md is stale: run `UPDATE_DOCS=1 cargo test -p cutover-diagnostics`"
        );
    }

    #[test]
    fn every_constant_is_registered() {
        let constants = [
            codes::INVALID_UTF8,
            codes::SYNTAX,
            codes::INVALID_ESCAPE,
            codes::TOO_DEEP,
            codes::NUMBER_RANGE,
            codes::TOO_LARGE,
            codes::UNKNOWN_SYSTEM,
            codes::UNKNOWN_TABLE,
            codes::UNKNOWN_COLUMN,
            codes::UNKNOWN_LOOKUP,
            codes::UNKNOWN_FUNCTION,
            codes::UNKNOWN_MAP,
            codes::UNKNOWN_GATE,
            codes::UNKNOWN_PHASE,
            codes::UNKNOWN_TYPE,
            codes::DUPLICATE,
            codes::UNKNOWN_DIALECT,
            codes::INVALID_ATTRIBUTE,
            codes::UNKNOWN_ROLLBACK_STRATEGY,
            codes::AMBIGUOUS_COLUMN,
            codes::WRONG_ROLE,
            codes::INVALID_TYPE_PARAMS,
            codes::NO_MIGRATION,
            codes::RECURSIVE_FN,
            codes::NOT_A_VALUE,
            codes::ARITY,
            codes::ARGUMENT_TYPE,
            codes::OPERATOR_TYPE,
            codes::CONDITION_TYPE,
            codes::INVALID_CAST,
            codes::MIXED_TYPES,
            codes::ASSIGN_MISMATCH,
            codes::NARROWING,
            codes::NULL_INTO_NOT_NULL,
            codes::FALLIBLE,
            codes::BAD_CONSTANT,
            codes::UNASSIGNED_TARGET,
            codes::SOURCE_COLUMN_LOST,
            codes::ASSIGNED_TWICE,
            codes::UNMAPPED_TABLE,
            codes::DROPPED_BUT_USED,
            codes::AGGREGATE_WITHOUT_GROUP,
            codes::UNGROUPED_COLUMN,
            codes::KEY_MISSING,
            codes::KEY_NOT_PRIMARY,
            codes::NAMESPACE_SHARED,
            codes::NAMESPACE_NOT_LITERAL,
            codes::BAD_REF,
            codes::LOAD_CYCLE,
            codes::NULL_LOOKUP_KEY,
            codes::PII_UNMASKED,
            codes::CHECKSUM_NONDETERMINISTIC,
            codes::SAMPLE_NEEDS_KEY,
            codes::THRESHOLD_RANGE,
            codes::FK_WITHOUT_REFERENCE,
            codes::CHECKSUM_UNMAPPED,
            codes::BEFORE_LOAD_TARGET,
            codes::RECONCILE_NEEDS_KEY,
            codes::BATCH_KEY,
            codes::PHASED_GROUPED_MAP,
            codes::INCREMENTAL_COLUMN_TYPE,
            codes::SYNC_NEEDS_KEY,
            codes::SKEW_ON_VERSION,
            codes::ZERO_BATCH,
            codes::NO_ROLLBACK_STRATEGY,
            codes::TRUNCATE_EXISTING_DATA,
            codes::PHASE_CYCLE,
            codes::ZERO_DURATION,
            codes::NOT_PORTABLE,
            codes::NOT_COMPILABLE,
            codes::EXAMPLE_VALUE,
            codes::EXAMPLE_MISSING_VALUE,
            codes::LOOKUP_KEY_NEVER_MATCHES,
            codes::NO_ROLLBACK,
            codes::TRIGGER_BEFORE_LOAD,
            codes::LOAD_OUTSIDE_PHASES,
            codes::UNUSED_LOOKUP,
            codes::UNUSED_FN,
            codes::NO_ROW_ESTIMATE,
            codes::CONSTANT_KEY,
            codes::RULE_WITHOUT_EXAMPLE,
            codes::EXAMPLE_WITHOUT_EXPECT,
        ];
        assert_eq!(
            constants.len(),
            REGISTRY.len(),
            "a registered code has no constant"
        );
        for c in constants {
            assert!(lookup(c.0).is_some(), "{c} has no registry entry");
        }
    }
}
