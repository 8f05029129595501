//! Helpers shared by the formatter's tests.
#![allow(dead_code)]

/// The AST's debug form with every span (`12..34`) blanked: two specs
/// with the same shape differ only in where things are.
pub fn shape(ast: &cutover_syntax::Ast) -> String {
    let text = format!("{ast:#?}");
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let digits = |from: usize| {
            bytes[from..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        let a = digits(i);
        if a > 0 && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
            let dots = i + a;
            if bytes.get(dots) == Some(&b'.') && bytes.get(dots + 1) == Some(&b'.') {
                let b = digits(dots + 2);
                if b > 0 {
                    out.push('_');
                    i = dots + 2 + b;
                    continue;
                }
            }
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// The text of every `#` comment, in order, trailing spaces trimmed; `#`
/// inside strings and quoted names does not count.
pub fn comments(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = source.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '`' => {
                for (_, c) in chars.by_ref() {
                    if c == '`' || c == '\n' {
                        break;
                    }
                }
            }
            '#' => {
                let end = source[i..]
                    .find(['\n', '\r'])
                    .map_or(source.len(), |n| i + n);
                out.push(source[i..end].trim_end().to_owned());
                while chars.peek().is_some_and(|(j, _)| *j < end) {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    out
}
