//! Cutover's syntax stage: `.cutover` text → [`Ast`] with spans.
//!
//! The grammar is `grammar/cutover.pest`; [`parse`] is the only entry point,
//! so the parser could be replaced without touching later stages. Nothing
//! outside this crate sees a pest `Pair`.

pub mod ast;
pub mod format;
mod layout;
mod lower;
mod nesting;
mod parse_error;
mod parser;

pub use ast::Ast;
pub use format::format;
pub use parser::Rule;

use cutover_diagnostics::{codes, Diagnostic, Span};
use pest::Parser as _;

/// Specs larger than this are refused before parsing (E0006).
pub const MAX_SOURCE_BYTES: usize = 64 * 1024 * 1024;
/// Brackets may nest this deep (E0004).
pub const MAX_NESTING: u32 = 128;
/// `if` and `case`, which nest without brackets, may nest this deep (E0004).
pub const MAX_KEYWORD_NESTING: u32 = 1024;
/// The stack parsing and lowering run on, whatever the caller's thread has:
/// pest and the lowering recurse once per nesting level, and unoptimised
/// builds use large frames.
pub const PARSE_STACK_BYTES: usize = 256 * 1024 * 1024;
/// Expression trees may be this deep (E0004).
pub const MAX_EXPR_DEPTH: u32 = 256;

/// Parses a spec. Errors are diagnostics with codes and spans; this never
/// panics, whatever the input.
pub fn parse(source: &str) -> Result<Ast, Vec<Diagnostic>> {
    stacker::grow(PARSE_STACK_BYTES, || parse_on_this_stack(source))
}

fn parse_on_this_stack(source: &str) -> Result<Ast, Vec<Diagnostic>> {
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
    let comments = nesting::check(source).map_err(|d| vec![d])?;
    let mut pairs = match pest_parse(Rule::file, source) {
        Ok(pairs) => pairs,
        Err(e) => return Err(vec![parse_error::to_diagnostic(&e, source)]),
    };
    let Some(file) = pairs.next() else {
        return Ok(Ast { items: Vec::new() });
    };
    let (ast, errors) = lower::with_comments(comments, || lower::file(file));
    if errors.is_empty() {
        Ok(ast)
    } else {
        Err(errors)
    }
}

/// Parses a single expression (for tools and tests).
pub fn parse_expr(source: &str) -> Result<ast::Expr, Vec<Diagnostic>> {
    stacker::grow(PARSE_STACK_BYTES, || parse_expr_on_this_stack(source))
}

fn parse_expr_on_this_stack(source: &str) -> Result<ast::Expr, Vec<Diagnostic>> {
    let comments = nesting::check(source).map_err(|d| vec![d])?;
    let mut pairs =
        pest_parse(Rule::expr, source).map_err(|e| vec![parse_error::to_diagnostic(&e, source)])?;
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
    lower::with_comments(comments, || lower::expr(pair)).map_err(|d| vec![d])
}

/// Parses with pest. Tracking parse attempts (which lets an error name the
/// tokens it expected) doubles the cost of a parse, so the first attempt
/// runs without it and only a failed input is parsed again with it.
fn pest_parse(
    rule: Rule,
    source: &str,
) -> Result<pest::iterators::Pairs<'_, Rule>, Box<pest::error::Error<Rule>>> {
    if let Ok(pairs) = parser::CutoverParser::parse(rule, source) {
        return Ok(pairs);
    }
    // The switch is global to pest; the lock keeps every detailed parse
    // detailed while other threads parse concurrently (they are only slower).
    static DETAIL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = DETAIL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    pest::set_error_detail(true);
    let result = parser::CutoverParser::parse(rule, source);
    pest::set_error_detail(false);
    result.map_err(Box::new)
}
