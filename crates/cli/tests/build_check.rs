//! `cutover build --check`: compares what the build would write with a
//! directory, writes nothing, and exits 0 current, 1 not current, 2 when
//! the directory cannot be read.

mod support;

use support::{copy_tree, cutover, root, text, Scratch};

#[test]
fn committed_examples_are_current() {
    for name in ["crm", "ai-platform", "user-management"] {
        let spec = format!("examples/{name}/{name}.cutover");
        let dir = format!("examples/{name}/build");
        let out = cutover(&["build", &spec, "-o", &dir, "--check"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let tail = format!(" files current in {dir}\n");
        assert!(
            stdout.starts_with("cutover build --check: ") && stdout.ends_with(&tail),
            "{stdout}"
        );
        assert_eq!(stdout.lines().count(), 1, "{stdout}");
    }
}

#[test]
fn edited_missing_and_stale_files_are_reported_and_nothing_is_written() {
    let scratch = Scratch::new("build-check");
    let dir = scratch.path("build");
    copy_tree(&root().join("examples/crm/build"), &dir);
    let schema = dir.join("sql/postgres/10_schema.sql");
    let edited = std::fs::read_to_string(&schema).expect("schema").replacen(
        "BEGIN;",
        "BEGIN; -- edited by hand",
        1,
    );
    std::fs::write(&schema, &edited).expect("edit");
    std::fs::remove_file(dir.join("mapping.csv")).expect("remove");
    std::fs::write(dir.join("sql/sqlite/99_dropped.sql"), "-- old\n").expect("stale");
    // What running or browsing the package leaves, and files the build
    // does not own, are not stale.
    std::fs::create_dir_all(dir.join("python/crm_cutover/__pycache__")).expect("cache");
    std::fs::write(dir.join("python/crm_cutover/__pycache__/runner.pyc"), "").expect("pyc");
    std::fs::write(dir.join("python/.DS_Store"), "").expect("hidden");
    std::fs::write(dir.join("README.md"), "notes\n").expect("readme");
    std::fs::create_dir_all(dir.join("sql/mysql")).expect("other dialect");
    std::fs::write(dir.join("sql/mysql/10_schema.sql"), "").expect("other dialect");

    let arg = scratch.arg("build");
    let out = cutover(&["build", "examples/crm/crm.cutover", "-o", &arg, "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout).replace(&arg, "DIR");
    let stderr = text(&out.stderr).replace(&arg, "DIR");
    assert!(
        stdout.contains(
            "--- DIR/sql/postgres/10_schema.sql (committed)\n+++ DIR/sql/postgres/10_schema.sql (from examples/crm/crm.cutover)\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n-BEGIN; -- edited by hand\n+BEGIN;\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--- DIR/mapping.csv (missing)\n+++ DIR/mapping.csv (from examples/crm/crm.cutover)\n@@ -0,0 +1,"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "stale DIR/sql/sqlite/99_dropped.sql: examples/crm/crm.cutover no longer builds it\n"
        ),
        "{stdout}"
    );
    for untouched in ["__pycache__", ".DS_Store", "README.md", "mysql"] {
        assert!(!stdout.contains(untouched), "{untouched}: {stdout}");
    }
    insta::assert_snapshot!(stderr, @r"
    cutover build --check: 3 of 22 files in DIR are not current: mapping.csv (missing), sql/postgres/10_schema.sql (changed), sql/sqlite/99_dropped.sql (stale)
    regenerate with: cutover build examples/crm/crm.cutover -o DIR
    and delete the stale files: build writes files, it never deletes them
    ");
    // Nothing was written.
    assert_eq!(std::fs::read_to_string(&schema).expect("schema"), edited);
    assert!(!dir.join("mapping.csv").exists());
}

#[test]
fn a_directory_not_built_yet_is_all_missing() {
    let scratch = Scratch::new("build-check-empty");
    let arg = scratch.arg("never built");
    let out = cutover(&[
        "build",
        "examples/user-management/user-management.cutover",
        "-o",
        &arg,
        "--dialect",
        "sqlite",
        "--check",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr).replace(&arg, "DIR");
    assert!(stderr.contains("runbook.md (missing)"), "{stderr}");
    // The command to regenerate keeps the flags and quotes the path.
    assert!(
        stderr.contains("regenerate with: cutover build examples/user-management/user-management.cutover -o 'DIR' --dialect sqlite\n"),
        "{stderr}"
    );
    assert!(!scratch.path("never built").exists());
}

#[test]
fn a_spec_with_errors_exits_1_and_an_unreadable_directory_2() {
    let scratch = Scratch::new("build-check-errors");
    let out = cutover(&[
        "build",
        "tests/check/invalid/E0101-unknown-system.cutover",
        "-o",
        &scratch.arg("build"),
        "--check",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("E0101"), "{stderr}");
    assert!(
        stderr.contains("cutover build --check: nothing compared, the spec has errors"),
        "{stderr}"
    );

    // DIR is a file: nothing under it can be read.
    let file = scratch.write("not-a-directory", "");
    let out = cutover(&["build", "examples/crm/crm.cutover", "-o", &file, "--check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("cannot read"),
        "{}",
        text(&out.stderr)
    );
}
