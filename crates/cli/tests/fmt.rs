//! `cutover fmt FILE… [--check]`: rewrites files whose layout is not the
//! canonical one (`cutover_syntax::format`); `--check` prints a diff
//! instead. Exit 0 formatted, 1 not formatted (with --check) or a file that
//! does not parse (left untouched), 2 a file that cannot be read.
//!
//! The expected layout always comes from `cutover_syntax::format` itself,
//! so these tests hold whatever the layout rules are.

mod support;

use support::{cutover, root, text, Scratch};

/// A spec the formatter must change: trailing spaces, ragged indentation,
/// members on one line, Windows line ends.
const UNTIDY: &str = "migration \"Untidy\"   {  strategy big_bang }   \r\n\
source legacy: sqlite { table customers { cust_id int primary key , name text   not null , rows ~ 10 } }\r\n\
target crm: sqlite {\r\n\
      table accounts { account_id int primary key\r\n\
  name text not null }\r\n\
}\r\n\
map legacy.customers -> crm.accounts { key account_id = cust_id ; name = trim( name ) }   \r\n";

#[test]
fn a_file_that_does_not_parse_exits_1_and_is_left_untouched() {
    let scratch = Scratch::new("fmt-broken");
    let broken = "migration \"Broken\" { strategy big_bang }\nmap legacy.customers -> {\n";
    let path = scratch.write("broken.cutover", broken);
    for check in [false, true] {
        let mut args = vec!["fmt", path.as_str()];
        if check {
            args.push("--check");
        }
        let out = cutover(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("error[E0"), "{stderr}");
        assert!(
            stderr.contains("1 file does not parse and was left as it was"),
            "{stderr}"
        );
        assert_eq!(text(&out.stdout), "");
        assert_eq!(std::fs::read_to_string(&path).expect("still there"), broken);
    }
}

#[test]
fn an_unreadable_file_exits_2() {
    let scratch = Scratch::new("fmt-unreadable");
    let formatted = formatted_example();
    let good = scratch.write("good.cutover", &formatted);
    for args in [
        vec!["fmt", "no/such/spec.cutover"],
        vec!["fmt", "--check", "no/such/spec.cutover", good.as_str()],
        // A directory is not a spec.
        vec!["fmt", "--check", "examples"],
    ] {
        let out = cutover(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains("cannot read"),
            "{}",
            text(&out.stderr)
        );
    }
    assert_eq!(
        std::fs::read_to_string(&good).expect("good"),
        formatted,
        "a readable file beside an unreadable one is still handled, and left formatted"
    );
}

#[test]
fn formatted_files_are_left_alone() {
    let scratch = Scratch::new("fmt-formatted");
    let formatted = formatted_example();
    let path = scratch.write("crm.cutover", &formatted);
    let check = cutover(&["fmt", "--check", &path]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stdout));
    assert_eq!(text(&check.stdout), "");
    assert_eq!(
        text(&check.stderr),
        "cutover fmt --check: 1 file formatted\n"
    );
    let fmt = cutover(&["fmt", &path]);
    assert_eq!(fmt.status.code(), Some(0), "{}", text(&fmt.stderr));
    assert_eq!(text(&fmt.stdout), "");
    assert_eq!(std::fs::read_to_string(&path).expect("spec"), formatted);
}

#[test]
fn check_prints_a_diff_and_fmt_rewrites() {
    let scratch = Scratch::new("fmt-untidy");
    let path = scratch.write("untidy.cutover", UNTIDY);
    let want = cutover_syntax::format(UNTIDY).expect("the spec parses");
    assert_ne!(want, UNTIDY, "the formatter changes this spec");

    let check = cutover(&["fmt", "--check", &path]);
    assert_eq!(check.status.code(), Some(1));
    let stdout = text(&check.stdout);
    assert!(
        stdout.starts_with(&format!("--- {path}\n+++ {path} (formatted)\n@@ ")),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n-source legacy: sqlite { table customers"),
        "{stdout}"
    );
    assert_eq!(
        text(&check.stderr),
        format!("cutover fmt --check: 1 of 1 file is not formatted; run: cutover fmt {path}\n")
    );
    assert_eq!(std::fs::read_to_string(&path).expect("untouched"), UNTIDY);

    let fmt = cutover(&["fmt", &path]);
    assert_eq!(fmt.status.code(), Some(0), "{}", text(&fmt.stderr));
    assert_eq!(text(&fmt.stdout), format!("formatted {path}\n"));
    assert_eq!(std::fs::read_to_string(&path).expect("rewritten"), want);

    let again = cutover(&["fmt", "--check", &path]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stdout));
    let twice = cutover(&["fmt", &path]);
    assert_eq!(text(&twice.stdout), "", "formatting is idempotent");
}

#[test]
fn only_the_files_that_change_are_rewritten_or_listed() {
    let scratch = Scratch::new("fmt-several");
    let tidy = scratch.write("tidy.cutover", &formatted_example());
    let untidy = scratch.write("untidy.cutover", UNTIDY);
    let crlf_only = scratch.write("crlf.cutover", &formatted_example().replace('\n', "\r\n"));
    let check = cutover(&["fmt", "--check", &tidy, &untidy, &crlf_only]);
    assert_eq!(check.status.code(), Some(1));
    let stdout = text(&check.stdout);
    assert!(!stdout.contains(&format!("--- {tidy}")), "{stdout}");
    assert!(stdout.contains(&format!("--- {untidy}\n")), "{stdout}");
    assert!(stdout.contains(&format!("--- {crlf_only}\n")), "{stdout}");
    assert!(
        text(&check.stderr).starts_with("cutover fmt --check: 2 of 3 files are not formatted"),
        "{}",
        text(&check.stderr)
    );
    let fmt = cutover(&["fmt", &tidy, &untidy, &crlf_only]);
    assert_eq!(fmt.status.code(), Some(0));
    assert_eq!(
        text(&fmt.stdout),
        format!("formatted {untidy}\nformatted {crlf_only}\n")
    );
}

/// The CRM example in the canonical layout.
fn formatted_example() -> String {
    let spec = std::fs::read_to_string(root().join("examples/crm/crm.cutover")).expect("spec");
    cutover_syntax::format(&spec).expect("the example parses")
}
