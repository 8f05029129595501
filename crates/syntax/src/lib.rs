//! Cutover's syntax stage: `.cutover` text → [`Ast`] with spans.
//!
//! The grammar is `grammar/cutover.pest`; [`parse`] is the only entry point,
//! so the parser could be replaced without touching later stages. Nothing
//! outside this crate sees a pest `Pair`.

pub mod ast;
mod lower;
mod parse_error;
mod parser;

pub use ast::Ast;
pub use parser::Rule;

use cutover_diagnostics::{codes, Diagnostic, Span};
use pest::Parser as _;

/// Specs larger than this are refused before parsing (E0006).
pub const MAX_SOURCE_BYTES: usize = 64 * 1024 * 1024;
/// Brackets may nest this deep (E0004).
pub const MAX_BRACKET_DEPTH: u32 = 128;
/// Expression trees may be this deep (E0004).
pub const MAX_EXPR_DEPTH: u32 = 256;

/// Parses a spec. Errors are diagnostics with codes and spans; this never
/// panics, whatever the input.
pub fn parse(source: &str) -> Result<Ast, Vec<Diagnostic>> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(vec![Diagnostic::new(
            codes::TOO_LARGE,
            format!(
                "the spec is {} bytes; the limit is {MAX_SOURCE_BYTES}",
                source.len()
            ),
        )
        .primary(Span::new(0, 0), "file starts here")
        .help(
            "split the migration into several specs, one per group of tables",
        )]);
    }
    if let Some(d) = check_nesting(source) {
        return Err(vec![d]);
    }
    enable_error_detail();
    let mut pairs = match parser::CutoverParser::parse(Rule::file, source) {
        Ok(pairs) => pairs,
        Err(e) => return Err(vec![parse_error::to_diagnostic(&e, source)]),
    };
    let Some(file) = pairs.next() else {
        return Ok(Ast { items: Vec::new() });
    };
    let (ast, errors) = lower::file(file);
    if errors.is_empty() {
        Ok(ast)
    } else {
        Err(errors)
    }
}

/// Parses a single expression (for tools and tests).
pub fn parse_expr(source: &str) -> Result<ast::Expr, Vec<Diagnostic>> {
    if let Some(d) = check_nesting(source) {
        return Err(vec![d]);
    }
    enable_error_detail();
    let mut pairs = parser::CutoverParser::parse(Rule::expr, source)
        .map_err(|e| vec![parse_error::to_diagnostic(&e, source)])?;
    let pair = pairs.next().ok_or_else(Vec::new)?;
    let end = pair.as_span().end();
    if end != source.trim_end().len() {
        let d = Diagnostic::new(codes::SYNTAX, "unexpected text after the expression")
            .primary(
                Span::new(end as u32, source.len() as u32),
                "not part of the expression",
            )
            .help("remove it, or join it to the expression with an operator");
        return Err(vec![d]);
    }
    lower::expr(pair).map_err(|d| vec![d])
}

fn enable_error_detail() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // Parse attempts let errors name the expected tokens (`{`, `=`…).
    ONCE.call_once(|| pest::set_error_detail(true));
}

/// Refuses bracket nesting deeper than [`MAX_BRACKET_DEPTH`] before pest
/// sees it, so no input can exhaust the stack. Strings, quoted names and
/// comments are skipped; unbalanced brackets are left to the parser.
fn check_nesting(source: &str) -> Option<Diagnostic> {
    let bytes = source.as_bytes();
    let mut depth = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
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
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_BRACKET_DEPTH {
                    let at = Span::new(i as u32, i as u32 + 1);
                    return Some(
                        Diagnostic::new(codes::TOO_DEEP, format!("brackets nest more than {MAX_BRACKET_DEPTH} levels deep"))
                            .primary(at, "too deep")
                            .help("remove redundant parentheses, or move part of the expression into an `fn`"),
                    );
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}
