//! Every file `cutover build` writes, generated in memory first: `build`
//! writes them, `build --check` compares them with a directory and `diff`
//! compares those of two specs. Nothing here touches the file system.

use cutover_diagnostics::{codes, Diagnostic};
use cutover_ir::Ir;
use std::path::{Path, PathBuf};

/// One generated file.
pub struct Artifact {
    /// Relative to the output directory, `/`-separated: `runbook.md`,
    /// `python/<pkg>/transforms.py`, `sql/<dialect>/10_schema.sql`.
    pub path: String,
    pub text: String,
}

impl Artifact {
    /// Where the file goes under `out`.
    pub fn under(&self, out: &Path) -> PathBuf {
        under(out, &self.path)
    }
}

/// `out` joined with a `/`-separated relative path, one component at a
/// time so the separators are the platform's.
pub fn under(out: &Path, rel: &str) -> PathBuf {
    rel.split('/').fold(out.to_path_buf(), |p, s| p.join(s))
}

/// The spec as the artifacts name it.
pub struct Label<'a> {
    /// The path written into headers and package names.
    pub path: &'a str,
    pub sha256: &'a str,
    /// The spec's text (the runbook quotes it by line).
    pub text: &'a str,
}

/// Why nothing could be generated.
pub enum Refusal {
    /// A `--dialect` Cutover does not know.
    UnknownDialect(String),
    /// Constructs a backend cannot compile (E0381), one diagnostic each.
    NotCompilable(Vec<Diagnostic>),
    /// A template failed: a bug of Cutover's, never the spec's.
    Bug(String),
}

/// The dialects the spec's systems name, plus sqlite for rehearsal.
pub fn default_dialects(ir: &Ir) -> Vec<String> {
    let mut names: Vec<String> = ir
        .systems
        .iter()
        .map(|s| s.dialect.name().to_owned())
        .collect();
    names.push("sqlite".to_owned());
    names.sort();
    names.dedup();
    names
}

/// The SHA-256 of a spec's text, as the artifacts record it.
pub fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(text.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every artifact of a spec, in the order `build` writes them: the docs,
/// the Python package under `python/`, then the SQL of each dialect (sorted
/// and deduplicated) under `sql/<dialect>/`. Every dialect is compiled
/// before anything is returned, so a refusal leaves nothing half-built.
pub fn generate(
    ir: &Ir,
    spec: &Label<'_>,
    dialects: &[String],
    throughput: Option<f64>,
) -> Result<Vec<Artifact>, Refusal> {
    let mut names = dialects.to_vec();
    names.sort();
    names.dedup();
    let info = cutover_backend_sql::SpecInfo {
        path: spec.path,
        sha256: spec.sha256,
        text: spec.text,
    };
    let mut sql = Vec::new();
    let mut refused = Vec::new();
    for name in &names {
        let Some(dialect) = cutover_backend_sql::dialect::by_name(name) else {
            return Err(Refusal::UnknownDialect(name.clone()));
        };
        match cutover_backend_sql::build(ir, dialect.as_ref(), &info) {
            Ok(scripts) => sql.extend(scripts.into_iter().map(|s| Artifact {
                path: format!("sql/{name}/{}", s.name),
                text: s.text,
            })),
            Err(u) => {
                let mut d = Diagnostic::new(
                    codes::NOT_COMPILABLE,
                    format!("cannot compile {} for {name}", u.what),
                )
                .help("write it another way (`cutover explain E0381` lists the constructs), or build other dialects with `--dialect`");
                if let Some(span) = u.span {
                    d = d.primary(span, format!("no {name} SQL for this"));
                }
                refused.push(d);
            }
        }
    }
    let python = cutover_backend_python::SpecInfo {
        path: spec.path,
        sha256: spec.sha256,
        text: spec.text,
    };
    let python = match cutover_backend_python::build(ir, &python) {
        Ok(files) => files,
        Err(u) => {
            refused.push(
                Diagnostic::new(
                    codes::NOT_COMPILABLE,
                    format!("cannot compile {} for Python", u.0),
                )
                .help("write it another way (`cutover explain E0381` lists the constructs)"),
            );
            Vec::new()
        }
    };
    let docs = cutover_backend_docs::build(
        ir,
        &cutover_backend_docs::Source {
            path: spec.path,
            sha256: spec.sha256,
            text: spec.text,
        },
        throughput,
    )
    .map_err(|e| Refusal::Bug(e.0))?;
    if !refused.is_empty() {
        return Err(Refusal::NotCompilable(refused));
    }
    let mut out: Vec<Artifact> = docs
        .into_iter()
        .map(|f| Artifact {
            path: f.path,
            text: f.text,
        })
        .collect();
    out.extend(python.into_iter().map(|f| Artifact {
        path: format!("python/{}", f.path),
        text: f.text,
    }));
    out.extend(sql);
    Ok(out)
}
