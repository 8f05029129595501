//! `cutover rehearse` end to end at 1,000,000 rows: the CRM customers →
//! accounts map of `crates/backend-sql/benches/crm_accounts.cutover`, from
//! a generated SQLite source file (`crm_source.rs`) into a new SQLite
//! target: schema, preflight, load, post-load gates (count, checksum,
//! unique, foreign key) and triggers, as the command line runs it.
//!
//! ```text
//! cargo bench -p cutover-rehearse --bench rehearse_crm
//! ```
//!
//! `CUTOVER_BENCH_ROWS` (default 1,000,000) and `CUTOVER_BENCH_RUNS`
//! (default 3) change the size and the number of timed runs; each run
//! rehearses into a fresh target. Prints every run, the median, the load
//! throughput and the process's peak resident set size (`VmHWM`), and
//! exits 1 if the median misses the 30-second target or a run does not
//! pass its gates with every row loaded or quarantined.

mod crm_source;

use std::time::Instant;

const SPEC: &str = include_str!("../../backend-sql/benches/crm_accounts.cutover");
const TARGET_SECONDS: f64 = 30.0;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let rows = env_number("CUTOVER_BENCH_ROWS", 1_000_000);
    let runs = env_number("CUTOVER_BENCH_RUNS", 3).max(1);
    let compiled = cutover_check::compile(SPEC);
    let errors = compiled.has_errors();
    let Some(ir) = compiled.ir.filter(|_| !errors) else {
        eprintln!("the benchmark spec has errors");
        std::process::exit(1);
    };
    let dir = std::env::temp_dir().join(format!("cutover-rehearse-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("{}: {e}", dir.display());
        std::process::exit(1);
    }
    let source = dir.join("legacy.sqlite");
    let t = Instant::now();
    if let Err(e) = crm_source::write(&source, rows) {
        eprintln!("generating the source: {e}");
        std::process::exit(1);
    }
    println!(
        "source: {rows} legacy customers generated in {:.1}s ({:.0} MiB)",
        t.elapsed().as_secs_f64(),
        std::fs::metadata(&source).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0
    );
    let mut seconds = Vec::new();
    let mut failed = false;
    for run in 1..=runs {
        let target = dir.join(format!("target-{run}.sqlite"));
        let opts = cutover_rehearse::Options {
            spec_path: "crm_accounts.cutover",
            spec_text: SPEC,
            sha256: "bench",
            source: source.clone(),
            target: Some(target.clone()),
            fail_gates: Vec::new(),
        };
        let t = Instant::now();
        let report = match cutover_rehearse::rehearse(&ir, &opts, &mut |_: &str| {}) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("run {run}: {e}");
                std::process::exit(1);
            }
        };
        let s = t.elapsed().as_secs_f64();
        let accounts = report.maps.iter().find(|m| m.name == "accounts");
        let complete = accounts.is_some_and(|m| m.read == rows && m.loaded + m.rejected == rows);
        println!(
            "run {run}: {s:.2}s end to end; load {:.2}s, {:.0} source rows/s; accounts {}; gates {}",
            report.load_seconds,
            report.rows_per_second,
            accounts
                .map(|m| format!("read {} loaded {} rejected {}", m.read, m.loaded, m.rejected))
                .unwrap_or_else(|| "missing".into()),
            if report.passed { "passed" } else { "FAILED" }
        );
        failed |= !report.passed || !complete;
        seconds.push(s);
        for f in ["", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{f}", target.display()));
        }
        let _ = std::fs::remove_file(target.with_extension("crm.sqlite"));
    }
    let _ = std::fs::remove_dir_all(&dir);
    seconds.sort_by(f64::total_cmp);
    let median = seconds[seconds.len() / 2];
    let peak = peak_rss_mib();
    println!(
        "median {median:.2}s (target < {TARGET_SECONDS:.0}s); min {:.2}s, max {:.2}s; peak RSS {}",
        seconds[0],
        seconds[seconds.len() - 1],
        peak.map(|p| format!("{p:.0} MiB"))
            .unwrap_or_else(|| "unknown".into())
    );
    if failed || median >= TARGET_SECONDS {
        std::process::exit(1);
    }
}
