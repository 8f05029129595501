//! The `cutover` binary on bad input: whatever the file holds (or if it
//! cannot be read), the answer is diagnostics and an exit code (0 ok,
//! 1 findings, 2 usage or input error), never a panic or a crash.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs the binary and checks what must hold of every run: it exited with
/// a code (was not killed by a signal, as a stack overflow would be) and
/// did not panic.
fn cutover(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("run cutover");
    let stderr = text(&out.stderr);
    assert!(
        out.status.code().is_some(),
        "cutover {args:?} was killed: {:?}\n{}",
        out.status,
        tail(&stderr)
    );
    for bad in ["panicked", "overflowed its stack", "RUST_BACKTRACE"] {
        assert!(
            !stderr.contains(bad),
            "cutover {args:?}: `{bad}` in stderr:\n{}",
            tail(&stderr)
        );
    }
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The end of a long output, for assertion messages.
fn tail(s: &str) -> &str {
    let mut start = s.len().saturating_sub(2_000);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// A file under the system temp directory with a name no other test (or
/// test process) uses; removed on drop.
struct TempSpec(PathBuf);

impl TempSpec {
    fn new(name: &str, contents: &[u8]) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!(
            "cutover-bad-input-{}-{nanos}-{}-{name}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, contents).expect("write temp spec");
        TempSpec(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("temp path is UTF-8")
    }
}

impl Drop for TempSpec {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `cutover check FILE` (human output) → (exit code, stderr).
fn check(contents: &[u8]) -> (Option<i32>, String) {
    let spec = TempSpec::new("spec.cutover", contents);
    let out = cutover(&["check", "--color", "never", spec.path()]);
    (out.status.code(), text(&out.stderr))
}

/// `cutover check --format json FILE` → (exit code, stdout).
fn check_json(contents: &[u8]) -> (Option<i32>, String) {
    let spec = TempSpec::new("spec.cutover", contents);
    let out = cutover(&["check", "--format", "json", spec.path()]);
    (out.status.code(), text(&out.stdout))
}

/// Minimal JSON checks without a JSON parser (serde_json is not a
/// dev-dependency here): an object holding diagnostics with this code and
/// the summary, with balanced brackets outside strings. `code` may be a
/// prefix (`E0`).
fn assert_json_with_code(out: &str, code: &str) {
    let trimmed = out.trim();
    assert!(
        trimmed.starts_with('{') && trimmed.ends_with('}'),
        "not a JSON object:\n{}",
        tail(out)
    );
    assert!(
        out.contains(&format!("\"code\": \"{code}")),
        "no {code} in:\n{}",
        tail(out)
    );
    assert!(
        out.contains("\"diagnostics\": [") && out.contains("\"summary\": {"),
        "{}",
        tail(out)
    );
    let (mut depth, mut in_string, mut escaped) = (0i64, false, false);
    for c in trimmed.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '{' | '[' if !in_string => depth += 1,
            '}' | ']' if !in_string => {
                depth -= 1;
                assert!(depth >= 0, "unbalanced JSON:\n{}", tail(out));
            }
            _ => {}
        }
    }
    assert!(depth == 0 && !in_string, "unbalanced JSON:\n{}", tail(out));
}

/// Deterministic pseudo-random bytes.
fn garbage(len: usize, printable_only: bool) -> Vec<u8> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if printable_only {
                b' ' + (x % 95) as u8
            } else {
                x as u8
            }
        })
        .collect()
}

const HEADER: &str = "migration \"m\" { strategy phased }\n";

#[test]
fn invalid_utf8_is_e0001() {
    for (what, bytes) in [
        (
            "a bad byte mid-file",
            [HEADER.as_bytes(), b"fn f() -> int = \xff1\n"].concat(),
        ),
        ("a bad byte first", b"\xffmigration".to_vec()),
        ("a bad byte last", [HEADER.as_bytes(), b"\xc3"].concat()),
        ("a lone continuation byte", b"\x80".to_vec()),
        ("a UTF-16 BOM", b"\xff\xfem\x00i\x00g\x00".to_vec()),
        ("an overlong encoding", b"\xc0\xaf".to_vec()),
        ("a surrogate encoded in UTF-8", b"\xed\xa0\x80".to_vec()),
    ] {
        let (code, stderr) = check(&bytes);
        assert_eq!(code, Some(1), "{what}:\n{stderr}");
        assert!(stderr.contains("E0001"), "{what}:\n{stderr}");
        let (code, stdout) = check_json(&bytes);
        assert_eq!(code, Some(1), "{what} (json)");
        assert_json_with_code(&stdout, "E0001");
    }
}

