//! A small Wadler-style layout engine for the formatter: a [`Doc`] says
//! where a line may break; [`render`] breaks a group only when it does not
//! fit in the width. Expressions, map headers and assignments use it.

/// A document to lay out.
pub(crate) enum Doc {
    Text(String),
    /// A space, or a line break when its group is broken.
    Line,
    /// Nothing, or a line break when its group is broken.
    SoftLine,
    /// Breaks inside are indented this much more.
    Nest(usize, Box<Doc>),
    /// Laid out flat if it fits, otherwise its own lines break.
    Group(Box<Doc>),
    Cat(Vec<Doc>),
}

impl Doc {
    pub(crate) fn text(s: impl Into<String>) -> Doc {
        Doc::Text(s.into())
    }

    pub(crate) fn nest(n: usize, d: Doc) -> Doc {
        Doc::Nest(n, Box::new(d))
    }

    pub(crate) fn group(d: Doc) -> Doc {
        Doc::Group(Box::new(d))
    }
}

/// Display width: characters, which is what editors align by for the
/// scripts specs are written in.
pub(crate) fn width(s: &str) -> usize {
    s.chars().count()
}

/// Lays `doc` out starting at column `col`; breaks indent to `indent` plus
/// the enclosing nests. Lines never end in spaces.
pub(crate) fn render(doc: &Doc, indent: usize, col: usize, max: usize) -> String {
    let mut out = String::new();
    let mut col = col;
    let mut stack: Vec<(usize, bool, &Doc)> = vec![(indent, false, doc)];
    while let Some((ind, flat, d)) = stack.pop() {
        match d {
            Doc::Text(s) => {
                out.push_str(s);
                col += width(s);
            }
            Doc::Line | Doc::SoftLine if flat => {
                if matches!(d, Doc::Line) {
                    out.push(' ');
                    col += 1;
                }
            }
            Doc::Line | Doc::SoftLine => {
                while out.ends_with(' ') {
                    out.pop();
                }
                out.push('\n');
                out.extend(std::iter::repeat_n(' ', ind));
                col = ind;
            }
            Doc::Nest(n, inner) => stack.push((ind + n, flat, inner)),
            Doc::Cat(parts) => stack.extend(parts.iter().rev().map(|p| (ind, flat, p))),
            Doc::Group(inner) => {
                let flat = flat || fits(max as isize - col as isize, inner, &stack);
                stack.push((ind, flat, inner));
            }
        }
    }
    out
}

/// Whether `first`, flat, and what follows it up to the next line break
/// fit in `room` columns.
fn fits(mut room: isize, first: &Doc, rest: &[(usize, bool, &Doc)]) -> bool {
    let mut work: Vec<(bool, &Doc)> = vec![(true, first)];
    let mut rest = rest.iter().rev();
    loop {
        if room < 0 {
            return false;
        }
        let (flat, d) = match work.pop() {
            Some(w) => w,
            None => match rest.next() {
                Some(&(_, flat, d)) => (flat, d),
                None => return true,
            },
        };
        match d {
            Doc::Text(s) => room -= width(s) as isize,
            Doc::Line if flat => room -= 1,
            Doc::SoftLine if flat => {}
            Doc::Line | Doc::SoftLine => return true,
            Doc::Nest(_, inner) | Doc::Group(inner) => work.push((flat, inner)),
            Doc::Cat(parts) => work.extend(parts.iter().rev().map(|p| (flat, p))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(args: &[&str]) -> Doc {
        let mut inner = vec![Doc::SoftLine];
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                inner.push(Doc::text(","));
                inner.push(Doc::Line);
            }
            inner.push(Doc::text(*a));
        }
        Doc::group(Doc::Cat(vec![
            Doc::text("f("),
            Doc::nest(2, Doc::Cat(inner)),
            Doc::SoftLine,
            Doc::text(")"),
        ]))
    }

    #[test]
    fn a_group_that_fits_stays_on_one_line() {
        assert_eq!(render(&call(&["a", "b"]), 0, 0, 20), "f(a, b)");
    }

    #[test]
    fn a_group_that_does_not_fit_breaks_every_line_of_its_own() {
        assert_eq!(
            render(&call(&["aaaa", "bbbb"]), 4, 4, 12),
            "f(\n      aaaa,\n      bbbb\n    )"
        );
    }

    #[test]
    fn text_after_a_group_counts_towards_its_fit() {
        let doc = Doc::Cat(vec![call(&["a", "b"]), Doc::text(" + something")]);
        assert_eq!(render(&doc, 0, 0, 12), "f(\n  a,\n  b\n) + something");
    }
}
