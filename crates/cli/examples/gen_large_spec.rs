//! Writes the generated benchmark spec (2,000 tables, 40,000 columns) to a
//! file, so that `cutover check` can be run and measured on it:
//!
//! ```text
//! cargo run --release -p cutover-cli --example gen_large_spec -- /tmp/large.cutover
//! /usr/bin/time -v target/release/cutover check /tmp/large.cutover
//! ```
//!
//! An optional second argument sets the number of tables per system
//! (default 1,000). See docs/performance.md.

#[path = "../benches/gen_spec/mod.rs"]
mod gen_spec;

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: gen_large_spec OUTPUT.cutover [TABLES_PER_SYSTEM]");
        return ExitCode::from(2);
    };
    let tables = match args.next().map(|n| n.parse::<usize>()) {
        None => gen_spec::TABLES_PER_SYSTEM,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("TABLES_PER_SYSTEM must be a positive whole number");
            return ExitCode::from(2);
        }
    };
    let spec = gen_spec::generate(tables);
    if let Err(e) = std::fs::write(&path, &spec) {
        eprintln!("cannot write {path}: {e}");
        return ExitCode::from(2);
    }
    eprintln!(
        "wrote {path}: {} bytes, {} lines, {} tables, {} columns",
        spec.len(),
        spec.lines().count(),
        2 * tables,
        2 * tables * gen_spec::COLUMNS_PER_TABLE
    );
    ExitCode::SUCCESS
}
