//! Cutover's check stage, and [`compile`]: the thin chain
//! `parse → resolve → check` that every front end (CLI, tests, later the
//! language server) calls.
//!
//! The semantic rules over the typed IR: assignment compatibility and
//! narrowing, nullability, failure handling (`assign`), coverage — nothing
//! silently lost (`coverage`), keys, references and load order (`keys`),
//! lookups, grouping, gates, rollback, phases, portability and warnings
//! (`rules`), and rules and examples that test nothing (`examples`). Facts
//! the rules share (can an expression fail, is it deterministic, which `pii`
//! columns reach it) come from `facts`.

mod assign;
mod coverage;
mod examples;
mod facts;
mod keys;
mod phased;
mod rules;

pub use facts::{FactFinder, Facts};
pub use keys::{load_order, LoadCycle};

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

/// Runs every semantic rule over a resolved IR (one without resolve
/// errors: rules assume names resolved).
pub fn check(ir: &Ir) -> Vec<Diagnostic> {
    let facts = facts::FactFinder::new(ir);
    let mut c = Checker {
        ir,
        diags: Vec::new(),
    };
    c.assignments(&facts);
    c.coverage();
    c.keys();
    c.lookups();
    c.grouping();
    c.phased();
    c.gates(&facts);
    c.rollback();
    c.phases();
    c.portability();
    c.warnings();
    c.examples();
    // Example values are checked by the evaluator that will read them.
    c.diags.extend(cutover_eval::example_diagnostics(ir));
    c.diags
}

/// The state the rules share: the IR and the findings so far.
pub(crate) struct Checker<'a> {
    pub(crate) ir: &'a Ir,
    pub(crate) diags: Vec<Diagnostic>,
}

impl Checker<'_> {
    pub(crate) fn report(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }
}

/// `` `a`, `b` ``: column names for a message.
pub(crate) fn quoted_columns(ir: &Ir, columns: &[cutover_ir::ColumnId]) -> String {
    columns
        .iter()
        .map(|c| format!("`{}`", ir.column(*c).name))
        .collect::<Vec<_>>()
        .join(", ")
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
