//! The guard that runs before pest: refuses nesting deep enough to exhaust
//! the stack of pest or of the passes after it, and records where comments
//! are (spans are trimmed of trailing comments with it).
//!
//! pest 2.8 has no stack guard of its own, so this scan must agree with the
//! grammar on what is a comment, a string and a word, and must never count
//! less nesting than the parser will recurse through.

use crate::{MAX_KEYWORD_NESTING, MAX_NESTING};
use cutover_diagnostics::{codes, Diagnostic, Span};

/// Byte ranges of `#` comments, in order.
pub(crate) type Comments = Vec<(u32, u32)>;

/// Refuses brackets nested deeper than [`MAX_NESTING`], and `if`/`case`
/// (which nest without brackets) deeper than [`MAX_KEYWORD_NESTING`].
///
/// A `case` closes at its `end`. An `if` has no closing word; it is counted
/// until something proves every expression at its bracket level has ended:
/// a `,` or `;` at that level, or the bracket closing. That over-counts
/// sibling `if`s in one block (hence the generous limit) but never
/// under-counts real nesting.
pub(crate) fn check(source: &str) -> Result<Comments, Diagnostic> {
    let bytes = source.as_bytes();
    let mut comments = Comments::new();
    // Per open bracket: the `if`s and `case`s open inside it.
    let mut frames: Vec<(u32, u32)> = vec![(0, 0)];
    let mut keywords = 0u32;
    let deep = |at: usize, what: String| {
        let at = at as u32;
        Diagnostic::new(codes::TOO_DEEP, what)
            .primary(Span::new(at, at + 1), "too deep")
            .help("remove redundant parentheses, or move part of the expression into an `fn` or a lookup")
    };
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                // pest's NEWLINE is \n, \r\n or \r: any of them ends a comment.
                let start = i;
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                comments.push((start as u32, i as u32));
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
                while i < bytes.len() && bytes[i] != b'`' && bytes[i] != b'\n' && bytes[i] != b'\r'
                {
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                frames.push((0, 0));
                if frames.len() as u32 - 1 > MAX_NESTING {
                    return Err(deep(
                        i,
                        format!("brackets nest more than {MAX_NESTING} levels deep"),
                    ));
                }
            }
            b')' | b']' | b'}' if frames.len() > 1 => {
                if let Some((ifs, cases)) = frames.pop() {
                    keywords -= ifs + cases;
                }
            }
            b',' | b';' => {
                if let Some(top) = frames.last_mut() {
                    keywords -= top.0;
                    top.0 = 0;
                }
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
                            keywords += 1;
                        }
                        b"case" => {
                            top.1 += 1;
                            keywords += 1;
                        }
                        b"end" if top.1 > 0 => {
                            top.1 -= 1;
                            keywords -= 1;
                        }
                        _ => {}
                    }
                }
                if keywords > MAX_KEYWORD_NESTING {
                    return Err(deep(
                        i,
                        format!("`if` and `case` nest more than {MAX_KEYWORD_NESTING} levels deep"),
                    ));
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(comments)
}

/// Bytes of a word as the grammar sees it: identifiers may hold any
/// non-ASCII letter, so every non-ASCII byte continues a word.
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

#[cfg(test)]
mod tests {
    use super::check;

    fn deep(s: &str) -> bool {
        check(s).is_err()
    }

    #[test]
    fn brackets_count() {
        assert!(!deep(&"(".repeat(128)));
        assert!(deep(&"(".repeat(129)));
        // Strings and comments do not count.
        assert!(!deep(&format!(
            "\"{}\" # {}",
            "(".repeat(500),
            "(".repeat(500)
        )));
    }

    #[test]
    fn keywords_count_until_the_expression_provably_ends() {
        assert!(deep(&format!("x = {}0", "if a then 1 else ".repeat(1025))));
        assert!(deep(&format!(
            "{}x{}",
            "case when a then ".repeat(1025),
            " end".repeat(1025)
        )));
        assert!(!deep(
            &"case when a then case when b then 1 end end ".repeat(5000)
        ));
        // Siblings separated by `,` or `;` or in their own block do not add up.
        let list: String = (0..5000).map(|_| "if a then 1 else 2, ").collect();
        assert!(!deep(&format!("f({list})")));
        let blocks: String = (0..5000)
            .map(|_| "map a.b -> c.d { x = if a then 1 else 2 }\n")
            .collect();
        assert!(!deep(&blocks));
    }

    #[test]
    fn agrees_with_the_grammar_on_comments_and_words() {
        // A bare \r ends a comment for pest, so what follows is counted.
        assert!(deep(&format!("# c\r{}", "(".repeat(129))));
        // `éend` is one identifier, not `end`: it closes no `case`.
        assert!(deep(&"case when éend then ".repeat(1025)));
        let comments = check("a # one\nb # two\r\nc").unwrap_or_default();
        assert_eq!(comments, vec![(2, 7), (10, 15)]);
    }
}
