//! Cutover's Python backend (issue 6, in progress): `python/` — the
//! transform functions of a spec, a streaming runner and pytest tests from
//! its examples, on top of `cutover_runtime.py`, the Python form of
//! docs/functions.md.

pub mod expr;

/// The structural helpers every generated `transforms.py` starts with
/// (three-valued logic, lookups, the store into a column).
pub const PRELUDE: &str = include_str!("prelude.py");
