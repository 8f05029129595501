//! The `cutover` command line. The only place that reads files, writes
//! output and chooses exit codes: 0 ok, 1 findings, 2 usage or input error.

mod artifacts;
mod build_check;
mod compat;
mod diff;
mod fmt;
mod import;
mod schema_input;

use clap::{Parser, Subcommand, ValueEnum};
use cutover_diagnostics::{codes, render, Diagnostic, Severity, Span};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Exit codes, stable for CI.
const EXIT_OK: u8 = 0;
const EXIT_FINDINGS: u8 = 1;
const EXIT_USAGE: u8 = 2;

/// Cutover compiles data-migration specs (.cutover) into checked SQL,
/// Python and a runbook.
#[derive(Parser)]
#[command(name = "cutover", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 ok, 1 findings (errors in a spec) or differences (diff, build --check, fmt --check), 2 usage or input errors."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and check specs; print every diagnostic.
    #[command(
        after_help = "Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 a file could not be read."
    )]
    Check {
        /// Spec files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Colour in human output.
        #[arg(long, value_enum, default_value_t = Color::Auto)]
        color: Color,
    },
    /// Generate the migration's artifacts into a directory (SQL per dialect,
    /// the Python package, the runbook, the mapping), or compare them with
    /// it (--check).
    #[command(
        after_help = "Exit codes: 0 written (with --check: every file current), 1 the spec has errors or cannot be compiled for a dialect (with --check: also a file differs, is missing or is stale), 2 a file could not be read or written."
    )]
    Build {
        /// The spec.
        file: PathBuf,
        /// Output directory: DIR/sql/<dialect>/, DIR/python/,
        /// DIR/runbook.md and DIR/mapping.csv.
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
        /// Dialects, comma separated; default: those the spec's systems
        /// name, plus sqlite for rehearsal.
        #[arg(long, value_delimiter = ',')]
        dialect: Vec<String>,
        /// A throughput measured by a rehearsal, in source rows per second:
        /// the runbook's load estimates use it instead of the spec's
        /// `throughput`.
        #[arg(long, value_name = "ROWS_PER_SECOND", conflicts_with = "timeline")]
        throughput: Option<f64>,
        /// The throughput a rehearsal measured and wrote with
        /// `rehearse --emit-timeline FILE`.
        #[arg(long, value_name = "FILE")]
        timeline: Option<PathBuf>,
        /// Write nothing: compare what would be written with DIR, print a
        /// diff per file that differs or is missing, and list stale files
        /// the build no longer writes (under DIR/python/ and the built
        /// DIR/sql/<dialect>/).
        #[arg(long)]
        check: bool,
    },
    /// What changed between two versions of a spec: a summary of the
    /// changes in meaning (maps, lookups, gates, rollback, phases, …), then
    /// the diff of every artifact the two build.
    #[command(
        after_help = "Both are built under NEW's path and sha256, so only real changes show.\n\nExit codes: 0 no differences, 1 differences, 2 a file could not be read, or OLD or NEW has errors or cannot be built."
    )]
    Diff {
        /// The spec before.
        old: PathBuf,
        /// The spec after.
        new: PathBuf,
        /// `json`: {"summary": {…}, "artifacts": [{"path", "status", "diff"}]}.
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
    },
    /// Scaffold a spec from two schemas: source and target systems with
    /// their tables, and a draft map per shared table (same-named columns
    /// assigned, the others dropped with a reason).
    #[command(
        after_help = "SOURCE and TARGET are each a .json schema (the seeds' format), a .sql DDL script, a SQLite file, or a live PostgreSQL database: postgres://user@host/db[#schema] or a libpq string such as 'host=/tmp port=5432 dbname=app' (schema `public` unless #schema follows).\n\nThe scaffold is checked as written; its diagnostics are the decisions left to make.\n\nExit codes: 0 written and checks clean, 1 written but a decision is left (diagnostics on stderr), 2 an input could not be read or the output written."
    )]
    Import {
        /// The schema migrated from.
        source: String,
        /// The schema migrated to.
        target: String,
        /// Write the spec here instead of standard output.
        #[arg(short = 'o', long = "out")]
        out: Option<PathBuf>,
        /// The source system's name in the spec.
        #[arg(long, default_value = "old")]
        source_name: String,
        /// The target system's name in the spec.
        #[arg(long, default_value = "new")]
        target_name: String,
        /// The source's dialect (postgres, sqlite): the spec's dialect and, for
        /// a .sql file, the DDL's.
        #[arg(long)]
        source_dialect: Option<String>,
        /// The target's dialect (postgres, sqlite).
        #[arg(long)]
        target_dialect: Option<String>,
        /// Colour in diagnostics.
        #[arg(long, value_enum, default_value_t = Color::Auto)]
        color: Color,
    },
    /// Compare two versions of a schema: every change classified as
    /// breaking, potentially breaking, non-breaking or additive, with the
    /// preflight queries for new constraints and the expand, contract and
    /// rollback SQL (PostgreSQL).
    #[command(
        after_help = "BEFORE and AFTER are any form `cutover import` reads.\n\nWith -o DIR: DIR/preflight.sql, expand.sql, preflight_contract.sql, contract.sql and rollback.sql, in the order they run.\n\nExit codes: 0 nothing breaks (non-breaking and additive changes only, or none), 1 potentially breaking, 2 breaking, 3 an input could not be read or a script written."
    )]
    Compat {
        /// The schema now.
        before: String,
        /// The schema wanted.
        after: String,
        /// text, json or markdown.
        #[arg(long, value_enum, default_value_t = compat::CompatFormat::Text)]
        format: compat::CompatFormat,
        /// Write the scripts into this directory.
        #[arg(short = 'o', long = "out")]
        out: Option<PathBuf>,
        /// The dialect of .sql inputs (postgres, sqlite).
        #[arg(long)]
        dialect: Option<String>,
    },
    /// Format specs in their canonical layout, in place; comments are kept.
    #[command(
        after_help = "Exit codes: 0 every file formatted (or, with --check, already formatted), 1 with --check a file is not formatted, or a file does not parse (it is left untouched), 2 a file could not be read or written."
    )]
    Fmt {
        /// Spec files to format.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Write nothing: print a diff per file that is not formatted.
        #[arg(long)]
        check: bool,
        /// Colour in diagnostics.
        #[arg(long, value_enum, default_value_t = Color::Auto)]
        color: Color,
    },
    /// Rehearse the whole migration on embedded SQLite: schema, preflight
    /// gates, load, post-load gates, rollback triggers and, if one fires,
    /// the rollback, with the SQLite scripts `build` writes.
    #[command(
        after_help = "Exit codes: 0 every gate passed, 1 a gate failed or a trigger fired (the rollback ran), 2 an input error."
    )]
    Rehearse {
        /// The spec.
        file: PathBuf,
        /// The source data: a SQLite file (its tables named as in the
        /// spec), or a directory of CSV files (`<table>.csv`).
        #[arg(long)]
        source: PathBuf,
        /// The target's SQLite file (target systems go beside it as
        /// `<stem>.<system>.sqlite`); default: a temporary one.
        #[arg(long)]
        target: Option<PathBuf>,
        /// Make this gate fail, to rehearse the rollback path (repeatable).
        #[arg(long = "fail-gate", value_name = "NAME")]
        fail_gate: Vec<String>,
        /// `json` prints the report as JSON on stdout.
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        report: ReportFormat,
        /// Write the measured throughput to FILE, for
        /// `build --timeline FILE` and the runbook's estimates.
        #[arg(long, value_name = "FILE")]
        emit_timeline: Option<PathBuf>,
    },
    /// Run the language server over stdio (diagnostics, hover,
    /// go-to-definition, completion), for editors.
    #[command(
        after_help = "Exit codes: 0 the client said exit or closed the input, 2 an IO error."
    )]
    Lsp,
    /// Run the spec's examples in the reference evaluator.
    #[command(
        after_help = "Exit codes: 0 every example passed, 1 an example failed or a spec has errors, 2 a file could not be read."
    )]
    Test {
        /// Spec files whose examples to run.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Colour in human output.
        #[arg(long, value_enum, default_value_t = Color::Auto)]
        color: Color,
    },
    /// Print the long explanation of a diagnostic code.
    #[command(after_help = "Exit codes: 0 explained, 2 unknown code.")]
    Explain {
        /// A code such as E0101; omit it with --list.
        #[arg(required_unless_present = "list")]
        code: Option<String>,
        /// List every code with its summary.
        #[arg(long)]
        list: bool,
    },
    /// Print an intermediate form of a spec: the AST or the typed IR.
    #[command(
        after_help = "Exit codes: 0 printed, 1 the spec has errors, 2 the file could not be read."
    )]
    Debug {
        /// Which form.
        #[arg(value_enum)]
        form: Form,
        /// The spec.
        file: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
    /// SARIF 2.1.0, for code-review annotations.
    Sarif,
}

