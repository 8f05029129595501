//! Small readers of the SQL text catalogs hand back: type names, argument
//! lists, check bodies, view statements; and identifier quoting for the
//! few queries that must name a table.

use cutover_import::{ColumnType, Default};

/// A type as a catalog spells it, `character varying(255)`,
/// `numeric(12,2)`, `timestamp(3) with time zone`, `VARCHAR(20)`,
/// `integer[]`, in its canonical spelling. The parenthesised numbers are
/// the parameters wherever they stand; text whose parentheses hold anything
/// else is kept whole as the name.
pub fn column_type(text: &str) -> ColumnType {
    let text = text.trim();
    if let Some(element) = text.strip_suffix("[]") {
        let element = column_type(element);
        return ColumnType {
            name: format!("{}[]", element.name),
            params: element.params,
        };
    }
    let parsed = text.find('(').and_then(|open| {
        let close = open + text[open..].find(')')?;
        let params = text[open + 1..close]
            .split(',')
            .map(|p| p.trim().parse::<u32>().ok())
            .collect::<Option<Vec<u32>>>()?;
        let name = format!("{} {}", text[..open].trim(), text[close + 1..].trim());
        Some((name, params))
    });
    match parsed {
        Some((name, params)) => ColumnType::canonical(&name, params),
        None => ColumnType::canonical(text, Vec::new()),
    }
}

/// A default read by [`Default::from_sql`], with a quoted number on a
/// numeric column (`'-1'::integer`, as PostgreSQL writes negative
/// constants) read as the number it is.
pub fn column_default(ty: &ColumnType, sql: &str) -> Default {
    match Default::from_sql(sql) {
        Default::Text(text) if is_numeric(ty) && is_number(&text) => Default::Number(text),
        other => other,
    }
}

fn is_numeric(ty: &ColumnType) -> bool {
    matches!(
        ty.name.as_str(),
        "smallint" | "integer" | "bigint" | "decimal" | "real" | "double precision"
    )
}

/// `-12.50`: an optional minus, digits and at most one point.
fn is_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    digits.chars().any(|c| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1
}

/// `text` split at the commas outside parentheses and quotes, each part
/// trimmed; nothing for blank text.
pub fn split_top_level(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0);
    for (at, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[') => depth += 1,
            (None, ')' | ']') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(text[start..at].trim().to_owned());
                start = at + 1;
            }
            _ => {}
        }
    }
    let last = text[start..].trim();
    if !last.is_empty() || !parts.is_empty() {
        parts.push(last.to_owned());
    }
    parts
}

/// `(body)` → `body` when the two parentheses enclose the whole text;
/// otherwise the text unchanged. One pair only.
pub fn strip_outer_parens(text: &str) -> &str {
    let text = text.trim();
    let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) else {
        return text;
    };
    // The first `(` must close at the last `)`: `(a) AND (b)` keeps both.
    let mut depth = 0i32;
    let mut quote = None::<char>;
    for c in inner.chars() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth < 0 {
                    return text;
                }
            }
            _ => {}
        }
    }
    if depth == 0 && quote.is_none() {
        inner.trim()
    } else {
        text
    }
}

/// The query of a `CREATE VIEW name [(columns)] AS query` statement: the
/// text after the first `AS` outside quotes and parentheses, trimmed, with
/// a trailing `;` removed.
pub fn view_query(sql: &str) -> Option<&str> {
    let bytes = sql.as_bytes();
    let (mut at, mut depth) = (0, 0i32);
    while at < bytes.len() {
        match bytes[at] {
            q @ (b'\'' | b'"' | b'`') => {
                at += 1;
                while at < bytes.len() && bytes[at] != q {
                    at += 1;
                }
            }
            b'[' => {
                while at < bytes.len() && bytes[at] != b']' {
                    at += 1;
                }
            }
            b'(' => depth += 1,
            b')' => depth -= 1,
            b if depth == 0 && (b.is_ascii_alphanumeric() || b == b'_') => {
                let start = at;
                while at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_') {
                    at += 1;
                }
                if sql[start..at].eq_ignore_ascii_case("as") {
                    let query = sql[at..].trim();
                    return Some(query.strip_suffix(';').unwrap_or(query).trim_end());
                }
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    None
}

/// `name` as an SQL identifier: in double quotes, inner quotes doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_split_into_name_and_parameters() {
        let t = |s: &str| column_type(s).to_string();
        assert_eq!(t("character varying(255)"), "varchar(255)");
        assert_eq!(t("numeric(12,2)"), "decimal(12, 2)");
        assert_eq!(t("DECIMAL(12, 2)"), "decimal(12, 2)");
        assert_eq!(t("timestamp without time zone"), "timestamp");
        assert_eq!(t("timestamp(3) with time zone"), "timestamptz");
        assert_eq!(t("INTEGER"), "integer");
        assert_eq!(
            column_type("character varying(20)[]"),
            ColumnType {
                name: "varchar[]".into(),
                params: vec![20]
            }
        );
        assert_eq!(t("interval day to second(x)"), "interval day to second(x)");
        assert_eq!(t(""), "");
    }

    #[test]
    fn quoted_numbers_on_numeric_columns_are_numbers() {
        let int = ColumnType::canonical("integer", vec![]);
        let text = ColumnType::canonical("text", vec![]);
        assert_eq!(
            column_default(&int, "'-1'::integer"),
            Default::Number("-1".into())
        );
        assert_eq!(
            column_default(&text, "'-1'::text"),
            Default::Text("-1".into())
        );
        assert_eq!(
            column_default(&int, "'x'::integer"),
            Default::Text("x".into())
        );
    }

    #[test]
    fn lists_split_at_top_level_commas() {
        assert_eq!(
            split_top_level("IN a integer, b numeric(12,2) DEFAULT ','::text"),
            ["IN a integer", "b numeric(12,2) DEFAULT ','::text"]
        );
        assert!(split_top_level("  ").is_empty());
    }

    #[test]
    fn one_pair_of_outer_parentheses_is_removed() {
        assert_eq!(strip_outer_parens("((a > 0))"), "(a > 0)");
        assert_eq!(strip_outer_parens("(a) AND (b)"), "(a) AND (b)");
        assert_eq!(strip_outer_parens("(x <> ')')"), "x <> ')'");
    }

    #[test]
    fn view_queries_follow_the_first_top_level_as() {
        assert_eq!(
            view_query("CREATE VIEW \"as\" (a, \"as\") AS SELECT 1 AS a;"),
            Some("SELECT 1 AS a")
        );
        assert_eq!(
            view_query("create view [v as] as\n  select x from t"),
            Some("select x from t")
        );
        assert_eq!(view_query("CREATE VIEW v"), None);
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
