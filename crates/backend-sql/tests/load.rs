//! The generated scripts executed in order, for every shipped example and
//! broken data set, on SQLite and on PostgreSQL: schema → preflight → load
//! → validate → rollback → load → validate → load. After each load every
//! target table and the quarantine equal, cell by cell, what the reference
//! evaluator computes from the same rows (with the batch's start as the
//! clock); the rollback returns the target to its state before the load;
//! the source is never touched; and every check gives the same outcome and
//! violating rows on both databases.

#[path = "../../../tests/support/postgres.rs"]
mod pg;

mod common;
use common::{select_text, source_sql, Cells, Db};

use cutover_backend_sql::{build, Dialect, Postgres, SpecInfo, Sqlite};
use cutover_eval::{csv, Engine, Rows, Value};
use cutover_ir::{Ir, Role, TableId, Timing};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

static EMPTY: Rows = Vec::new();

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn spec_text(name: &str) -> String {
    std::fs::read_to_string(root().join(format!("examples/{name}/{name}.cutover"))).expect("spec")
}

fn example(name: &str) -> Ir {
    let compiled = cutover_check::compile(&spec_text(name));
    assert!(!compiled.has_errors(), "{name}");
    compiled.ir.expect("ir")
}

/// Sample rows of every source table that has a CSV file.
fn sources(ir: &Ir, dir: &Path) -> BTreeMap<TableId, Rows> {
    let mut out = BTreeMap::new();
    for (i, t) in ir.tables.iter().enumerate() {
        if ir.system(t.system).role != Role::Source {
            continue;
        }
        let id = TableId(i as u32);
        let rows = match std::fs::read_to_string(dir.join(format!("{}.csv", t.name))) {
            Ok(text) => csv::table_rows(ir, id, &text).expect("sample data"),
            Err(_) => Vec::new(),
        };
        out.insert(id, rows);
    }
    out
}

fn sorted(mut rows: Vec<Cells>) -> Vec<Cells> {
    rows.sort();
    rows
}

/// What the evaluator computes: target rows by table and quarantine rows
/// (map, source key, rule, column, reason).
fn expected(
    ir: &Ir,
    rows: &BTreeMap<TableId, Rows>,
    now: chrono::NaiveDateTime,
) -> (BTreeMap<TableId, Vec<Cells>>, Vec<Cells>) {
    let engine = Engine::new(ir, now);
    let mut targets: BTreeMap<TableId, Vec<Cells>> = BTreeMap::new();
    let mut quarantine = Vec::new();
    let order = cutover_backend_sql::load::map_order(ir);
    for (id, out) in engine.run_migration(&order, rows) {
        let m = ir.map(id);
        let inputs: Vec<&Rows> = m
            .sources
            .iter()
            .map(|s| rows.get(&s.table).unwrap_or(&EMPTY))
            .collect();
        let cells = |r: &Vec<Value>| r.iter().map(Value::to_text).collect::<Cells>();
        targets
            .entry(m.target)
            .or_default()
            .extend(out.rows.iter().map(cells));
        let primary = ir.table(m.source());
        for rej in &out.rejected {
            let row = &inputs[0][rej.row];
            let key: Vec<String> = primary
                .primary_key
                .iter()
                .map(|c| {
                    let pos = primary.columns.iter().position(|x| x == c).unwrap_or(0);
                    row[pos].to_text().unwrap_or_default()
                })
                .collect();
            quarantine.push(vec![
                Some(m.name.clone()),
                Some(key.join(",")),
                rej.rule.clone(),
                rej.column.map(|c| ir.column(c).name.clone()),
                Some(rej.reason.clone()),
            ]);
        }
    }
    for v in targets.values_mut() {
        v.sort();
    }
    quarantine.sort();
    (targets, quarantine)
}

fn scripts(ir: &Ir, d: &dyn Dialect, text: &str) -> BTreeMap<String, String> {
    build(
        ir,
        d,
        &SpecInfo {
            path: "spec.cutover",
            sha256: "0",
            text,
        },
    )
    .unwrap_or_else(|e| panic!("{} cannot compile: {}", d.name(), e.what))
    .into_iter()
    .map(|s| (s.name, s.text))
    .collect()
}