#[derive(Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, ValueEnum)]
enum Form {
    Ast,
    Ir,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check {
            files,
            format,
            color,
        } => check(&files, format, color),
        Command::Test { files, color } => test(&files, color),
        Command::Build {
            file,
            out,
            dialect,
            throughput,
            timeline,
            check,
        } => build(&BuildArgs {
            file: &file,
            out: &out,
            dialects: &dialect,
            throughput,
            timeline: timeline.as_deref(),
            check,
        }),
        Command::Rehearse {
            file,
            source,
            target,
            fail_gate,
            report,
            emit_timeline,
        } => rehearse(
            &file,
            source,
            target,
            fail_gate,
            report,
            emit_timeline.as_deref(),
        ),
        Command::Diff { old, new, format } => diff::run(&old, &new, format),
        Command::Fmt {
            files,
            check,
            color,
        } => fmt::run(&files, check, color),
        Command::Import {
            source,
            target,
            out,
            source_name,
            target_name,
            source_dialect,
            target_dialect,
            color,
        } => import::run(&import::Args {
            source: &source,
            target: &target,
            source_name: &source_name,
            target_name: &target_name,
            source_dialect: source_dialect.as_deref(),
            target_dialect: target_dialect.as_deref(),
            out: out.as_deref(),
            color,
        }),
        Command::Compat {
            before,
            after,
            format,
            out,
            dialect,
        } => compat::run(&before, &after, dialect.as_deref(), format, out.as_deref()),

