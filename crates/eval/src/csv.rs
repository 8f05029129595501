//! Sample data as CSV (RFC 4180), read into typed rows.
//!
//! The convention of the shipped examples: an empty unquoted field is
//! NULL, a quoted `""` is the empty string. Every field converts to its
//! column's type with the cast rules, so a value the migration could never
//! meet is an error here, with its line and column.

use crate::map::Rows;
use crate::value::Value;
use cutover_ir::{Ir, TableId};

/// A CSV file: the header and the records, `None` for NULL fields.
#[derive(Clone, Debug, PartialEq)]
pub struct Csv {
    pub header: Vec<String>,
    /// Each record with the line it starts on.
    pub records: Vec<(usize, Vec<Option<String>>)>,
}

/// Parses CSV text. Quoted fields may hold commas, quotes (doubled) and
/// line breaks; `\r\n` and `\n` both end records.
pub fn parse(text: &str) -> Result<Csv, String> {
    let mut records: Vec<(usize, Vec<Option<String>>)> = Vec::new();
    let mut record: Vec<Option<String>> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut in_quotes = false;
    let mut line = 1usize;
    let mut start_line = 1usize;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                c => {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !quoted => {
                in_quotes = true;
                quoted = true;
            }
            '"' => return Err(format!("line {line}: a quote inside an unquoted field")),
            ',' => {
                record.push(finish(&mut field, &mut quoted));
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(finish(&mut field, &mut quoted));
                records.push((start_line, std::mem::take(&mut record)));
                line += 1;
                start_line = line;
                any = false;
            }
            c if quoted => {
                return Err(format!("line {line}: `{c}` after a closing quote"));
            }
            c => field.push(c),
        }
    }
    if in_quotes {
        return Err(format!("line {start_line}: a quoted field is never closed"));
    }
    if any {
        record.push(finish(&mut field, &mut quoted));
        records.push((start_line, record));
    }
    let Some((_, header)) = (!records.is_empty()).then(|| records.remove(0)) else {
        return Err("the file is empty: it needs a header line".into());
    };
    let header = header.into_iter().map(Option::unwrap_or_default).collect();
    Ok(Csv { header, records })
}

fn finish(field: &mut String, quoted: &mut bool) -> Option<String> {
    let f = std::mem::take(field);
    let was_quoted = std::mem::replace(quoted, false);
    (was_quoted || !f.is_empty()).then_some(f)
}

/// The rows of `table` from CSV text whose header names its columns (in
/// any order; a column the file lacks is NULL, an unknown header is an
/// error).
pub fn table_rows(ir: &Ir, table: TableId, text: &str) -> Result<Rows, String> {
    let csv = parse(text)?;
    let t = ir.table(table);
    let mut at: Vec<Option<usize>> = vec![None; t.columns.len()];
    for (i, name) in csv.header.iter().enumerate() {
        let Some(pos) = t.columns.iter().position(|c| ir.column(*c).name == *name) else {
            return Err(format!(
                "line 1: `{name}` is not a column of `{}`",
                ir.table_path(table)
            ));
        };
        at[pos] = Some(i);
    }
    let mut rows = Vec::with_capacity(csv.records.len());
    for (line, record) in csv.records {
        if record.len() != csv.header.len() {
            return Err(format!(
                "line {line}: {} fields, the header has {}",
                record.len(),
                csv.header.len()
            ));
        }
        let mut row = Vec::with_capacity(t.columns.len());
        for (pos, c) in t.columns.iter().enumerate() {
            let col = ir.column(*c);
            let v = match at[pos].and_then(|i| record[i].as_ref()) {
                None => Value::Null,
                Some(s) => Value::Text(s.clone())
                    .cast(col.ty.kind)
                    .map_err(|f| format!("line {line}, column `{}`: {f}", col.name))?,
            };
            row.push(v);
        }
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_nulls() {
        let csv = parse("a,b,c\n1,,\"\"\n\"x,\"\"y\"\"\nz\",2,3\r\n").expect("valid");
        assert_eq!(csv.header, ["a", "b", "c"]);
        assert_eq!(
            csv.records[0],
            (2, vec![Some("1".into()), None, Some(String::new())])
        );
        assert_eq!(
            csv.records[1],
            (
                3,
                vec![
                    Some("x,\"y\"\nz".into()),
                    Some("2".into()),
                    Some("3".into())
                ]
            )
        );
    }

    #[test]
    fn errors_name_the_line() {
        assert!(parse("a\n\"open").expect_err("invalid").contains("line 2"));
        assert!(parse("a\nx\"y").expect_err("invalid").contains("line 2"));
        assert!(parse("").is_err());
    }
}