fn batch_clock(db: &mut dyn Db, d: &dyn Dialect, batch: i64) -> chrono::NaiveDateTime {
    let rows = db.texts(&format!(
        "SELECT CAST(started_at AS text) FROM {} WHERE batch_id = {batch}",
        d.meta_table("batches")
    ));
    let text = rows[0][0].clone().expect("start time");
    cutover_eval::value::parse_iso_timestamptz(&text).unwrap_or_else(|| panic!("clock {text}"))
}

/// One check as run: its violating rows, and whether it passed.
#[derive(Debug)]
struct CheckRun {
    gate: String,
    number: usize,
    label: String,
    blocking: bool,
    passed: bool,
    rows: Vec<Cells>,
}

impl CheckRun {
    fn id(&self) -> String {
        format!("{} #{}", self.gate, self.number)
    }
}

/// Runs every check of the gates with this timing, as the script has it.
fn run_checks(
    db: &mut dyn Db,
    d: &dyn Dialect,
    ir: &Ir,
    text: &str,
    script: &str,
    timing: Timing,
) -> Vec<CheckRun> {
    let checks = cutover_backend_sql::gates::checks(ir, d, text, timing).expect("gates compile");
    let begin = cutover_backend_sql::gates::begin(d);
    assert!(
        script.contains(&begin),
        "the script runs its checks as the runner does"
    );
    db.run(&begin);
    let mut out = Vec::new();
    for c in checks {
        assert!(
            script.contains(&c.violations),
            "the script holds check {} #{}",
            c.gate,
            c.number
        );
        let rows = db.texts(&c.violations);
        let checked = c.checked.as_ref().map(|q| {
            let n = db.texts(&format!("SELECT CAST(({q}) AS text)"));
            n[0][0]
                .as_deref()
                .unwrap_or("0")
                .parse::<u64>()
                .expect("a count")
        });
        out.push(CheckRun {
            passed: c.passes(rows.len() as u64, checked),
            gate: c.gate,
            number: c.number,
            label: c.label,
            blocking: c.blocking,
            rows,
        });
    }
    db.run("COMMIT;");
    out
}

/// The checks that failed, by id.
fn failed(runs: &[CheckRun]) -> Vec<String> {
    runs.iter()
        .filter(|r| !r.passed)
        .map(CheckRun::id)
        .collect()
}

/// What a full sequence produced: preflight, then validation after each load.
struct Sequence {
    preflight: Vec<CheckRun>,
    validate: Vec<Vec<CheckRun>>,
}

impl Sequence {
    /// Every blocking check passed, before and after every load.
    fn assert_blocking_pass(&self, what: &str) {
        for runs in std::iter::once(&self.preflight).chain(&self.validate) {
            for r in runs {
                assert!(
                    r.passed || !r.blocking,
                    "{what}: blocking check {} failed: {}\n{:?}",
                    r.id(),
                    r.label,
                    &r.rows[..r.rows.len().min(5)]
                );
            }
        }
    }
}

/// A dump of every loaded table and the quarantine, sorted: the state
/// a rollback must return to.
fn target_state(db: &mut dyn Db, d: &dyn Dialect, ir: &Ir) -> Vec<Vec<Cells>> {
    let mut out = Vec::new();
    for t in loaded(ir) {
        out.push(sorted(db.texts(&select_text(ir, d, t))));
    }
    out.push(sorted(db.texts(&format!(
        "SELECT map_name, source_key, reason FROM {}",
        d.meta_table("quarantine")
    ))));
    out
}

fn loads_like_the_evaluator(
    db: &mut dyn Db,
    d: &dyn Dialect,
    ir: &Ir,
    name: &str,
    data: &str,
) -> Sequence {
    let rows = sources(ir, &root().join(format!("examples/{name}/{data}")));
    run_sequence(db, d, ir, &spec_text(name), &rows, name, 50)
}