        Command::Explain { code, list } => explain(code.as_deref(), list),
        Command::Lsp => {
            let stdin = std::io::stdin();
            let stdout = std::io::stdout();
            match cutover_lsp::serve(&mut stdin.lock(), &mut stdout.lock()) {
                Ok(()) => EXIT_OK,
                Err(e) => fatal(&format!("lsp: {e}"), "the editor closed the connection"),
            }
        }
        Command::Debug { form, file } => debug(form, &file),
    };
    ExitCode::from(code)
}

/// A spec read from disk. Bytes that are not UTF-8 become an E0001
/// diagnostic, shown against a lossy copy of the text.
struct Spec {
    path: String,
    text: String,
    utf8_error: Option<Diagnostic>,
}

fn read_spec(path: &Path) -> Result<Spec, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let display = path.display().to_string();
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Spec {
            path: display,
            text,
            utf8_error: None,
        }),
        Err(e) => {
            let at = e.utf8_error().valid_up_to() as u32;
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let d = Diagnostic::new(
                codes::INVALID_UTF8,
                format!("the spec is not valid UTF-8 (first bad byte at offset {at})"),
            )
            .primary(Span::new(at, at + 1), "not UTF-8")
            .help("save the file as UTF-8; specs are text in UTF-8");
            Ok(Spec {
                path: display,
                text,
                utf8_error: Some(d),
            })
        }
    }
}

fn fatal(message: &str, help: &str) -> u8 {
    let report = miette::miette!(help = help.to_owned(), "{message}");
    eprintln!("{report:?}");
    EXIT_USAGE
}

fn use_color(color: Color, stream_is_terminal: bool) -> bool {
    match color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => stream_is_terminal && std::env::var_os("NO_COLOR").is_none(),
    }
}

