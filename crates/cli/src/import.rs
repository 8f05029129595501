//! `cutover import SOURCE TARGET`: a spec scaffolded from two schemas (any
//! form `schema_input` reads), checked before it is handed over, so the
//! person gets the decisions left to make as diagnostics at once.

use crate::schema_input;
use crate::{fatal, use_color, Color, EXIT_FINDINGS, EXIT_OK};
use cutover_diagnostics::{render, Severity};
use cutover_import::scaffold::{self, Side};
use std::io::IsTerminal;
use std::path::Path;

pub struct Args<'a> {
    pub source: &'a str,
    pub target: &'a str,
    pub source_name: &'a str,
    pub target_name: &'a str,
    pub source_dialect: Option<&'a str>,
    pub target_dialect: Option<&'a str>,
    pub out: Option<&'a Path>,
    pub color: Color,
}

pub fn run(args: &Args<'_>) -> u8 {
    let help = "give a .json or .sql file, a SQLite file, or postgres://…[#schema]";
    let source = match schema_input::load(args.source, args.source_dialect) {
        Ok(s) => s,
        Err(message) => return fatal(&message, help),
    };
    let target = match schema_input::load(args.target, args.target_dialect) {
        Ok(s) => s,
        Err(message) => return fatal(&message, help),
    };
    if args.source_name == args.target_name {
        return fatal(
            &format!(
                "the source and target are both named `{}`",
                args.source_name
            ),
            "give them different names with --source-name and --target-name",
        );
    }
    let source = Side {
        system: args.source_name,
        dialect: source.dialect,
        schema: &source.schema,
    };
    let target = Side {
        system: args.target_name,
        dialect: target.dialect,
        schema: &target.schema,
    };
    let text = scaffold::render(&source, &target);
    let shown = match args.out {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &text) {
                return fatal(
                    &format!("cannot write {}: {e}", path.display()),
                    "check the directory exists and is writable",
                );
            }
            eprintln!("wrote {}", path.display());
            path.display().to_string()
        }
        None => {
            print!("{text}");
            "<scaffold>".to_owned()
        }
    };
    // The scaffold is checked as written: what is left are the decisions a
    // person must make (a target column no source column feeds, …).
    let compiled = cutover_check::compile(&text);
    let color = use_color(args.color, std::io::stderr().is_terminal());
    if !compiled.diagnostics.is_empty() {
        eprint!(
            "{}",
            render::human(&shown, &text, &compiled.diagnostics, color)
        );
    }
    let errors = compiled
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if errors > 0 {
        eprintln!(
            "cutover import: the scaffold needs {errors} decision{} (above) before it checks clean",
            if errors == 1 { "" } else { "s" }
        );
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}