/// The full sequence over these source rows; `min_rows` loaded rows at
/// least, so a load that loads nothing cannot pass.
fn run_sequence(
    db: &mut dyn Db,
    d: &dyn Dialect,
    ir: &Ir,
    text: &str,
    rows: &BTreeMap<TableId, Rows>,
    name: &str,
    min_rows: usize,
) -> Sequence {
    let scripts = scripts(ir, d, text);
    db.run(&source_sql(ir, d, rows));
    let source_before: Vec<Vec<Cells>> = rows
        .keys()
        .map(|t| sorted(db.texts(&select_text(ir, d, *t))))
        .collect();
    db.run(&scripts["10_schema.sql"]);
    let preflight = run_checks(
        db,
        d,
        ir,
        text,
        &scripts["20_preflight.sql"],
        Timing::BeforeLoad,
    );
    let mut validate = Vec::new();
    let before = target_state(db, d, ir);
    let quarantine_sql = format!(
        "SELECT map_name, source_key, rule_id, column_name, reason FROM {}",
        d.meta_table("quarantine")
    );
    let loaded = crate::loaded(ir);
    let mut runs: Vec<BTreeMap<TableId, Vec<Cells>>> = Vec::new();
    for run in 1..=3 {
        db.run(&scripts["30_load.sql"]);
        validate.push(run_checks(
            db,
            d,
            ir,
            text,
            &scripts["40_validate.sql"],
            Timing::AfterLoad,
        ));
        let now = batch_clock(db, d, run);
        let (want_targets, want_quarantine) = expected(ir, rows, now);
        let mut got_targets = BTreeMap::new();
        for t in &loaded {
            got_targets.insert(*t, sorted(db.texts(&select_text(ir, d, *t))));
        }
        for t in &loaded {
            let want = want_targets.get(t).cloned().unwrap_or_default();
            let got = &got_targets[t];
            if run == 3 {
                // A second run over a loaded target adds and changes nothing.
                assert_eq!(
                    got,
                    &runs[1][t],
                    "{name} on {}: run 3 changed {}",
                    d.name(),
                    ir.table_path(*t)
                );
                continue;
            }
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(
                    g,
                    w,
                    "{name} on {}: {} differs from the evaluator",
                    d.name(),
                    ir.table_path(*t)
                );
            }
            assert_eq!(
                got.len(),
                want.len(),
                "{name} on {}: {} row count",
                d.name(),
                ir.table_path(*t)
            );
        }
        let got_q = sorted(db.texts(&quarantine_sql));
        assert_eq!(
            got_q,
            want_quarantine,
            "{name} on {}: quarantine (run {run})",
            d.name()
        );
        runs.push(got_targets);
        if run == 1 {
            assert!(
                runs[0].values().map(Vec::len).sum::<usize>() >= min_rows,
                "{name}: the load loads rows"
            );
            db.run(&scripts["90_rollback.sql"]);
            assert!(
                target_state(db, d, ir) == before,
                "{name} on {}: rollback returns the target to its state before the load",
                d.name()
            );
        }
    }
    let source_after: Vec<Vec<Cells>> = rows
        .keys()
        .map(|t| sorted(db.texts(&select_text(ir, d, *t))))
        .collect();
    assert!(
        source_before == source_after,
        "{name}: the source is untouched"
    );
    Sequence {
        preflight,
        validate,
    }
}

fn loaded(ir: &Ir) -> Vec<TableId> {
    cutover_backend_sql::rollback::loaded_tables(ir)
}

fn sqlite(ir: &Ir) -> rusqlite::Connection {
    let db = rusqlite::Connection::open_in_memory().expect("sqlite");
    cutover_sqlite_functions::register(&db).expect("functions");
    for s in &ir.systems {
        db.execute_batch(&format!(
            "ATTACH DATABASE ':memory:' AS {};",
            Sqlite.ident(&s.name)
        ))
        .expect("attach");
    }
    db
}

fn postgres(db_name: &str) -> Option<postgres::Client> {
    let mut db = pg::database(db_name)?;
    db.run(&Postgres.session().join("\n").replace("SET LOCAL", "SET"));
    Some(db)
}

/// The checks' outcomes on two databases are the same: pass or fail, and
/// the same violating rows (the sample differs by design: it is drawn by
/// the batch).
fn same_checks(a: &[CheckRun], b: &[CheckRun], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.passed, y.passed, "{what}: {} ({})", x.id(), x.label);
        if !x.label.starts_with("sample") {
            assert_eq!(
                sorted(x.rows.clone()),
                sorted(y.rows.clone()),
                "{what}: {} ({})",
                x.id(),
                x.label
            );
        }
    }
}

fn same_sequences(a: &Sequence, b: &Sequence, what: &str) {
    same_checks(&a.preflight, &b.preflight, what);
    for (x, y) in a.validate.iter().zip(&b.validate) {
        same_checks(x, y, what);
    }
}