fn check(files: &[PathBuf], format: Format, color: Color) -> u8 {
    let color = use_color(color, std::io::stderr().is_terminal());
    let mut json = Vec::new();
    let mut checked: Vec<(Spec, Vec<Diagnostic>)> = Vec::new();
    let (mut errors, mut warnings, mut unreadable) = (0usize, 0usize, false);
    for file in files {
        let spec = match read_spec(file) {
            Ok(s) => s,
            Err(message) => {
                fatal(&message, "check the path and the file's permissions");
                unreadable = true;
                continue;
            }
        };
        let diagnostics = match spec.utf8_error.clone() {
            Some(d) => vec![d],
            None => {
                let mut compiled = cutover_check::compile(&spec.text);
                let diagnostics = std::mem::take(&mut compiled.diagnostics);
                // Freeing a large AST and IR takes a fifth of a check; the
                // process is about to exit, so let the OS reclaim them.
                std::mem::forget(compiled);
                diagnostics
            }
        };
        errors += diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        warnings += diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count();
        match format {
            Format::Human => eprint!(
                "{}",
                render::human(&spec.path, &spec.text, &diagnostics, color)
            ),
            Format::Json => json.extend(render::json_values(&spec.path, &spec.text, &diagnostics)),
            Format::Sarif => checked.push((spec, diagnostics)),
        }
    }
    match format {
        Format::Human => {
            let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
            eprintln!(
                "cutover check: {}, {} in {}",
                plural(errors, "error"),
                plural(warnings, "warning"),
                plural(files.len(), "file")
            );
        }
        Format::Json => print_json(&serde_json::json!({
            "diagnostics": json,
            "summary": { "errors": errors, "warnings": warnings, "files": files.len() },
        })),
        Format::Sarif => {
            let logs: Vec<render::FileDiagnostics<'_>> = checked
                .iter()
                .map(|(spec, diagnostics)| render::FileDiagnostics {
                    path: &spec.path,
                    source: &spec.text,
                    diagnostics,
                })
                .collect();
            print_json(&render::sarif(&logs, env!("CARGO_PKG_VERSION")));
        }
    }
    if unreadable {
        EXIT_USAGE
    } else if errors > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// Compiles a spec, printing its diagnostics to stderr; the IR only when
/// it has no errors, since nothing may be generated or run from such a spec.
fn compile_clean(spec: &Spec, color: bool) -> Option<cutover_ir::Ir> {
    if let Some(d) = &spec.utf8_error {
        let shown = std::slice::from_ref(d);
        eprint!("{}", render::human(&spec.path, &spec.text, shown, color));
        return None;
    }
    let compiled = cutover_check::compile(&spec.text);
    if !compiled.diagnostics.is_empty() {
        eprint!(
            "{}",
            render::human(&spec.path, &spec.text, &compiled.diagnostics, color)
        );
    }
    if compiled.has_errors() {
        return None;
    }
    compiled.ir
}

/// What `build` was asked for.
struct BuildArgs<'a> {
    file: &'a Path,
    out: &'a Path,
    dialects: &'a [String],
    throughput: Option<f64>,
    timeline: Option<&'a Path>,
    /// `--check`: compare with `out`, write nothing.
    check: bool,
}

impl BuildArgs<'_> {
    /// The command that writes what `--check` compares.
    fn command(&self) -> String {
        let mut c = format!(
            "cutover build {} -o {}",
            shell_word(&self.file.display().to_string()),
            shell_word(&self.out.display().to_string())
        );
        if !self.dialects.is_empty() {
            c.push_str(&format!(
                " --dialect {}",
                shell_word(&self.dialects.join(","))
            ));
        }
        if let Some(t) = self.timeline {
            c.push_str(&format!(
                " --timeline {}",
                shell_word(&t.display().to_string())
            ));
        } else if let Some(t) = self.throughput {
            c.push_str(&format!(" --throughput {t}"));
        }
        c
    }
}

