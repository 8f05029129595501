//! `cutover rehearse` as a process: killed with SIGKILL in the middle of a
//! load, it leaves a target that the next rehearsal restores and loads
//! exactly once; `--emit-timeline` writes the measured throughput that
//! `build --timeline` puts in the runbook.

#[path = "../crates/rehearse/benches/crm_source.rs"]
mod crm_source;

use rusqlite::Connection;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cutover-rehearse-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The binary, run from the repository's root.
fn cutover() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cutover"));
    c.current_dir(root());
    c
}

const SPEC: &str = "crates/backend-sql/benches/crm_accounts.cutover";

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .expect(table)
}

#[test]
fn a_rehearsal_killed_mid_load_leaves_a_target_the_next_rehearsal_restores() {
    let dir = temp("killed");
    let source = dir.join("legacy.sqlite");
    let rows = 200_000;
    crm_source::write(&source, rows).expect("source");
    let target = dir.join("target.sqlite");
    let mut child = cutover()
        .args(["rehearse", SPEC, "--source"])
        .arg(&source)
        .arg("--target")
        .arg(&target)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cutover");
    // Wait until the accounts load has begun, then let it run a little.
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let started = Instant::now();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("map accounts") => break,
            Some(Ok(_)) => {}
            _ => panic!("the rehearsal ended before loading accounts"),
        }
        assert!(started.elapsed() < Duration::from_secs(120));
    }
    std::thread::sleep(Duration::from_millis(400));
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert!(!status.success(), "killed before it finished: {status:?}");
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "{status:?}");
    }
    // The load is one transaction: what it wrote is in hot journals.
    let journals = ["target.sqlite-journal", "target.crm.sqlite-journal"]
        .iter()
        .filter(|j| dir.join(j).exists())
        .count();
    assert!(journals > 0, "killed mid-load, so a journal is left");

    // Opening the target rolls the interrupted load back: nothing of it
    // is visible, not even its batch.
    {
        let conn = Connection::open(&target).expect("target");
        conn.execute_batch(&format!(
            "ATTACH '{}' AS crm;",
            dir.join("target.crm.sqlite").display()
        ))
        .expect("attach");
        assert_eq!(count(&conn, "crm.accounts"), 0);
        assert_eq!(count(&conn, "crm.account_statuses"), 0);
        assert_eq!(count(&conn, "main.cutover_quarantine"), 0);
        assert_eq!(count(&conn, "main.cutover_batches"), 0);
    }

    // The next rehearsal into the same target loads every row once.
    let out = cutover()
        .args(["rehearse", SPEC, "--report", "json", "--source"])
        .arg(&source)
        .arg("--target")
        .arg(&target)
        .output()
        .expect("cutover");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("report");
    let accounts = report["maps"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["name"] == "accounts"))
        .expect("accounts");
    assert_eq!(accounts["read"], rows);
    assert_eq!(accounts["rejected"], rows / 100);
    assert_eq!(accounts["loaded"], rows - rows / 100);
    let conn = Connection::open(&target).expect("target");
    conn.execute_batch(&format!(
        "ATTACH '{}' AS crm;",
        dir.join("target.crm.sqlite").display()
    ))
    .expect("attach");
    assert_eq!(count(&conn, "crm.accounts"), (rows - rows / 100) as i64);
    assert_eq!(count(&conn, "main.cutover_quarantine"), (rows / 100) as i64);
    // One batch, the second run's first: the killed one left no trace.
    let batches: Vec<(i64, String)> = conn
        .prepare("SELECT batch_id, status FROM main.cutover_batches")
        .expect("batches")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("batches")
        .collect::<Result<_, _>>()
        .expect("batches");
    assert_eq!(batches.len(), 1, "{batches:?}");
    assert_eq!(batches[0].0, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn emit_timeline_feeds_the_runbook_estimates() {
    let dir = temp("timeline");
    let timeline = dir.join("crm.timeline.json");
    let out = cutover()
        .args([
            "rehearse",
            "examples/crm/crm.cutover",
            "--source",
            "examples/crm/data",
            "--emit-timeline",
        ])
        .arg(&timeline)
        .output()
        .expect("cutover");
    assert_eq!(out.status.code(), Some(0));
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&timeline).expect("timeline")).expect("JSON");
    assert_eq!(t["cutover_timeline"], 1);
    let rate = t["rows_per_second"].as_f64().expect("rate");
    assert!(rate > 0.0);
    assert_eq!(t["maps"].as_array().map(Vec::len), Some(6));
    let read: u64 = t["maps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["rows_read"].as_u64())
        .sum();
    assert_eq!(t["rows_read"].as_u64(), Some(read));

    let build = dir.join("build");
    let out = cutover()
        .args(["build", "examples/crm/crm.cutover", "--timeline"])
        .arg(&timeline)
        .arg("-o")
        .arg(&build)
        .output()
        .expect("cutover");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runbook = std::fs::read_to_string(build.join("runbook.md")).expect("runbook");
    let shown = format!(
        "{} rows/s (measured by a rehearsal)",
        cutover_backend_docs::text::count(rate.round() as u64)
    );
    assert!(runbook.contains(&shown), "{shown} not in the runbook");

    // Another spec's timeline is used, with a warning; a broken one is refused.
    let other = cutover()
        .args([
            "build",
            "examples/user-management/user-management.cutover",
            "--timeline",
        ])
        .arg(&timeline)
        .arg("-o")
        .arg(dir.join("other"))
        .output()
        .expect("cutover");
    assert_eq!(other.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&other.stderr).contains("another version of the spec"));
    std::fs::write(&timeline, "{\"cutover_timeline\": 1}").expect("write");
    let broken = cutover()
        .args(["build", "examples/crm/crm.cutover", "--timeline"])
        .arg(&timeline)
        .arg("-o")
        .arg(dir.join("broken"))
        .output()
        .expect("cutover");
    assert_eq!(broken.status.code(), Some(2));
    // miette wraps long lines: compare the words.
    let words: Vec<String> = String::from_utf8_lossy(&broken.stderr)
        .split_whitespace()
        .filter(|w| *w != "│")
        .map(str::to_owned)
        .collect();
    assert!(
        words.join(" ").contains("not a Cutover timeline"),
        "{words:?}"
    );
    assert!(!dir.join("broken").exists(), "nothing written");
    let _ = std::fs::remove_dir_all(&dir);
}
