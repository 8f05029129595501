//! Cutover's check stage, and [`compile`]: the thin chain
//! `parse → resolve → check` that every front end (CLI, tests, later the
//! language server) calls.
//!
//! The semantic rules over the typed IR (coverage, nullability, narrowing,
//! keys, load order, PII, gates, rollback, phases) live in this crate; they
//! arrive with issue 3. Today [`check`] runs none, so `compile` reports what
//! the syntax and resolve stages find.

use cutover_diagnostics::{sort, Diagnostic};
use cutover_ir::Ir;
use cutover_syntax::Ast;

/// The result of compiling one spec.
pub struct Compiled {
    /// `None` when the spec did not parse.
    pub ast: Option<Ast>,
    /// `None` when the spec did not parse.
    pub ir: Option<Ir>,
    /// Every finding, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compiled {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// The semantic rules over a resolved IR. None are implemented yet
/// (issue 3); the function is the stage's entry point.
pub fn check(_ir: &Ir) -> Vec<Diagnostic> {
    Vec::new()
}

/// Parses, resolves and checks a spec. Semantic checks run only when
/// resolution found no errors, so one mistake is reported once.
pub fn compile(source: &str) -> Compiled {
    // Resolution and the checks recurse over expressions up to
    // MAX_EXPR_DEPTH deep; give them room whatever the caller's stack.
    stacker::grow(cutover_syntax::PARSE_STACK_BYTES, || {
        compile_on_this_stack(source)
    })
}

fn compile_on_this_stack(source: &str) -> Compiled {
    let ast = match cutover_syntax::parse(source) {
        Ok(ast) => ast,
        Err(mut diagnostics) => {
            sort(&mut diagnostics);
            return Compiled {
                ast: None,
                ir: None,
                diagnostics,
            };
        }
    };
    let (ir, mut diagnostics) = cutover_ir::resolve(&ast);
    if !diagnostics.iter().any(Diagnostic::is_error) {
        diagnostics.extend(check(&ir));
    }
    sort(&mut diagnostics);
    Compiled {
        ast: Some(ast),
        ir: Some(ir),
        diagnostics,
    }
}