/// A word as a POSIX shell reads it back, quoted only when it must be.
fn shell_word(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./,:=+@%".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn build(args: &BuildArgs<'_>) -> u8 {
    let what = if args.check {
        "cutover build --check: nothing compared"
    } else {
        "cutover build: nothing written"
    };
    let mut throughput = args.throughput;
    let mut measured_sha = None;
    if let Some(path) = args.timeline {
        match read_timeline(path) {
            Ok(t) => {
                throughput = Some(t.rows_per_second);
                measured_sha = Some(t.spec_sha256);
            }
            Err(m) => {
                return fatal(
                    &m,
                    "give the file `cutover rehearse --emit-timeline FILE` wrote",
                )
            }
        }
    }
    if let Some(t) = throughput {
        if !(t.is_finite() && t > 0.0) {
            return fatal(
                &format!("--throughput {t} is not a rate"),
                "give the rows per second a rehearsal measured, e.g. --throughput 25000",
            );
        }
    }
    let spec = match read_spec(args.file) {
        Ok(s) => s,
        Err(message) => return fatal(&message, "check the path and the file's permissions"),
    };
    let Some(ir) = compile_clean(&spec, false) else {
        eprintln!("{what}, the spec has errors");
        return EXIT_FINDINGS;
    };
    let names = if args.dialects.is_empty() {
        artifacts::default_dialects(&ir)
    } else {
        args.dialects.to_vec()
    };
    let digest = artifacts::sha256_hex(&spec.text);
    if let Some(sha) = measured_sha.filter(|sha| sha != &digest) {
        eprintln!(
            "warning: the timeline was measured on another version of the spec (sha256 {}…); rehearse again to refresh it",
            sha.get(..12).unwrap_or(&sha)
        );
    }
    let path = spec.path.replace('\\', "/");
    let label = artifacts::Label {
        path: &path,
        sha256: &digest,
        text: &spec.text,
    };
    let files = match generate(&ir, &spec, &label, &names, throughput) {
        Ok(files) => files,
        Err(code) => {
            if code == EXIT_FINDINGS {
                eprintln!("{what}");
            }
            return code;
        }
    };
    if args.check {
        return build_check::run(args, &spec.path, &names, &files);
    }
    for f in &files {
        let target = f.under(args.out);
        if let Some(dir) = target.parent() {
            if let Err(e) = std::fs::create_dir_all(dir) {
                return fatal(
                    &format!("cannot create {}: {e}", dir.display()),
                    "check the output path",
                );
            }
        }
        if let Err(e) = std::fs::write(&target, &f.text) {
            return fatal(
                &format!("cannot write {}: {e}", target.display()),
                "check the output path",
            );
        }
        println!("wrote {}", target.display());
    }
    EXIT_OK
}

/// The artifacts of a clean spec, or the exit code after saying why there
/// are none: 1 for what the spec asks that a backend cannot compile (its
/// diagnostics are printed), 2 for an unknown dialect or a bug.
fn generate(
    ir: &cutover_ir::Ir,
    spec: &Spec,
    label: &artifacts::Label<'_>,
    dialects: &[String],
    throughput: Option<f64>,
) -> Result<Vec<artifacts::Artifact>, u8> {
    match artifacts::generate(ir, label, dialects, throughput) {
        Ok(files) => Ok(files),
        Err(artifacts::Refusal::UnknownDialect(name)) => {
            let known = cutover_ir::Dialect::NAMES.join(", ");
            Err(fatal(
                &format!("unknown dialect `{name}`"),
                &format!("the dialects are {known}"),
            ))
        }
        Err(artifacts::Refusal::Bug(m)) => Err(fatal(&m, "report this as a bug of cutover")),
        Err(artifacts::Refusal::NotCompilable(refused)) => {
            eprint!("{}", render::human(&spec.path, &spec.text, &refused, false));
            Err(EXIT_FINDINGS)
        }
    }
}

/// What `rehearse --emit-timeline` writes and `build --timeline` reads.
#[derive(serde::Serialize, serde::Deserialize)]
struct Timeline {
    /// The format's version.
    cutover_timeline: u32,
    spec: String,
    spec_sha256: String,
    measured_at: String,
    source: String,
    rows_read: u64,
    load_seconds: f64,
    /// Source rows read per second of load: the figure `build` uses.
    rows_per_second: f64,
    maps: Vec<TimelineMap>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct TimelineMap {
    name: String,
    rows_read: u64,
    seconds: f64,
}

const TIMELINE_VERSION: u32 = 1;

fn read_timeline(path: &Path) -> Result<Timeline, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let t: Timeline = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a Cutover timeline: {e}", path.display()))?;
    if t.cutover_timeline != TIMELINE_VERSION {
        return Err(format!(
            "{}: timeline format {} (this cutover reads {TIMELINE_VERSION})",
            path.display(),
            t.cutover_timeline
        ));
    }
    if !(t.rows_per_second.is_finite() && t.rows_per_second > 0.0) {
        return Err(format!("{}: no throughput measured", path.display()));
    }
    Ok(t)
}

