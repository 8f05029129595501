//! The generated PostgreSQL load and post-load gates against hand-written
//! SQL doing the same work, at 1,000,000 source rows of the CRM
//! customers → accounts map (`crm_accounts.cutover` beside this file).
//!
//! ```text
//! eval "$(tests/pg.sh start)"
//! cargo bench -p cutover-backend-sql --bench load_postgres
//! tests/pg.sh stop "$CUTOVER_PG_DIR"
//! ```
//!
//! `CUTOVER_BENCH_ROWS` (default 1,000,000) and `CUTOVER_BENCH_RUNS`
//! (default 5) change the size and the number of timed runs. Each run
//! empties the target, then times the generated `30_load.sql` and the
//! hand-written load (in alternating order, so neither always runs on a
//! warmer cache), then times the generated post-load checks and their
//! hand-written equivalents on the loaded target. Both loads must produce
//! the same target and quarantine, or the benchmark stops. Prints medians
//! and the ratios that docs/performance.md records.

#[path = "../../../tests/support/postgres.rs"]
mod pg;

mod support;
use support::{env_number, median, source_sql};

use cutover_backend_sql::{build, gates, Dialect, Postgres, SpecInfo};
use cutover_ir::Timing;
use postgres::Client;
use std::time::{Duration, Instant};

const SPEC: &str = include_str!("crm_accounts.cutover");

const WS: &str = r"E' \t\n\r\013\f'";

/// What a careful DBA writes by hand for the same map: one INSERT … SELECT
/// for the good rows and one for the quarantine, the same functions, the
/// date matched once per row (`OFFSET 0` keeps the planner from inlining
/// the match into every use) and validated before `make_date`, the batch
/// id a constant.
fn hand_load() -> String {
    let ns = uuid_namespace();
    format!(
        r#"
BEGIN;
INSERT INTO cutover.batches (batch_id, spec_sha256, started_at, status) VALUES (1, 'hand-written', now(), 'loading');
INSERT INTO crm.account_statuses (name, legacy_code, cutover_batch_id)
SELECT name, code, 1 FROM legacy.status_codes;
INSERT INTO crm.accounts (account_id, legacy_cust_id, first_name, last_name, company_name, email, phone,
                          birth_date, account_status, created_at, cutover_batch_id)
SELECT uuid_generate_v5('{ns}'::uuid, c.cust_id::text), c.cust_id,
       btrim(c.first_name, {WS}), btrim(c.last_name, {WS}),
       left(nullif(btrim(c.company_name, {WS}), ''), 40),
       lower(btrim(c.email, {WS})),
       nullif(btrim(c.phone, {WS}), ''),
       CASE WHEN d.m IS NOT NULL
             AND d.m[1]::int BETWEEN 1 AND 12
             AND d.m[2]::int BETWEEN 1 AND CASE WHEN d.m[1]::int IN (4, 6, 9, 11) THEN 30 WHEN d.m[1]::int <> 2 THEN 31
                 WHEN d.m[3]::int % 4 = 0 AND (d.m[3]::int % 100 <> 0 OR d.m[3]::int % 400 = 0) THEN 29 ELSE 28 END
             AND d.m[3]::int BETWEEN 1 AND 9999
            THEN make_date(d.m[3]::int, d.m[1]::int, d.m[2]::int) END,
       CASE upper(btrim(c.status_flag, {WS})) WHEN 'A' THEN 'Active' WHEN 'I' THEN 'Inactive' WHEN 'P' THEN 'Pending' END,
       c.created_date, 1
  FROM legacy.customers c
 CROSS JOIN LATERAL (SELECT regexp_match(c.dob, '^([0-9]{{1,2}})/([0-9]{{1,2}})/([0-9]{{4}})$') AS m OFFSET 0) d
 WHERE upper(btrim(c.status_flag, {WS})) IN ('A', 'I', 'P');
INSERT INTO cutover.quarantine (batch_id, map_name, source_table, source_key, rule_id, column_name, reason, source_row, quarantined_at)
SELECT 1, 'accounts', 'legacy.customers', c.cust_id::text, 'TRN-004', 'account_status', 'unknown status flag',
       row_to_json(c)::text, now()
  FROM legacy.customers c
 WHERE upper(btrim(c.status_flag, {WS})) NOT IN ('A', 'I', 'P');
UPDATE cutover.batches SET status = 'loaded', finished_at = now() WHERE batch_id = 1;
COMMIT;
"#
    )
}

