//! The pest parser generated from grammar/cutover.pest.

use pest_derive::Parser;

/// Parses `.cutover` text; the rules are those of the grammar file.
#[derive(Parser)]
#[grammar = "../../grammar/cutover.pest"]
pub struct CutoverParser;