fn rehearse(
    file: &Path,
    source: PathBuf,
    target: Option<PathBuf>,
    fail_gates: Vec<String>,
    format: ReportFormat,
    emit_timeline: Option<&Path>,
) -> u8 {
    let spec = match read_spec(file) {
        Ok(s) => s,
        Err(message) => return fatal(&message, "check the path and the file's permissions"),
    };
    let Some(ir) = compile_clean(&spec, false) else {
        eprintln!("cutover rehearse: not run, the spec has errors");
        return EXIT_USAGE;
    };
    for g in &fail_gates {
        if !ir.gates.iter().any(|x| &x.name == g) {
            let names: Vec<&str> = ir.gates.iter().map(|x| x.name.as_str()).collect();
            return fatal(
                &format!("--fail-gate {g}: the spec has no such gate"),
                &format!("the gates are: {}", names.join(", ")),
            );
        }
    }
    let digest = artifacts::sha256_hex(&spec.text);
    let path = spec.path.replace('\\', "/");
    let source_text = source.display().to_string();
    let opts = cutover_rehearse::Options {
        spec_path: &path,
        spec_text: &spec.text,
        sha256: &digest,
        source,
        target,
        fail_gates,
    };
    let mut progress = Bars {
        quiet: matches!(format, ReportFormat::Json),
        ticker: None,
    };
    let report = match cutover_rehearse::rehearse(&ir, &opts, &mut progress) {
        Ok(r) => r,
        Err(cutover_rehearse::Error::Input(m)) => {
            return fatal(&m, "fix the input and rehearse again")
        }
        Err(cutover_rehearse::Error::Sql(m)) => {
            return fatal(
                &m,
                "a generated statement failed on this data: report it with the data set",
            )
        }
    };
    if let Some(out) = emit_timeline {
        if !report.loaded || report.rows_read == 0 {
            eprintln!(
                "cutover rehearse: no timeline written to {}: nothing was loaded",
                out.display()
            );
        } else {
            let timeline = Timeline {
                cutover_timeline: TIMELINE_VERSION,
                spec: path.clone(),
                spec_sha256: digest.clone(),
                measured_at: format!("{}Z", now_utc().format("%Y-%m-%dT%H:%M:%S")),
                source: source_text,
                rows_read: report.rows_read,
                load_seconds: report.load_seconds,
                rows_per_second: report.rows_per_second,
                maps: report
                    .maps
                    .iter()
                    .map(|m| TimelineMap {
                        name: m.name.clone(),
                        rows_read: m.read,
                        seconds: m.seconds,
                    })
                    .collect(),
            };
            let json = serde_json::to_string_pretty(&timeline).unwrap_or_default();
            if let Err(e) = std::fs::write(out, json + "\n") {
                return fatal(
                    &format!("cannot write {}: {e}", out.display()),
                    "check the path",
                );
            }
            if !matches!(format, ReportFormat::Json) {
                eprintln!(
                    "wrote {}: {:.0} source rows/s; `cutover build --timeline {}` uses it",
                    out.display(),
                    report.rows_per_second,
                    out.display()
                );
            }
            if report.rows_read < 100_000 {
                eprintln!(
                    "warning: {} rows is a small sample: fixed costs dominate its rate; rehearse at full volume for a figure to plan with",
                    report.rows_read
                );
            }
        }
    }
    match format {
        ReportFormat::Json => match serde_json::to_string_pretty(&report) {
            Ok(j) => println!("{j}"),
            Err(e) => return fatal(&format!("report: {e}"), "report this as a bug of cutover"),
        },
        ReportFormat::Text => print!("{}", rehearsal_text(&report)),
    }
    if report.passed {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }
}

/// A rehearsal's steps on stderr, and a bar per map once its load has
/// run for a second (on a terminal only).
struct Bars {
    quiet: bool,
    ticker: Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>,
}

impl cutover_rehearse::Progress for Bars {
    fn step(&mut self, what: &str) {
        if !self.quiet {
            eprintln!("… {what}");
        }
    }

    fn counts_rows(&self) -> bool {
        !self.quiet && std::io::stderr().is_terminal()
    }

