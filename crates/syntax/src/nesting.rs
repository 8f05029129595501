//! The guard that runs before pest: refuses nesting deep enough to exhaust
//! the stack of pest or of the recursive passes after it.

use crate::MAX_NESTING;
use cutover_diagnostics::{codes, Diagnostic, Span};

/// Refuses nesting deeper than [`MAX_NESTING`]: brackets, and the `if` and
/// `case` expressions that nest without brackets. Strings, quoted names and
/// comments are skipped; unbalanced brackets are left to the parser. An `if`
/// has no closing word, so the `if`s of a bracket level are forgotten when a
/// new assignment (`name =` at the start of a line) or a `;` begins.
pub(crate) fn check(source: &str) -> Option<Diagnostic> {
    let bytes = source.as_bytes();
    // Per open bracket: the `if`s and `case`s open inside it.
    let mut frames: Vec<(u32, u32)> = vec![(0, 0)];
    let mut keyword_depth = 0u32;
    let mut i = 0;
    let too_deep = |at: usize| {
        let at = at.saturating_sub(1) as u32;
        Diagnostic::new(
            codes::TOO_DEEP,
            format!("brackets, `if` and `case` nest more than {MAX_NESTING} levels deep"),
        )
        .primary(Span::new(at, at + 1), "too deep")
        .help("remove redundant parentheses, or move part of the expression into an `fn`")
    };
    while i <= bytes.len() {
        if frames.len() as u32 - 1 + keyword_depth > MAX_NESTING {
            return Some(too_deep(i));
        }
        if i == bytes.len() {
            break;
        }
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'`' && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => frames.push((0, 0)),
            b')' | b']' | b'}' if frames.len() > 1 => {
                if let Some((ifs, cases)) = frames.pop() {
                    keyword_depth -= ifs + cases;
                }
            }
            b';' => forget_ifs(&mut frames, &mut keyword_depth),
            b'\n' if starts_assignment(&bytes[i + 1..]) => {
                forget_ifs(&mut frames, &mut keyword_depth)
            }
            b if is_word(b) && (i == 0 || !is_word(bytes[i - 1])) => {
                let end = bytes[i..]
                    .iter()
                    .position(|b| !is_word(*b))
                    .map_or(bytes.len(), |n| i + n);
                if let Some(top) = frames.last_mut() {
                    match &bytes[i..end] {
                        b"if" => {
                            top.0 += 1;
                            keyword_depth += 1;
                        }
                        b"case" => {
                            top.1 += 1;
                            keyword_depth += 1;
                        }
                        b"end" if top.1 > 0 => {
                            top.1 -= 1;
                            keyword_depth -= 1;
                        }
                        _ => {}
                    }
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn forget_ifs(frames: &mut [(u32, u32)], keyword_depth: &mut u32) {
    if let Some(top) = frames.last_mut() {
        *keyword_depth -= top.0;
        top.0 = 0;
    }
}

/// Whether a line starts with `[key] name =` (not `==` or `=>`).
fn starts_assignment(line: &[u8]) -> bool {
    let mut rest = line;
    let skip_space = |r: &mut &[u8]| {
        while let [b' ' | b'\t', tail @ ..] = r {
            *r = tail;
        }
    };
    skip_space(&mut rest);
    if let Some(tail) = rest.strip_prefix(b"key ") {
        rest = tail;
        skip_space(&mut rest);
    }
    let n = rest.iter().take_while(|b| is_word(**b)).count();
    if n == 0 {
        return false;
    }
    rest = &rest[n..];
    skip_space(&mut rest);
    matches!(rest, [b'=', next, ..] if *next != b'=' && *next != b'>')
}

#[cfg(test)]
mod tests {
    use super::check;

    fn deep(s: &str) -> bool {
        check(s).is_some()
    }

    #[test]
    fn brackets_and_keywords_count() {
        assert!(!deep(&"(".repeat(128)));
        assert!(deep(&"(".repeat(129)));
        assert!(deep(&format!("x = {}", "if a then 1 else ".repeat(200))));
        assert!(!deep(
            &"case when a then case when b then 1 end end ".repeat(500)
        ));
        assert!(deep(&format!(
            "{}x{}",
            "case when a then ".repeat(200),
            " end".repeat(200)
        )));
        // Strings and comments do not count.
        assert!(!deep(&format!(
            "\"{}\" # {}",
            "(".repeat(500),
            "(".repeat(500)
        )));
    }

    #[test]
    fn assignments_forget_finished_ifs() {
        let map: String = (0..500)
            .map(|i| format!("\n  c{i} = if a then 1 else 2"))
            .collect();
        assert!(!deep(&format!("map a.b -> c.d {{{map}\n}}")));
        let one_line: String = (0..500).map(|_| "if a then 1 else 2; ").collect();
        assert!(!deep(&one_line));
    }
}