/// The full sequence on SQLite, and on PostgreSQL when it is there: the
/// two agree with the evaluator and with each other, check by check.
fn sequence(name: &str, data: &str) -> Sequence {
    let ir = example(name);
    let mut db = sqlite(&ir);
    let lite = loads_like_the_evaluator(&mut db, &Sqlite, &ir, name, data);
    let db_name = format!("seq_{}_{}", name.replace('-', "_"), data.replace('-', "_"));
    if let Some(mut db) = postgres(&db_name) {
        let pg = loads_like_the_evaluator(&mut db, &Postgres, &ir, name, data);
        same_sequences(&lite, &pg, &format!("{name}/{data}: sqlite vs postgres"));
    }
    lite
}

fn check<'a>(runs: &'a [CheckRun], id: &str) -> &'a CheckRun {
    runs.iter()
        .find(|r| r.id() == id)
        .unwrap_or_else(|| panic!("no check {id}"))
}

/// Column `col` of a check's violating rows, by the query's column order.
fn column(run: &CheckRun, col: usize) -> Vec<String> {
    let mut v: Vec<String> = run
        .rows
        .iter()
        .map(|r| r[col].clone().unwrap_or_default())
        .collect();
    v.sort();
    v
}

/// Every shipped example, on its sample data: schema → preflight (every
/// blocking check passes) → load → validate (every blocking check passes)
/// → rollback (target back to its state before the load) → load again →
/// validate → a third run that adds nothing; the source is never touched.
/// The `warn` checks that fail are the data problems the sample data
/// carries on purpose, handled by the maps' rules.
#[test]
fn every_example_runs_the_full_sequence() {
    let warned = [
        (
            "crm",
            vec![
                "preflight #11",
                "preflight #14",
                "preflight #15",
                "preflight #17",
                "lookup coverage #1",
            ],
            vec![],
        ),
        (
            "ai-platform",
            vec![
                "preflight #7",
                "preflight #8",
                "preflight #9",
                "preflight #11",
                "preflight #17",
                "lookup coverage #1",
                "lookup coverage #2",
            ],
            vec!["post_load #29"],
        ),
        (
            "user-management",
            vec!["preflight #10", "preflight #12"],
            vec![],
        ),
    ];
    for (name, preflight, validate) in warned {
        let seq = sequence(name, "data");
        seq.assert_blocking_pass(name);
        assert_eq!(
            failed(&seq.preflight),
            preflight,
            "{name}: preflight warnings"
        );
        for v in &seq.validate {
            assert_eq!(failed(v), validate, "{name}: validation warnings");
        }
    }
}

/// The broken CRM data set (47 orphan contacts, 27 unknown stage codes):
/// the load quarantines every bad row like the evaluator; the preflight
/// reports exactly those orphans (a `warn` check) and those codes (lookup
/// coverage), and the post-load gate passes: every row is accounted for.
#[test]
fn broken_crm_data_fails_the_right_checks_with_the_right_rows() {
    let seq = sequence("crm", "data-broken");
    seq.assert_blocking_pass("crm/data-broken");
    let ir = example("crm");
    let rows = sources(&ir, &root().join("examples/crm/data-broken"));
    let table = |n: &str| {
        TableId(
            ir.tables
                .iter()
                .position(|t| t.name == n && ir.system(t.system).name == "legacy")
                .expect("table") as u32,
        )
    };
    let customers: std::collections::BTreeSet<String> = rows[&table("customers")]
        .iter()
        .filter_map(|r| r[0].to_text())
        .collect();
    let mut orphans: Vec<String> = rows[&table("contacts")]
        .iter()
        .filter(|r| r[1].to_text().is_some_and(|c| !customers.contains(&c)))
        .filter_map(|r| r[0].to_text())
        .collect();
    orphans.sort();
    assert_eq!(orphans.len(), 47);
    let fk = check(&seq.preflight, "preflight #11");
    assert!(fk.label.starts_with("fk legacy.contacts.cust_id") && !fk.passed && !fk.blocking);
    assert_eq!(column(fk, 0), orphans, "the orphan contacts, by contact_id");
    let stages = check(&seq.preflight, "lookup coverage #1");
    assert!(stages.label.contains("stage_names"), "{}", stages.label);
    let codes: u64 = stages
        .rows
        .iter()
        .map(|r| {
            r[1].as_deref()
                .unwrap_or("0")
                .parse::<u64>()
                .expect("count")
        })
        .sum();
    assert_eq!(codes, 27, "27 opportunities with unknown stage codes");
    assert!(
        column(stages, 0).contains(&"'ON-HOLD'".to_string())
            || column(stages, 0).contains(&"ON-HOLD".to_string()),
        "{:?}",
        stages.rows
    );
    for v in &seq.validate {
        assert!(
            v.iter().all(|c| c.passed),
            "post_load passes: every row is loaded or quarantined"
        );
    }
}