    fn map_started(&mut self, map: &str, rows: u64, counts: Arc<cutover_rehearse::RowCounts>) {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let map = map.to_owned();
        let handle = std::thread::spawn(move || {
            use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
            let started = Instant::now();
            let bar = ProgressBar::with_draw_target(Some(rows), ProgressDrawTarget::hidden());
            if let Ok(style) = ProgressStyle::with_template(
                "  {msg:<24} [{bar:30}] {human_pos}/{human_len} rows  {per_sec:0}  eta {eta}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            // Two phases: rows through the transform into the stage, then
            // the staged rows into the target or the quarantine.
            bar.set_message(format!("{map}: transform"));
            let mut shown = false;
            let mut writing = false;
            while !stopped.load(Ordering::Relaxed) {
                std::thread::park_timeout(Duration::from_millis(100));
                if !shown && started.elapsed() >= Duration::from_secs(1) {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                    shown = true;
                }
                let staged = counts.staged.load(Ordering::Relaxed);
                let written = counts.written.load(Ordering::Relaxed);
                if written > 0 && !writing {
                    writing = true;
                    bar.reset();
                    bar.set_length(staged);
                    bar.set_message(format!("{map}: write"));
                }
                bar.set_position(if writing {
                    written.min(staged)
                } else {
                    staged.min(rows)
                });
            }
            if shown {
                bar.finish_with_message(format!("{map}: {:.1}s", started.elapsed().as_secs_f64()));
            }
        });
        self.ticker = Some((stop, handle));
    }

    fn map_finished(&mut self, _map: &str) {
        if let Some((stop, handle)) = self.ticker.take() {
            stop.store(true, Ordering::Relaxed);
            handle.thread().unpark();
            let _ = handle.join();
        }
    }
}

fn rehearsal_text(r: &cutover_rehearse::Report) -> String {
    let mut out = format!("rehearsal of {} into {}\n\nmaps\n", r.spec, r.target);
    for m in &r.maps {
        out.push_str(&format!(
            "  {:<24} read {:>9}  loaded {:>9}  rejected {:>7}  {:>7.2}s\n",
            m.name, m.read, m.loaded, m.rejected, m.seconds
        ));
        for (reason, n) in &m.top_reasons {
            out.push_str(&format!("      {n:>7} × {reason}\n"));
        }
    }
    out.push_str("\ngates\n");
    for c in &r.checks {
        let verdict = match (c.passed, c.blocking) {
            (true, _) => "pass",
            (false, true) => "FAIL",
            (false, false) => "warn",
        };
        let forced = if c.forced {
            " (forced by --fail-gate)"
        } else {
            ""
        };
        out.push_str(&format!(
            "  [{verdict}] {} #{} {}: {} violating{forced} ({:.2}s)\n",
            c.gate, c.number, c.check, c.violations, c.seconds
        ));
        if !c.passed {
            for row in &c.sample {
                out.push_str(&format!("         {}\n", row.join(", ")));
            }
        }
    }
    if !r.loaded {
        out.push_str("\nnot loaded: a blocking preflight check failed\n");
    }
    if !r.triggers.is_empty() {
        out.push_str("\nrollback triggers\n");
        for t in &r.triggers {
            out.push_str(&format!(
                "  {} {}\n",
                if t.fired { "FIRED" } else { "no   " },
                t.trigger
            ));
        }
    }
    if r.rolled_back {
        out.push_str(&format!(
            "\nrolled back: target {}\n",
            match r.restored {
                Some(true) => "restored exactly (checksums equal to before the load)",
                _ => "NOT restored: checksums differ from before the load",
            }
        ));
    }
    out.push_str(&format!(
        "\n{} in {:.2}s; load {:.2}s, {:.0} source rows/s\n",
        if r.passed { "PASSED" } else { "FAILED" },
        r.seconds,
        r.load_seconds,
        r.rows_per_second
    ));
    out
}

/// The wall clock as a UTC timestamp, for `now()` in examples.
fn now_utc() -> chrono::NaiveDateTime {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    chrono::DateTime::from_timestamp_micros(since_epoch.as_micros() as i64)
        .unwrap_or_default()
        .naive_utc()
}

fn test(files: &[PathBuf], color: Color) -> u8 {
    let color = use_color(color, std::io::stdout().is_terminal());
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let now = now_utc();
    let (mut passed, mut failed, mut broken, mut unreadable) = (0usize, 0usize, 0usize, false);
    let mut stdout = std::io::stdout().lock();
    for file in files {
        let spec = match read_spec(file) {
            Ok(s) => s,
            Err(message) => {
                fatal(&message, "check the path and the file's permissions");
                unreadable = true;
                continue;
            }
        };
        let Some(ir) = compile_clean(&spec, color) else {
            eprintln!("{}: not run, the spec has errors", spec.path);
            broken += 1;
            continue;
        };
        let ir = &ir;
        // Line starts once, not a scan of the whole spec per example.
        let newlines: Vec<usize> = spec.text.match_indices('\n').map(|(i, _)| i).collect();
        for report in cutover_eval::run_examples(ir, now) {
            let line = newlines.partition_point(|&i| i < report.span.start as usize) + 1;
            let title = format!("{}:{line} {} (map {})", spec.path, report.name, report.map);
            // A closed stdout (`| head`) ends the listing, not the run.
            let _ = match report.outcome {
                cutover_eval::Outcome::Passed => {
                    passed += 1;
                    writeln!(stdout, "{} {title}", paint("32", "ok  "))
                }
                cutover_eval::Outcome::Failed { message, diff } => {
                    failed += 1;
                    let mut text = format!("{} {title}\n    {message}\n", paint("31", "FAIL"));
                    for l in diff.iter().flat_map(|d| d.lines()) {
                        let l = match l.chars().next() {
                            Some('-') if !l.starts_with("---") => paint("31", l),
                            Some('+') if !l.starts_with("+++") => paint("32", l),
                            _ => l.to_owned(),
                        };
                        text.push_str(&format!("    {l}\n"));
                    }
                    write!(stdout, "{text}")
                }
            };
        }
    }
    let _ = writeln!(
        stdout,
        "cutover test: {passed} passed, {failed} failed{}",
        if broken > 0 {
            format!(
                ", {broken} spec{} not run",
                if broken == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        }
    );
    if unreadable {
        EXIT_USAGE
    } else if failed > 0 || broken > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// A unified diff with three lines of context; empty when the texts are
/// equal.
fn unified_diff(old: &str, new: &str, from: &str, to: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(from, to)
        .to_string()
}

fn print_json(value: &serde_json::Value) {
    let mut stdout = std::io::stdout().lock();
    // A closed stdout (`| head`) is not worth a panic.
    let _ = writeln!(
        stdout,
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

fn explain(code: Option<&str>, list: bool) -> u8 {
    if list {
        for info in cutover_diagnostics::REGISTRY {
            println!("{}  {}", info.code, info.summary);
        }
        return EXIT_OK;
    }
    let code = code.unwrap_or_default();
    match cutover_diagnostics::lookup(code) {
        Some(info) => {
            print!("{}", info.explanation);
            EXIT_OK
        }
        None => {
            let codes: Vec<&str> = cutover_diagnostics::REGISTRY
                .iter()
                .map(|c| c.code)
                .collect();
            let help = match cutover_diagnostics::did_you_mean(&code.to_ascii_uppercase(), codes) {
                Some(s) => format!("did you mean {s}? `cutover explain --list` shows every code"),
                None => "`cutover explain --list` shows every code".to_owned(),
            };
            fatal(&format!("unknown diagnostic code `{code}`"), &help)
        }
    }
}

fn debug(form: Form, file: &Path) -> u8 {
    let spec = match read_spec(file) {
        Ok(s) => s,
        Err(message) => return fatal(&message, "check the path and the file's permissions"),
    };
    if let Some(d) = spec.utf8_error {
        eprint!("{}", render::human(&spec.path, &spec.text, &[d], false));
        return EXIT_FINDINGS;
    }
    let compiled = cutover_check::compile(&spec.text);
    match (form, &compiled.ast, &compiled.ir) {
        (Form::Ast, Some(ast), _) => println!("{ast:#?}"),
        (Form::Ir, _, Some(ir)) => println!("{ir:#?}"),
        _ => {}
    }
    if compiled.has_errors() {
        eprint!(
            "{}",
            render::human(&spec.path, &spec.text, &compiled.diagnostics, false)
        );
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}
