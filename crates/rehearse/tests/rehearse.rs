//! Rehearsals of the shipped examples on embedded SQLite: clean data
//! passes; broken data fires the triggers and the rollback restores the
//! target exactly; the source is never written; bad input is refused
//! with the file, line and column.

use cutover_rehearse::{csv_to_sqlite, rehearse, Error, Options, Progress, Report, RowCounts};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn spec(name: &str) -> (cutover_ir::Ir, String, String) {
    let path = format!("examples/{name}/{name}.cutover");
    let text = std::fs::read_to_string(root().join(&path)).expect("spec");
    let compiled = cutover_check::compile(&text);
    assert!(!compiled.has_errors(), "{name}");
    (compiled.ir.expect("ir"), text, path)
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cutover-rehearse-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn run(
    name: &str,
    source: PathBuf,
    target: Option<PathBuf>,
    fail: &[&str],
) -> Result<Report, Error> {
    let (ir, text, path) = spec(name);
    let opts = Options {
        spec_path: &path,
        spec_text: &text,
        sha256: "0",
        source,
        target,
        fail_gates: fail.iter().map(|s| s.to_string()).collect(),
    };
    rehearse(&ir, &opts, &mut |_: &str| {})
}

#[test]
fn every_example_rehearses_clean_with_its_sample_data() {
    for name in ["crm", "user-management", "ai-platform"] {
        let r = run(
            name,
            root().join(format!("examples/{name}/data")),
            None,
            &[],
        )
        .expect("rehearsal");
        assert!(r.passed, "{name}: {r:#?}");
        assert!(r.loaded && !r.rolled_back, "{name}");
        assert!(r.checks.iter().all(|c| c.passed || !c.blocking), "{name}");
        assert!(
            r.maps
                .iter()
                .all(|m| m.loaded + m.rejected <= m.read || m.read == 0),
            "{name}"
        );
        assert!(
            r.maps.iter().map(|m| m.loaded).sum::<u64>() >= 50,
            "{name}: {:?}",
            r.maps
        );
    }
}

fn digest(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read")
}

#[test]
fn broken_data_fires_the_triggers_and_the_rollback_restores_the_target() {
    let (ir, _, _) = spec("crm");
    let dir = temp("broken");
    let source = dir.join("legacy.sqlite");
    csv_to_sqlite(&ir, &root().join("examples/crm/data-broken"), &source).expect("source file");
    let before = digest(&source);
    let target = dir.join("target.sqlite");
    let r = run("crm", source.clone(), Some(target.clone()), &[]).expect("rehearsal");
    assert!(!r.passed, "{r:#?}");
    assert!(r.triggers.iter().any(|t| t.fired), "{:?}", r.triggers);
    assert!(r.rolled_back);
    assert_eq!(
        r.restored,
        Some(true),
        "the rollback restores the target exactly"
    );
    assert_eq!(before, digest(&source), "the source file is untouched");
    // Rows were quarantined before the rollback undid the batch.
    assert!(r.maps.iter().any(|m| m.rejected > 0), "{:?}", r.maps);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_forced_gate_failure_rehearses_the_rollback() {
    let r = run(
        "ai-platform",
        root().join("examples/ai-platform/data"),
        None,
        &["post_load"],
    )
    .expect("rehearsal");
    assert!(!r.passed);
    assert!(r.checks.iter().any(|c| c.forced && !c.passed));
    assert!(r.rolled_back);
    assert_eq!(r.restored, Some(true));
}

#[test]
fn a_failing_preflight_stops_before_the_load() {
    let r = run(
        "crm",
        root().join("examples/crm/data-broken-preflight"),
        None,
        &[],
    )
    .expect("rehearsal");
    assert!(!r.passed && !r.loaded && !r.rolled_back, "{r:#?}");
    assert!(r
        .checks
        .iter()
        .any(|c| c.blocking && !c.passed && c.timing == "before load"));
}

#[test]
fn bad_input_names_the_file_line_and_column() {
    let dir = temp("bad");
    for f in std::fs::read_dir(root().join("examples/crm/data")).expect("data") {
        let f = f.expect("entry").path();
        if f.extension().is_some_and(|e| e == "csv") {
            std::fs::copy(&f, dir.join(f.file_name().expect("name"))).expect("copy");
        }
    }
    let products = std::fs::read_to_string(dir.join("products.csv")).expect("products");
    let header = products.lines().next().expect("header");
    let cases: Vec<(String, Vec<u8>, &str)> = vec![
        (
            "wrong column count".into(),
            format!("{header}\n999,SKU-X,Name\n").into_bytes(),
            "line 2: 3 fields, the header has 7",
        ),
        (
            "bad value".into(),
            format!("{header}\n999,SKU-X,N,d,c,notaprice,0\n").into_bytes(),
            "line 2, column `unit_price`",
        ),
        (
            "bad encoding".into(),
            [header.as_bytes(), b"\n999,SKU-\xff,N,d,c,1.00,0\n"].concat(),
            "line 2: not UTF-8",
        ),
    ];
    for (what, bytes, expected) in cases {
        std::fs::write(dir.join("products.csv"), bytes).expect("write");
        match run("crm", dir.clone(), None, &[]) {
            Err(Error::Input(m)) => {
                assert!(
                    m.contains("products.csv") && m.contains(expected),
                    "{what}: {m}"
                )
            }
            other => panic!("{what}: {other:?}"),
        }
    }
    std::fs::remove_file(dir.join("products.csv")).expect("remove");
    match run("crm", dir.clone(), None, &[]) {
        Err(Error::Input(m)) => assert!(m.contains("products.csv: missing"), "{m}"),
        other => panic!("missing table: {other:?}"),
    }
    let empty = dir.join("empty.sqlite");
    rusqlite_free_file(&empty);
    match run("crm", empty.clone(), None, &[]) {
        Err(Error::Input(m)) => assert!(m.contains("no table `customers`"), "{m}"),
        other => panic!("missing table in a SQLite file: {other:?}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// An empty SQLite database file (zero bytes is one).
fn rusqlite_free_file(path: &Path) {
    std::fs::write(path, b"").expect("empty file");
}

/// Records the steps and, per map, the rows SQLite's update hook counted.
#[derive(Default)]
struct Recorder {
    steps: Vec<String>,
    maps: Vec<(String, u64, Arc<RowCounts>)>,
    finished: Vec<String>,
}

impl Progress for Recorder {
    fn step(&mut self, what: &str) {
        self.steps.push(what.to_owned());
    }
    fn counts_rows(&self) -> bool {
        true
    }
    fn map_started(&mut self, map: &str, source_rows: u64, counts: Arc<RowCounts>) {
        self.maps.push((map.to_owned(), source_rows, counts));
    }
    fn map_finished(&mut self, map: &str) {
        self.finished.push(map.to_owned());
    }
}

/// The progress a display shows is the rows SQLite really wrote: per map,
/// rows staged = source rows (the CRM maps without `where`) and rows
/// written = loaded + rejected, as the report counts them afterwards.
#[test]
fn progress_counts_the_rows_each_map_stages_and_writes() {
    let (ir, text, path) = spec("crm");
    let opts = Options {
        spec_path: &path,
        spec_text: &text,
        sha256: "0",
        source: root().join("examples/crm/data"),
        target: None,
        fail_gates: Vec::new(),
    };
    let mut rec = Recorder::default();
    let r = rehearse(&ir, &opts, &mut rec).expect("rehearsal");
    assert!(r.passed);
    assert_eq!(
        rec.steps.first().map(String::as_str),
        Some("preflight gates")
    );
    let names: Vec<&str> = r.maps.iter().map(|m| m.name.as_str()).collect();
    let started: Vec<&str> = rec.maps.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(started, names);
    assert_eq!(rec.finished, names);
    for (name, source_rows, counts) in &rec.maps {
        let m = r.maps.iter().find(|m| &m.name == name).expect("map");
        assert_eq!(*source_rows, m.read, "{name}");
        let written = counts.written.load(Ordering::Relaxed);
        assert_eq!(written, m.loaded + m.rejected, "{name}");
        let map = ir.maps.iter().find(|x| &x.name == name).expect("map");
        if map.filter.is_none() && map.group_by.is_empty() {
            assert_eq!(counts.staged.load(Ordering::Relaxed), m.read, "{name}");
        }
    }
    assert!(rec
        .maps
        .iter()
        .any(|(_, _, c)| c.staged.load(Ordering::Relaxed) > 100));
}
