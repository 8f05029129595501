//! `mapping.csv`: the field mapping for spreadsheets, RFC 4180 (CRLF line
//! ends, fields with a comma, quote or line break quoted, quotes doubled).

use crate::view::MappingRow;

pub const HEADER: [&str; 12] = [
    "Source Table",
    "Source Field",
    "Source Type",
    "Source Nullable",
    "Target Table",
    "Target Field",
    "Target Type",
    "Target Nullable",
    "Rule ID",
    "Transformation",
    "Expression",
    "Notes",
];

fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

pub fn mapping_csv(rows: &[MappingRow]) -> String {
    let mut out = String::new();
    let line =
        |fields: Vec<&str>| fields.into_iter().map(field).collect::<Vec<_>>().join(",") + "\r\n";
    out.push_str(&line(HEADER.to_vec()));
    for r in rows {
        out.push_str(&line(vec![
            &r.source_table,
            &r.source_field,
            &r.source_type,
            &r.source_nullable,
            &r.target_table,
            &r.target_field,
            &r.target_type,
            &r.target_nullable,
            &r.rule,
            &r.words,
            &r.expression,
            &r.notes,
        ]));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(super::field("plain"), "plain");
        assert_eq!(super::field("a, b"), "\"a, b\"");
        assert_eq!(super::field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(super::field("two\nlines"), "\"two\nlines\"");
    }
}