/// The broken AI-platform data set: 13 models with unknown status codes are
/// quarantined, and so are the training runs, experiments and metrics that
/// point at them (their parent row was not loaded), instead of the load
/// failing on the foreign key. The post-load gate passes.
#[test]
fn broken_ai_platform_data_quarantines_children_of_rejected_rows() {
    let seq = sequence("ai-platform", "data-broken");
    seq.assert_blocking_pass("ai-platform/data-broken");
    let statuses = check(&seq.preflight, "lookup coverage #1");
    let n: u64 = statuses
        .rows
        .iter()
        .map(|r| {
            r[1].as_deref()
                .unwrap_or("0")
                .parse::<u64>()
                .expect("count")
        })
        .sum();
    assert!(
        statuses.label.contains("status_names"),
        "{}",
        statuses.label
    );
    assert_eq!(n, 13, "{:?}", statuses.rows);
    // The loads agreed with the evaluator, which quarantines the children.
    let ir = example("ai-platform");
    let rows = sources(&ir, &root().join("examples/ai-platform/data-broken"));
    let order = cutover_backend_sql::load::map_order(&ir);
    let children: usize = Engine::new(&ir, chrono::NaiveDateTime::default())
        .run_migration(&order, &rows)
        .iter()
        .flat_map(|(_, out)| &out.rejected)
        .filter(|r| r.reason.ends_with("(its parent row was not loaded)"))
        .count();
    assert!(children > 0, "children of rejected models are quarantined");
}

/// The data set the preflight exists for: each blocking check it breaks
/// fails, with exactly the offending rows, on both databases.
#[test]
fn broken_preflight_data_fails_the_blocking_checks() {
    let ir = example("crm");
    let text = spec_text("crm");
    let rows = sources(&ir, &root().join("examples/crm/data-broken-preflight"));
    let run = |db: &mut dyn Db, d: &dyn Dialect| -> Vec<CheckRun> {
        let scripts = scripts(&ir, d, &text);
        db.run(&source_sql(&ir, d, &rows));
        db.run(&scripts["10_schema.sql"]);
        run_checks(
            db,
            d,
            &ir,
            &text,
            &scripts["20_preflight.sql"],
            Timing::BeforeLoad,
        )
    };
    let mut lite_db = sqlite(&ir);
    let lite = run(&mut lite_db, &Sqlite);
    if let Some(mut db) = postgres("preflight_crm_broken") {
        same_checks(
            &lite,
            &run(&mut db, &Postgres),
            "crm/data-broken-preflight: sqlite vs postgres",
        );
    }
    let blocking: Vec<String> = lite
        .iter()
        .filter(|r| r.blocking && !r.passed)
        .map(CheckRun::id)
        .collect();
    assert_eq!(
        blocking,
        [
            "preflight #5",
            "preflight #13",
            "preflight #16",
            "preflight #18"
        ]
    );
    let sku = check(&lite, "preflight #5");
    assert!(sku.label == "unique legacy.products.sku", "{}", sku.label);
    assert_eq!(sku.rows.len(), 2, "two SKUs occur twice: {:?}", sku.rows);
    assert!(sku.rows.iter().all(|r| r[1].as_deref() == Some("2")));
    let orders = check(&lite, "preflight #13");
    assert!(orders.label.starts_with("fk legacy.orders.cust_id"));
    assert_eq!(column(orders, 0), ["90100", "90101"]);
    let names = check(&lite, "preflight #16");
    assert!(names.label.contains("trim(first_name)"));
    assert_eq!(column(names, 0), ["1200"]);
    let future = check(&lite, "preflight #18");
    assert!(future.label.contains("order_date <="));
    assert_eq!(column(future, 0), ["90102"]);
}

