//! A chunked load (`batch 50_000 by cust_id`) against the one-shot load of
//! the same map, at 1,000,000 source rows of the CRM customers → accounts
//! map (`crm_accounts.cutover`), on PostgreSQL, each run by psql as a
//! person runs `30_load.sql`.
//!
//! ```text
//! eval "$(tests/pg.sh start)"
//! cargo bench -p cutover-backend-sql --bench chunked_load
//! tests/pg.sh stop "$CUTOVER_PG_DIR"
//! ```
//!
//! `CUTOVER_BENCH_ROWS` (default 1,000,000) and `CUTOVER_BENCH_RUNS`
//! (default 5) change the size and the number of timed runs. Each run
//! empties the targets and Cutover's tables, then times both loads in
//! alternating order. Both must leave the same target and quarantine, or
//! the benchmark stops. Prints the medians and the ratio that
//! docs/performance.md records (the issue's target: within 1.2×).

#[path = "../../../tests/support/postgres.rs"]
mod pg;

mod support;
use support::{env_number, median, psql, write_scripts};

const SPEC: &str = include_str!("crm_accounts.cutover");

/// The target and quarantine, summarised: row counts and an md5 of every
/// row in key order (the batch column left out).
fn digest(db: &mut postgres::Client) -> Vec<String> {
    [
        "SELECT count(*)::text || ' ' || md5(string_agg(concat_ws('|', account_id, legacy_cust_id, first_name, last_name, company_name, email, phone, birth_date, account_status, created_at), ',' ORDER BY account_id)) FROM crm.accounts",
        "SELECT count(*)::text || ' ' || md5(string_agg(concat_ws('|', map_name, source_key, reason), ',' ORDER BY map_name, source_key)) FROM cutover.quarantine",
    ]
    .iter()
    .map(|q| db.query_one(*q, &[]).expect("digest").get(0))
    .collect()
}

fn main() {
    let rows = env_number("CUTOVER_BENCH_ROWS", 1_000_000);
    let runs = env_number("CUTOVER_BENCH_RUNS", 5) as usize;
    let batched = SPEC.replacen(
        "map accounts: legacy.customers -> crm.accounts {\n",
        "map accounts: legacy.customers -> crm.accounts {\n  batch 50_000 by cust_id\n",
        1,
    );
    assert_ne!(batched, SPEC, "the benchmark spec has the accounts map");
    let dir = std::env::temp_dir().join(format!("cutover-bench-chunked-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch");
    write_scripts(SPEC, &dir, "oneshot_");
    write_scripts(&batched, &dir, "chunked_");
    if !std::env::args().any(|a| a == "--bench") {
        println!("chunked_load: built; run with `cargo bench` to measure");
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let Some(mut db) = pg::database("bench_chunked") else {
        eprintln!("chunked_load: CUTOVER_PG is not set; start a cluster with tests/pg.sh");
        return;
    };
    let conninfo = support::conninfo(&mut db);
    db.batch_execute(&support::source_sql(rows))
        .expect("source rows");
    // The chunked schema: the one-shot's and the checkpoints.
    psql(&conninfo, &dir.join("chunked_10_schema.sql"));
    let (mut one, mut chunked) = (Vec::new(), Vec::new());
    let mut digests = Vec::new();
    for run in 0..runs {
        let time = |prefix: &str, db: &mut postgres::Client| {
            db.batch_execute(
                "TRUNCATE crm.accounts, crm.account_statuses, cutover.quarantine, cutover.batches, cutover.checkpoints",
            )
            .expect("empty the target");
            db.batch_execute("VACUUM ANALYZE crm.accounts")
                .expect("vacuum");
            let t = psql(&conninfo, &dir.join(format!("{prefix}_30_load.sql")));
            (t, digest(db))
        };
        let order = if run % 2 == 0 {
            ["oneshot", "chunked"]
        } else {
            ["chunked", "oneshot"]
        };
        for prefix in order {
            let (t, d) = time(prefix, &mut db);
            digests.push(d);
            if prefix == "oneshot" {
                one.push(t);
            } else {
                chunked.push(t);
            }
        }
        assert!(
            digests.windows(2).all(|w| w[0] == w[1]),
            "both loads leave the same target and quarantine: {digests:?}"
        );
    }
    let (one, chunked) = (median(one), median(chunked));
    println!(
        "chunked_load: {rows} rows, {runs} runs: one-shot median {:.2} s, batch 50_000 median {:.2} s, ratio {:.2}",
        one.as_secs_f64(),
        chunked.as_secs_f64(),
        chunked.as_secs_f64() / one.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