#[test]
fn empty_file_has_no_header() {
    let (code, stderr) = check(b"");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("E0117"), "{stderr}");
    let (code, stderr) = check(b"  \n# only a comment\n\n");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("E0117"), "{stderr}");
}

#[test]
fn unreadable_paths_are_input_errors() {
    let missing = std::env::temp_dir().join(format!(
        "cutover-bad-input-{}-does-not-exist.cutover",
        std::process::id()
    ));
    let missing = missing.to_str().expect("UTF-8 path");
    let out = cutover(&["check", missing]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("cannot read"),
        "{}",
        text(&out.stderr)
    );

    let dir = std::env::temp_dir();
    let out = cutover(&["check", dir.to_str().expect("UTF-8 path")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    // One unreadable file among good ones: still 2, and the others are checked.
    let bad = TempSpec::new("bad.cutover", b"migration");
    let out = cutover(&["check", "--color", "never", bad.path(), missing]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("E0002"), "{}", text(&out.stderr));

    let out = cutover(&["debug", "ast", missing]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn ten_megabytes_of_garbage() {
    let size = 10 * 1024 * 1024;
    let (code, stderr) = check(&garbage(size, true));
    assert_eq!(code, Some(1), "{}", tail(&stderr));
    assert!(stderr.contains("error[E0"), "{}", tail(&stderr));
    // Arbitrary bytes: not UTF-8.
    let (code, stderr) = check(&garbage(size, false));
    assert_eq!(code, Some(1), "{}", tail(&stderr));
    assert!(stderr.contains("E0001"), "{}", tail(&stderr));
    // Arbitrary bytes with the invalid sequences removed: UTF-8 garbage.
    let lossy = String::from_utf8_lossy(&garbage(size, false)).into_owned();
    let (code, stdout) = check_json(lossy.as_bytes());
    assert_eq!(code, Some(1));
    assert_json_with_code(&stdout, "E0");
}

#[test]
fn ten_thousand_nested_parentheses() {
    let n = 10_000;
    let spec = format!(
        "{HEADER}fn f(a: int) -> int = {}a{}\n",
        "(".repeat(n),
        ")".repeat(n)
    );
    let (code, stderr) = check(spec.as_bytes());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("E0004"), "{stderr}");
    let (code, stderr) = check("(".repeat(n).as_bytes());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("E0004"), "{stderr}");
    let (code, stdout) = check_json("{[(".repeat(n).as_bytes());
    assert_eq!(code, Some(1));
    assert_json_with_code(&stdout, "E0004");
}

#[test]
fn other_extremes_exit_with_a_code() {
    // A 1 MB string literal: fine.
    let spec = format!("{HEADER}fn f() -> text = \"{}\"\n", "x".repeat(1 << 20));
    let (code, stderr) = check(spec.as_bytes());
    assert_eq!(code, Some(0), "{}", tail(&stderr));
    // A 300-term chain: too deep.
    let spec = format!(
        "{HEADER}fn f(a: int) -> int = {}\n",
        vec!["a"; 300].join(" + ")
    );
    let (code, stderr) = check(spec.as_bytes());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("E0004"), "{stderr}");
    // NUL bytes and a BOM: a diagnostic (or success), never a crash.
    let (code, _) = check(b"\0\0\0");
    assert_eq!(code, Some(1));
    let (code, _) = check(format!("\u{FEFF}{HEADER}").as_bytes());
    assert!(matches!(code, Some(0 | 1)));
    // Too large: E0006.
    let mut big = vec![b' '; 64 * 1024 * 1024 + 1];
    big[..HEADER.len()].copy_from_slice(HEADER.as_bytes());
    let (code, stderr) = check(&big);
    assert_eq!(code, Some(1), "{}", tail(&stderr));
    assert!(stderr.contains("E0006"), "{}", tail(&stderr));
}

#[test]
fn json_output_on_a_bad_file() {
    let (code, stdout) = check_json(b"migration \"m\" { strategy phased }\nmap a.b -> c.d {\n");
    assert_eq!(code, Some(1));
    assert_json_with_code(&stdout, "E0002");
    // Diagnostics with awkward text in messages: quotes, backslashes, control
    // characters and non-ASCII must come out as valid JSON strings.
    let (code, stdout) = check_json("fn \"\\\t\u{1}é".as_bytes());
    assert_eq!(code, Some(1));
    assert_json_with_code(&stdout, "E0002");
    let (code, stdout) = check_json(b"");
    assert_eq!(code, Some(1));
    assert_json_with_code(&stdout, "E0117");
}

#[test]
fn explain_help_and_usage() {
    let out = cutover(&["explain", "E9999"]);
    assert_eq!(out.status.code(), Some(2));
    let out = cutover(&["explain", "e0101"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("E0101"));
    let out = cutover(&["explain", ""]);
    assert_eq!(out.status.code(), Some(2));
    let out = cutover(&["explain", "\u{1F600}x"]);
    assert_eq!(out.status.code(), Some(2));
    for args in [&["--help"][..], &["check", "--help"]] {
        let out = cutover(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(text(&out.stdout).contains("Usage"), "{args:?}");
    }
    let out = cutover(&[]);
    assert_eq!(out.status.code(), Some(2));
    let out = cutover(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let out = cutover(&["check", "--format", "yaml", "x.cutover"]);
    assert_eq!(out.status.code(), Some(2));
    let out = cutover(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Nesting without brackets once overflowed the stack in lowering and
/// aborted the binary; it must give E0004 and exit 1.
#[test]
fn deep_else_if_chain_is_refused() {
    for n in [500, 1_000, 5_000, 20_000] {
        let spec = format!(
            "{HEADER}fn f(b: bool) -> int = {}0\n",
            "if b then 1 else ".repeat(n)
        );
        let (code, stderr) = check(spec.as_bytes());
        assert_eq!(code, Some(1), "{n}: {stderr}");
        assert!(stderr.contains("E0004"), "{n}: {stderr}");
        let spec = format!(
            "{HEADER}fn f(b: bool) -> int = {}1{}\n",
            "case when b then ".repeat(n),
            " else 0 end".repeat(n)
        );
        let (code, stderr) = check(spec.as_bytes());
        assert_eq!(code, Some(1), "{n} nested case: {stderr}");
    }
}

/// A `#` comment ended by a lone `\r` once hid what followed from the
/// nesting guard but not from pest; 20,000 nested parentheses after it then
/// killed the binary with SIGSEGV. The guard now ends comments where pest
/// does.
#[test]
fn nesting_after_a_carriage_return_comment_is_refused() {
    for n in [1_000, 20_000, 100_000] {
        let spec = format!(
            "{HEADER}fn f(a: int) -> int = # comment\r{}a{}\n",
            "(".repeat(n),
            ")".repeat(n)
        );
        let (code, stderr) = check(spec.as_bytes());
        assert_eq!(code, Some(1), "{n}: {}", tail(&stderr));
        assert!(stderr.contains("E0004"), "{n}: {}", tail(&stderr));
    }
}

/// A construct with no SQL form in the target's dialect (`title` in
/// PostgreSQL): `cutover build` reports E0381 at the call, names the
/// dialect, exits 1 and writes nothing, for no dialect.
#[test]
fn build_refuses_a_construct_the_dialect_cannot_compile() {
    let spec = TempSpec::new(
        "title.cutover",
        br#"migration "m" { strategy big_bang owner "o" }
source legacy: sqlite { table people { id int primary key  name text  rows ~ 10 } }
target app: postgres { table people { id int primary key  display_name text } }
map legacy.people -> app.people {
  key id = id
  display_name = title(name)
}
rollback { strategy truncate }
"#,
    );
    let out_dir = std::env::temp_dir().join(format!("cutover-e0381-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out_dir);
    let out_path = out_dir.to_str().expect("temp path is UTF-8");
    let out = cutover(&["build", spec.path(), "-o", out_path]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error[E0381]"), "{stderr}");
    assert!(
        stderr.contains("cannot compile `title` for postgres"),
        "{stderr}"
    );
    assert!(
        stderr.contains("display_name = title(name)"),
        "the span shows the call: {stderr}"
    );
    assert!(stderr.contains("nothing written"), "{stderr}");
    assert!(!out_dir.exists(), "no dialect's scripts are written");
    // SQLite alone compiles it (through the registered functions).
    let out = cutover(&["build", spec.path(), "-o", out_path, "--dialect", "sqlite"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out_dir.join("sql/sqlite/30_load.sql").exists());
    let _ = std::fs::remove_dir_all(&out_dir);
}