/// A load that breaks a target constraint (two products with one SKU, the
/// data set the preflight gate blocks) fails as a whole: the transaction
/// leaves no row behind, so nothing is half-loaded.
#[test]
fn a_load_that_breaks_a_target_constraint_leaves_nothing() {
    let ir = example("crm");
    let rows = sources(&ir, &root().join("examples/crm/data-broken-preflight"));
    let scripts = scripts(&ir, &Sqlite, &spec_text("crm"));
    let mut db = sqlite(&ir);
    db.run(&source_sql(&ir, &Sqlite, &rows));
    db.run(&scripts["10_schema.sql"]);
    let err = db
        .execute_batch(&scripts["30_load.sql"])
        .expect_err("the duplicate SKU fails the load");
    assert!(err.to_string().contains("products.sku"), "{err}");
    db.run("ROLLBACK;");
    for t in loaded(&ir) {
        assert!(db.texts(&select_text(&ir, &Sqlite, t)).is_empty());
    }
    let batches = db.texts(&format!("SELECT * FROM {}", Sqlite.meta_table("batches")));
    assert!(batches.is_empty(), "no batch is recorded");
}

/// The post-load checks catch a target that does not match the source: a
/// changed name fails the like-for-like checksum with that account's key,
/// a deleted row fails the count balance and the checksum ("missing in
/// the target"), and two rows no source row maps to fail it ("not from the
/// source"), on both databases.
#[test]
fn a_tampered_target_fails_the_checksum_and_the_count() {
    let ir = example("crm");
    let text = spec_text("crm");
    let rows = sources(&ir, &root().join("examples/crm/data"));
    let run = |db: &mut dyn Db, d: &dyn Dialect| -> Vec<CheckRun> {
        let scripts = scripts(&ir, d, &text);
        db.run(&source_sql(&ir, d, &rows));
        db.run(&scripts["10_schema.sql"]);
        db.run(&scripts["30_load.sql"]);
        let before = run_checks(
            db,
            d,
            &ir,
            &text,
            &scripts["40_validate.sql"],
            Timing::AfterLoad,
        );
        assert!(before.iter().all(|c| c.passed), "{:?}", failed(&before));
        let accounts = d.table("crm", "accounts");
        db.run(&format!(
            "UPDATE {accounts} SET first_name = 'Tampered' WHERE legacy_cust_id = 1001;
             DELETE FROM {} WHERE account_id IN (SELECT account_id FROM {accounts} WHERE legacy_cust_id = 1002);
             DELETE FROM {} WHERE account_id IN (SELECT account_id FROM {accounts} WHERE legacy_cust_id = 1002);
             DELETE FROM {} WHERE account_id IN (SELECT account_id FROM {accounts} WHERE legacy_cust_id = 1002);
             DELETE FROM {} WHERE account_id IN (SELECT account_id FROM {accounts} WHERE legacy_cust_id = 1002);
             DELETE FROM {accounts} WHERE legacy_cust_id = 1002;
             INSERT INTO {accounts} (account_id, legacy_cust_id, first_name, last_name, account_status, migrated_at, cutover_batch_id)
             SELECT '00000000-0000-4000-8000-000000000001', 999999, first_name, last_name, account_status, migrated_at, cutover_batch_id
               FROM {accounts} WHERE legacy_cust_id = 1003;
             INSERT INTO {accounts} (account_id, legacy_cust_id, first_name, last_name, account_status, migrated_at, cutover_batch_id)
             SELECT '00000000-0000-4000-8000-000000000002', 999998, first_name, last_name, account_status, migrated_at, cutover_batch_id
               FROM {accounts} WHERE legacy_cust_id = 1003;",
            d.table("crm", "addresses"),
            d.table("crm", "contacts"),
            d.table("crm", "opportunities"),
            d.table("crm", "order_summaries"),
        ));
        let tampered = run_checks(
            db,
            d,
            &ir,
            &text,
            &scripts["40_validate.sql"],
            Timing::AfterLoad,
        );
        // Every account changed: whichever rows the sample draws differ.
        db.run(&format!(
            "UPDATE {accounts} SET last_name = last_name || '!'"
        ));
        let all = run_checks(
            db,
            d,
            &ir,
            &text,
            &scripts["40_validate.sql"],
            Timing::AfterLoad,
        );
        let sample = all
            .iter()
            .find(|c| c.label.starts_with("sample"))
            .expect("sample check");
        assert!(!sample.passed);
        assert!(
            sample
                .rows
                .iter()
                .any(|r| r[0].as_deref() == Some("accounts")
                    && r[2].as_deref().is_some_and(|p| p.contains("last_name"))),
            "{:?}",
            sample.rows
        );
        tampered
    };
    let mut lite_db = sqlite(&ir);
    let lite = run(&mut lite_db, &Sqlite);
    if let Some(mut db) = postgres("tampered_crm") {
        let pg = run(&mut db, &Postgres);
        // The sample is drawn per batch; everything else must agree.
        same_checks(&lite, &pg, "tampered: sqlite vs postgres");
    }
    let checksum = lite
        .iter()
        .find(|c| {
            c.label
                .starts_with("checksum legacy.customers -> crm.accounts")
        })
        .expect("the accounts checksum");
    assert!(!checksum.passed);
    let problems: Vec<String> = checksum
        .rows
        .iter()
        .map(|r| r[1].clone().unwrap_or_default())
        .collect();
    assert_eq!(checksum.rows.len(), 4, "{:?}", checksum.rows);
    assert!(
        problems.contains(&"differs".to_string())
            && problems.contains(&"missing in the target".to_string())
            && problems.contains(&"not from the source".to_string()),
        "{problems:?}"
    );
    let count = check(&lite, "post_load #1");
    assert!(
        !count.passed,
        "loaded + rejected no longer equals read (one row fewer, two more)"
    );
}

