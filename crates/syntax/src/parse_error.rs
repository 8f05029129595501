//! Turns pest errors into diagnostics that say in words what was expected.
//!
//! Rule names never reach the user: [`describe`] gives each rule the words
//! a spec author knows ("a name", "a type"), and literal tokens recorded by
//! pest's parse attempts are shown quoted (`` `{` ``).

use crate::parser::Rule;
use cutover_diagnostics::{codes, Diagnostic, Span};
use pest::error::{Error, ErrorVariant, InputLocation};
use std::collections::BTreeSet;

/// How many alternatives an error lists before "…".
const MAX_LISTED: usize = 8;

pub(crate) fn to_diagnostic(e: &Error<Rule>, source: &str) -> Diagnostic {
    let at = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let found = found_at(source, at);
    let end = (at + found.len().max(1)).min(source.len()).max(at);
    let span = Span::new(at as u32, end as u32);

    let mut expected: BTreeSet<String> = BTreeSet::new();
    if let ErrorVariant::ParsingError { positives, .. } = &e.variant {
        expected.extend(
            positives
                .iter()
                .filter_map(|r| describe(*r))
                .map(str::to_owned),
        );
    }
    let phrases: Vec<String> = expected.iter().cloned().collect();
    if let Some(attempts) = e.parse_attempts() {
        // `ParsingToken` is not exported by name; its Display is the token
        // itself for literals, `a..z` for ranges and BUILTIN_RULE otherwise.
        for t in attempts.expected_tokens() {
            let token = t.to_string();
            let is_literal = !token.trim().is_empty()
                && token != "#"
                && token != "\u{feff}"
                && token != "BUILTIN_RULE"
                && !(token.len() > 2 && token.contains(".."));
            let quoted = format!("`{token}`");
            // Skip tokens a described rule already names ("a comparison (`==`, …)").
            if is_literal && !phrases.iter().any(|p| p.contains(&quoted)) {
                expected.insert(quoted);
            }
        }
    }
    if let ErrorVariant::CustomError { message } = &e.variant {
        // A limit inside pest (its call limit, if one is ever set).
        return Diagnostic::new(codes::TOO_DEEP, format!("the parser gave up: {message}"))
            .primary(span, "here")
            .help("simplify the spec around this point: fewer nested brackets or operators");
    }

    if found == "\"" {
        return Diagnostic::new(codes::SYNTAX, "this string is never closed")
            .primary(span, "string starts here")
            .help("add the closing `\"`; a quote inside a string is written `\\\"`");
    }
    if found == "=" && expected.contains("`==`") {
        return Diagnostic::new(codes::SYNTAX, "`=` is not a comparison")
            .primary(span, "write `==` here")
            .help("comparison is written `==`; `=` assigns a target column");
    }
    let what = if found.is_empty() {
        "end of file".to_owned()
    } else {
        format!("`{found}`")
    };
    let message = if expected.is_empty() {
        format!("unexpected {what}")
    } else {
        format!("expected {}, found {what}", list(&expected))
    };
    let label = if found.is_empty() {
        "the spec ends here".to_owned()
    } else {
        format!("unexpected {what}")
    };
    let mut d = Diagnostic::new(codes::SYNTAX, message).primary(span, label);
    d = d.help(hint(&expected, &found));
    d
}

/// The token at `at`: a word, a number or one character; empty at the end.
fn found_at(source: &str, at: usize) -> String {
    let rest = source.get(at..).unwrap_or("");
    let mut chars = rest.chars();
    match chars.next() {
        None => String::new(),
        Some(c) if c.is_alphanumeric() || c == '_' => rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .take(40)
            .collect(),
        Some(c) => c.to_string(),
    }
}

fn list(items: &BTreeSet<String>) -> String {
    let mut v: Vec<&str> = items.iter().map(String::as_str).collect();
    // Words before punctuation reads better: "a name or `}`".
    v.sort_by_key(|s| (s.starts_with('`'), *s));
    let more = v.len() > MAX_LISTED;
    v.truncate(MAX_LISTED);
    match v.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] if !more => format!("{} or {last}", init.join(", ")),
        all => format!("{}, …", all.join(", ")),
    }
}

