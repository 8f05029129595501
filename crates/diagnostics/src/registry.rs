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