/// `reconcile MAP` compares every source row, with the map applied, with
/// the target by key: after a clean load it finds nothing; after the
/// target is tampered with it names the changed key with its column, the
/// deleted key, and the row no source row gives, the same on both
/// databases.
#[test]
fn reconcile_names_differing_missing_and_extra_keys() {
    let text = format!(
        "{}\ngate reconciled after load {{\n  reconcile accounts show 5\n}}\n",
        spec_text("crm")
    );
    let compiled = cutover_check::compile(&text);
    assert!(!compiled.has_errors(), "{:?}", compiled.diagnostics);
    let ir = compiled.ir.expect("ir");
    // `show 5` bounds what reports list (rehearse, the Python runner).
    let shown: Vec<Option<u64>> =
        cutover_backend_sql::gates::checks(&ir, &Sqlite, &text, Timing::AfterLoad)
            .expect("gates")
            .iter()
            .filter(|c| c.gate == "reconciled")
            .map(|c| c.shown)
            .collect();
    assert_eq!(shown, [Some(5)]);
    let rows = sources(&ir, &root().join("examples/crm/data"));
    let run = |db: &mut dyn Db, d: &dyn Dialect| -> (CheckRun, CheckRun) {
        let scripts = scripts(&ir, d, &text);
        db.run(&source_sql(&ir, d, &rows));
        db.run(&scripts["10_schema.sql"]);
        db.run(&scripts["30_load.sql"]);
        let reconcile = |db: &mut dyn Db| {
            run_checks(
                db,
                d,
                &ir,
                &text,
                &scripts["40_validate.sql"],
                Timing::AfterLoad,
            )
            .into_iter()
            .find(|c| c.gate == "reconciled")
            .expect("the reconcile check")
        };
        let ranges = |db: &mut dyn Db| -> Vec<Cells> {
            cutover_backend_sql::gates::range_queries(&ir, d)
                .expect("ranges")
                .iter()
                .flat_map(|(_, q)| db.texts(q))
                .collect()
        };
        let clean = reconcile(db);
        assert_eq!(
            ranges(db),
            Vec::<Cells>::new(),
            "no range differs after a clean load"
        );
        let accounts = d.table("crm", "accounts");
        let mut tamper =
            format!("UPDATE {accounts} SET first_name = 'Tampered' WHERE legacy_cust_id = 1001;\n");
        for child in ["addresses", "contacts", "opportunities", "order_summaries"] {
            tamper.push_str(&format!(
                "DELETE FROM {} WHERE account_id IN (SELECT account_id FROM {accounts} WHERE legacy_cust_id = 1002);\n",
                d.table("crm", child)
            ));
        }
        tamper.push_str(&format!(
            "DELETE FROM {accounts} WHERE legacy_cust_id = 1002;
             INSERT INTO {accounts} (account_id, legacy_cust_id, first_name, last_name, account_status, migrated_at, cutover_batch_id)
             SELECT '00000000-0000-4000-8000-000000000001', 999999, first_name, last_name, account_status, migrated_at, cutover_batch_id
               FROM {accounts} WHERE legacy_cust_id = 1003;"
        ));
        db.run(&tamper);
        // The changed, the deleted and the extra key fall in at most three
        // of the 256 ranges, which are named.
        let differing = ranges(db);
        assert!((1..=3).contains(&differing.len()), "{differing:?}");
        (clean, reconcile(db))
    };
    let mut lite_db = sqlite(&ir);
    let (clean, tampered) = run(&mut lite_db, &Sqlite);
    assert!(clean.passed, "{:?}", clean.rows);
    assert!(!tampered.passed);
    let mut problems: Vec<String> = tampered
        .rows
        .iter()
        .map(|r| r[2].clone().unwrap_or_default())
        .collect();
    problems.sort();
    assert_eq!(
        problems,
        [
            "differs: first_name",
            "extra in the target",
            "missing in the target"
        ],
        "{:?}",
        tampered.rows
    );
    let extra = tampered
        .rows
        .iter()
        .find(|r| r[2].as_deref() == Some("extra in the target"))
        .expect("extra row");
    assert_eq!(
        extra[1].as_deref(),
        Some("00000000-0000-4000-8000-000000000001")
    );
    if let Some(mut db) = postgres("reconcile_crm") {
        let (pg_clean, pg_tampered) = run(&mut db, &Postgres);
        assert!(pg_clean.passed, "{:?}", pg_clean.rows);
        same_checks(
            std::slice::from_ref(&tampered),
            std::slice::from_ref(&pg_tampered),
            "reconcile: sqlite vs postgres",
        );
    }
}