fn hint(expected: &BTreeSet<String>, found: &str) -> String {
    const RESERVED: [&str; 19] = [
        "and", "as", "between", "case", "cast", "else", "end", "false", "if", "in", "is", "like",
        "not", "null", "or", "ref", "then", "true", "when",
    ];
    if RESERVED.contains(&found) {
        return format!("`{found}` is a reserved word; to use it as a name, write it in backticks: `` `{found}` ``");
    }
    if found == "=" && expected.contains("`==`") {
        return "comparison is written `==`; `=` assigns a target column".to_owned();
    }
    if found == "'" {
        return "strings use double quotes: \"text\"".to_owned();
    }
    if found.is_empty() {
        return "the spec ended early: look for an unclosed `{`, `(`, `[` or `\"` above".to_owned();
    }
    "see docs/language.md for the syntax of this construct".to_owned()
}

/// Words for a rule, or `None` for rules that only add noise.
fn describe(rule: Rule) -> Option<&'static str> {
    use Rule::*;
    Some(match rule {
        EOI => "end of file",
        migration_def | system_def | lookup_def | fn_def | map_def | example_def | gate_def | rollback_def
        | phase_def | drop_table => "a declaration (`migration`, `source`, `target`, `lookup`, `fn`, `map`, `example`, `gate`, `rollback`, `phase`, `drop table`)",
        attribute => "an attribute such as `owner \"team\"`",
        system_role => "`source` or `target`",
        table_def => "`table`",
        rows_estimate => "`rows ~ N`",
        table_primary_key | primary_key => "`primary key`",
        table_unique | unique => "`unique`",
        table_check | column_check => "`check (…)`",
        table_foreign_key => "`foreign key (…) references …`",
        column_def => "a column definition",
        not_null => "`not null`",
        null_ok | null_lit => "`null`",
        references => "`references table(column)`",
        default_value => "`default` and a constant",
        pii => "`pii`",
        type_expr | fn_type => "a type",
        type_params => "type parameters such as `(200)`",
        nullable_mark => "`?`",
        lookup_pair => "a lookup entry such as `\"A\" => \"Active\"`",
        lookup_else => "`else => …`",
        fn_param => "a parameter `name: type`",
        map_name => "a map name",
        map_from | table_ref => "a table `system.table`",
        join_clause => "`join`",
        join_kind => "`left`",
        alias => "an alias",
        where_clause => "`where`",
        group_by => "`group by`",
        batch_clause => "`batch N by column`",
        incremental_clause => "`incremental by column`",
        skew => "`skew` and a duration such as `30s`",
        deletes => "`deletes when …` or `deletes missing`",
        rule_def => "`rule`",
        key_assignment => "`key`",
        assignment => "an assignment `column = expression`",
        on_failure => "`else`",
        reject => "`reject \"reason\"`",
        allow_pii => "`allow pii \"reason\"`",
        drop_columns => "`drop … because \"…\"`",
        dropped_column => "a column `name` or `alias.name`",
        map_ref => "a map (`system.table -> system.table` or its name)",
        given => "`given`",
        given_table => "a table or alias",
        expect | expect_reject => "`expect`",
        rows => "a row `{ column: value }` or a list `[ … ]`",
        row => "a row `{ column: value }`",
        row_field => "a field `column: value`",
        gate_timing => "`before load` or `after load`",
        gate_check => "a check (`count`, `unique`, `not_null`, `fk`, `checksum`, `sample`, `reconcile`, `assert`)",
        unique_check => "`unique`",
        not_null_check => "`not_null`",
        fk_check => "`fk`",
        fk_resolves => "`resolves`",
        checksum_check => "`checksum`",
        sample_check => "`sample`",
        reconcile_check => "`reconcile`",
        assert_check => "`assert`",
        row_assert => "`system.table: condition`",
        count_where => "`count system.table where condition == N`",
        count_check | metric_compare | metric_sum | metric | count_metric => "a count such as `count system.table`",
        rejected_metric => "`rejected system.table`",
        metric_sign => "`+` or `-`",
        compare_op => "a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`)",
        severity => "`warn` or `error`",
        tolerance => "`tolerance`",
        column_path => "a column `system.table.column`",
        column_set => "columns `system.table.column` or `system.table(a, b)`",
        trigger => "`when`",
        gate_fails => "`gate NAME fails`",
        metric_trigger => "a threshold such as `rejected system.table > 0.5%`",
        strategy => "`strategy`",
        phase_after => "`after`",
        phase_owner => "`owner`",
        phase_steps => "`{ steps }`",
        load_step => "`load`",
        gate_step => "`gate NAME`",
        rollback_step => "`rollback`",
        manual_step => "a manual step \"…\"",
        expr | primary | case_expr | if_expr | cast_expr | ref_expr | named | path | bound
        | case_subject => "an expression",
        case_when => "`when`",
        call_args => "`(` and arguments",
        lookup_key => "`[key]`",
        path_tail => "`.` and a name",
        case_else => "`else`",
        op_or => "`or`",
        op_and => "`and`",
        op_eq => "`==`",
        op_ne => "`!=`",
        op_le => "`<=`",
        op_ge => "`>=`",
        op_lt => "`<`",
        op_gt => "`>`",
        op_like => "`like`",
        op_concat => "`++`",
        op_add => "`+`",
        op_sub | op_neg => "`-`",
        op_mul => "`*`",
        op_div => "`/`",
        op_rem => "`%`",
        op_not | negated => "`not`",
        op_is_null => "`is null`",
        op_between => "`between`",
        op_in => "`in (…)`",
        boolean => "`true` or `false`",
        ident_list => "a list of names",
        bare_ident | quoted_ident | quoted_ident_text | keyword => "a name",
        rule_id => "a rule id such as `TRN-001`",
        string | string_text => "a string",
        escape => "an escape",
        number | signed_number | integer => "a number",
        duration => "a duration such as `3d` or `4h`",
        percent => "a percentage such as `0.5%`",
        rate => "a rate such as `20_000/s`",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_non_keyword_rule_has_words() {
        // Keyword rules are reported through the literal tokens instead.
        let grammar = include_str!("../../../grammar/cutover.pest");
        let rule_names: Vec<&str> = grammar
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(n, _)| n.trim()))
            .filter(|n| {
                !n.is_empty()
                    && !n.starts_with("//")
                    && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
            .collect();
        assert!(
            rule_names.len() > 100,
            "found only {} rules",
            rule_names.len()
        );
        for name in rule_names {
            if name.starts_with("kw_")
                || matches!(
                    name,
                    "WHITESPACE"
                        | "COMMENT"
                        | "file"
                        | "item"
                        | "attr_value"
                        | "column_constraint"
                        | "table_item"
                        | "lookup_entry"
                        | "map_item"
                        | "rule_item"
                        | "example_item"
                        | "check_kind"
                        | "check_option"
                        | "rollback_item"
                        | "step"
                        | "operand"
                        | "infix_op"
                        | "prefix_op"
                        | "postfix_op"
                        | "literal"
                        | "value"
                        | "ident"
                        | "ident_char"
                        | "digits"
                        | "inline_space"
                )
            {
                continue;
            }
            let rule = all_rules().into_iter().find(|r| format!("{r:?}") == name);
            let rule = rule.unwrap_or_else(|| panic!("rule {name} not generated"));
            assert!(
                describe(rule).is_some(),
                "rule `{name}` has no words in describe()"
            );
        }
    }

    /// Visible rules only: silent rules are not in the enum.
    fn all_rules() -> Vec<Rule> {
        Rule::all_rules().to_vec()
    }
}
