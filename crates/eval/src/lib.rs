//! Cutover's reference evaluator: the oracle the SQL and Python backends
//! are tested against, row by row.
//!
//! [`Engine::run_map`] runs a map of the typed IR over source rows and
//! returns target rows and rejected rows (with rule and reason);
//! [`run_examples`] runs a spec's `example` blocks. The meaning of every
//! value, cast and built-in is docs/functions.md; this crate is its
//! executable form. It does no IO: the clock comes in as a parameter.

pub mod csv;
pub mod decimal;
mod examples;
mod expr;
pub mod functions;
mod map;
mod migration;
pub mod value;

pub use examples::{example_diagnostics, run_examples, ExampleReport, Outcome};
pub use expr::{arith, like, literal, Engine};
pub use map::{equi_join, LeftOut, LeftOutBy, MapOutput, Rejection, Rows};
pub use migration::parent_missing;
pub use value::{Fail, Value};

use cutover_ir::Expr;

/// Every sub-expression, depth first.
pub fn walk<'e>(e: &'e Expr, f: &mut impl FnMut(&'e Expr)) {
    f(e);
    for c in e.children() {
        walk(c, f);
    }
}