/// Names that break naive SQL (reserved words, quotes, spaces, capitals,
/// non-ASCII) and values with quotes: the full sequence runs on both
/// databases like the evaluator, and every check passes.
#[test]
fn hostile_names_run_the_full_sequence() {
    let text =
        std::fs::read_to_string(root().join("tests/sql/hostile-names.cutover")).expect("spec");
    let compiled = cutover_check::compile(&text);
    assert!(!compiled.has_errors());
    let ir = compiled.ir.expect("ir");
    let t = TableId(
        ir.tables
            .iter()
            .position(|t| t.name == "select")
            .expect("source") as u32,
    );
    let text_or_null = |s: Option<&str>| s.map_or(Value::Null, |s| Value::Text(s.into()));
    let rows: Rows = [
        (1, "Zoë", Some("it's \"q\""), Some("it's")),
        (2, "O'Brien", None, Some("a\"b")),
        (3, "a\"b", Some(""), None),
        (4, "x'y", Some("it's"), Some("nope")),
    ]
    .iter()
    .map(|(k, g, ab, o)| {
        vec![
            Value::Int(*k),
            Value::Text((*g).into()),
            text_or_null(*ab),
            text_or_null(*o),
        ]
    })
    .collect();
    let rows = BTreeMap::from([(t, rows)]);
    let mut db = sqlite(&ir);
    let lite = run_sequence(&mut db, &Sqlite, &ir, &text, &rows, "hostile-names", 4);
    // The value no lookup entry covers is reported before the load, by
    // the assert (it cannot be computed) and by the lookup coverage.
    assert_eq!(
        failed(&lite.preflight),
        ["pre flight #3", "lookup coverage #1"]
    );
    let coverage = check(&lite.preflight, "lookup coverage #1");
    // NULL is no key of a lookup either (docs/functions.md).
    assert_eq!(
        sorted(coverage.rows.clone()),
        [
            vec![None, Some("1".to_string())],
            vec![Some("nope".to_string()), Some("1".to_string())]
        ]
    );
    let assert_rows = check(&lite.preflight, "pre flight #3");
    assert_eq!(column(assert_rows, 0), ["4"]);
    for v in &lite.validate {
        assert!(failed(v).is_empty(), "{:?}", failed(v));
    }
    if let Some(mut db) = postgres("hostile_sequence") {
        let pg = run_sequence(&mut db, &Postgres, &ir, &text, &rows, "hostile-names", 4);
        same_sequences(&lite, &pg, "hostile names: sqlite vs postgres");
    }
}