/// The namespace UUID the generated script uses for `uuid_v5("legacy-crm/accounts", …)`.
fn uuid_namespace() -> String {
    cutover_eval::functions::uuid_v5_namespace("legacy-crm/accounts").to_string()
}

/// The same four post-load checks by hand: the count balance, a checksum of
/// the mapped columns (sum of 64-bit row hashes on each side), uniqueness
/// and the foreign key.
fn hand_gates() -> Vec<(&'static str, String)> {
    let hash = |cols: &str| {
        format!(
            "sum(('x' || substr(md5(concat_ws('|', {cols})), 1, 16))::bit(64)::bigint::numeric)"
        )
    };
    let source = hash(&format!(
        "c.cust_id, btrim(c.first_name, {WS}), btrim(c.last_name, {WS}), \
         coalesce(left(nullif(btrim(c.company_name, {WS}), ''), 40), '~'), \
         coalesce((CASE WHEN d.m IS NOT NULL AND d.m[1]::int BETWEEN 1 AND 12 \
           AND d.m[2]::int BETWEEN 1 AND CASE WHEN d.m[1]::int IN (4, 6, 9, 11) THEN 30 WHEN d.m[1]::int <> 2 THEN 31 \
               WHEN d.m[3]::int % 4 = 0 AND (d.m[3]::int % 100 <> 0 OR d.m[3]::int % 400 = 0) THEN 29 ELSE 28 END \
           AND d.m[3]::int BETWEEN 1 AND 9999 THEN make_date(d.m[3]::int, d.m[1]::int, d.m[2]::int) END)::text, '~'), \
         CASE upper(btrim(c.status_flag, {WS})) WHEN 'A' THEN 'Active' WHEN 'I' THEN 'Inactive' WHEN 'P' THEN 'Pending' END"
    ));
    let target = hash(
        "t.legacy_cust_id, t.first_name, t.last_name, coalesce(t.company_name, '~'), \
         coalesce(t.birth_date::text, '~'), t.account_status",
    );
    vec![
        (
            "count",
            "SELECT 1 WHERE (SELECT count(*) FROM legacy.customers) <> (SELECT count(*) FROM crm.accounts) \
             + (SELECT count(DISTINCT source_key) FROM cutover.quarantine WHERE source_table = 'legacy.customers')"
                .into(),
        ),
        (
            "checksum",
            format!(
                "SELECT 1 WHERE (SELECT {source} FROM legacy.customers c \
                   CROSS JOIN LATERAL (SELECT regexp_match(c.dob, '^([0-9]{{1,2}})/([0-9]{{1,2}})/([0-9]{{4}})$') AS m OFFSET 0) d \
                   WHERE NOT EXISTS (SELECT 1 FROM cutover.quarantine q WHERE q.map_name = 'accounts' AND q.source_key = c.cust_id::text)) \
                 IS DISTINCT FROM (SELECT {target} FROM crm.accounts t)"
            ),
        ),
        (
            "unique",
            "SELECT legacy_cust_id, count(*) FROM crm.accounts GROUP BY legacy_cust_id HAVING count(*) > 1".into(),
        ),
        (
            "fk",
            "SELECT t.account_id FROM crm.accounts t WHERE t.account_status IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM crm.account_statuses p WHERE p.name = t.account_status)"
                .into(),
        ),
    ]
}

fn reset(db: &mut Client) {
    // One statement per call: VACUUM refuses a multi-statement batch.
    for sql in [
        "TRUNCATE crm.accounts, crm.account_statuses, cutover.quarantine, cutover.batches",
        "VACUUM ANALYZE crm.accounts",
        "VACUUM ANALYZE cutover.quarantine",
        "CHECKPOINT",
    ] {
        db.batch_execute(sql).expect("reset");
    }
}

fn timed(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// A fingerprint of the target and quarantine (without the source row's
/// JSON, whose spacing differs), to prove both loads equal.
fn fingerprint(db: &mut Client) -> (i64, i64, String, String) {
    let row = db
        .query_one(
            "SELECT (SELECT count(*) FROM crm.accounts), (SELECT count(*) FROM cutover.quarantine), \
             (SELECT md5(string_agg(concat_ws('|', account_id, legacy_cust_id, first_name, last_name, company_name, email, phone, birth_date, account_status, created_at), ',' ORDER BY legacy_cust_id)) FROM crm.accounts), \
             (SELECT md5(string_agg(concat_ws('|', map_name, source_key, rule_id, column_name, reason), ',' ORDER BY source_key)) FROM cutover.quarantine)",
            &[],
        )
        .expect("fingerprint");
    (row.get(0), row.get(1), row.get(2), row.get(3))
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it too,
    // and then it only checks that it compiles and the SQL builds.
    let rows = env_number("CUTOVER_BENCH_ROWS", 1_000_000);
    let runs = env_number("CUTOVER_BENCH_RUNS", 5) as usize;
    let compiled = cutover_check::compile(SPEC);
    assert!(!compiled.has_errors(), "the benchmark spec checks clean");
    let ir = compiled.ir.expect("ir");
    let scripts = build(
        &ir,
        &Postgres,
        &SpecInfo {
            path: "crates/backend-sql/benches/crm_accounts.cutover",
            sha256: "bench",
            text: SPEC,
        },
    )
    .expect("compiles for PostgreSQL");
    let script = |name: &str| {
        scripts
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.text.clone())
            .expect("script")
    };
    let checks = gates::checks(&ir, &Postgres, SPEC, Timing::AfterLoad).expect("gates");
    if !std::env::args().any(|a| a == "--bench") {
        println!("load_postgres: built; run with `cargo bench` to measure");
        return;
    }
    let Some(mut db) = pg::database("bench_load") else {
        eprintln!("load_postgres: CUTOVER_PG is not set; start a cluster with tests/pg.sh");
        return;
    };
    db.batch_execute(&Postgres.session().join("\n").replace("SET LOCAL", "SET"))
        .expect("session");
    println!("generating {rows} source rows…");
    db.batch_execute(&source_sql(rows)).expect("source data");
    db.batch_execute(&script("10_schema.sql")).expect("schema");
    let load = script("30_load.sql");
    let hand = hand_load();
    let hand_checks = hand_gates();
    let (mut gen_load, mut hand_load_t, mut gen_gates, mut hand_gates_t) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 0..runs {
        let mut prints = Vec::new();
        let order: [bool; 2] = if run % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for generated in order {
            reset(&mut db);
            if generated {
                gen_load.push(timed(|| db.batch_execute(&load).expect("generated load")));
            } else {
                hand_load_t.push(timed(|| {
                    db.batch_execute(&hand).expect("hand-written load")
                }));
            }
            db.batch_execute("ANALYZE crm.accounts; ANALYZE cutover.quarantine;")
                .expect("analyze");
            prints.push(fingerprint(&mut db));
            // Gates on the loaded target: the generated ones after the
            // generated load, the hand-written ones after the other; both
            // in the transaction the generated script opens.
            if generated {
                gen_gates.push(timed(|| {
                    db.batch_execute(&gates::begin(&Postgres)).expect("begin");
                    for c in &checks {
                        let rows = db.query(&c.violations, &[]).expect("generated check");
                        assert!(
                            rows.is_empty(),
                            "generated check {} fails: {} rows",
                            c.label,
                            rows.len()
                        );
                    }
                    db.batch_execute("COMMIT").expect("commit");
                }));
            } else {
                hand_gates_t.push(timed(|| {
                    db.batch_execute(&gates::begin(&Postgres)).expect("begin");
                    for (name, q) in &hand_checks {
                        let rows = db.query(q.as_str(), &[]).expect("hand-written check");
                        assert!(rows.is_empty(), "hand-written check {name} fails");
                    }
                    db.batch_execute("COMMIT").expect("commit");
                }));
            }
        }
        assert_eq!(
            prints[0], prints[1],
            "both loads give the same target and quarantine"
        );
        println!(
            "run {}: generated load {}, hand-written load {}, generated gates {}, hand-written gates {} ({} loaded, {} quarantined)",
            run + 1,
            secs(gen_load[run]),
            secs(hand_load_t[run]),
            secs(gen_gates[run]),
            secs(hand_gates_t[run]),
            prints[0].0,
            prints[0].1
        );
    }
    let (gl, hl, gg, hg) = (
        median(gen_load),
        median(hand_load_t),
        median(gen_gates),
        median(hand_gates_t),
    );
    println!("\nmedians of {runs} runs at {rows} rows:");
    println!(
        "  load:  generated {} / hand-written {} = {:.2}x (target <= 1.3x)",
        secs(gl),
        secs(hl),
        gl.as_secs_f64() / hl.as_secs_f64()
    );
    println!(
        "  gates: generated {} / hand-written {} = {:.2}x (target <= 2x)",
        secs(gg),
        secs(hg),
        gg.as_secs_f64() / hg.as_secs_f64()
    );
}
