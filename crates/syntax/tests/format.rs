//! `cutover fmt` on real specs: every spec in the repository formats to
//! text that parses to the same AST, keeps every comment in order, and
//! formats to itself again; the shipped examples are already formatted.
//! The randomized side is tests/format_props.rs.

mod support;

use std::path::{Path, PathBuf};
use support::{comments, shape};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.cutover` file under `dir`, recursively, sorted.
fn specs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            specs(&path, out);
        } else if path.extension().is_some_and(|e| e == "cutover") {
            out.push(path);
        }
    }
}

#[test]
fn every_spec_in_the_repository_formats_losslessly_and_idempotently() {
    let mut files = Vec::new();
    specs(&repo().join("examples"), &mut files);
    specs(&repo().join("tests"), &mut files);
    let mut formatted = 0;
    for path in &files {
        let source = std::fs::read_to_string(path).expect("read spec");
        let Ok(ast) = cutover_syntax::parse(&source) else {
            // Specs that do not parse are refused, never rewritten.
            assert!(
                cutover_syntax::format(&source).is_err(),
                "{}",
                path.display()
            );
            continue;
        };
        let out =
            cutover_syntax::format(&source).unwrap_or_else(|d| panic!("{}: {d:?}", path.display()));
        let again = cutover_syntax::parse(&out).unwrap_or_else(|d| {
            panic!(
                "{}: formatted text does not parse: {d:?}\n{out}",
                path.display()
            )
        });
        assert_eq!(
            shape(&ast),
            shape(&again),
            "{}: the AST changed",
            path.display()
        );
        assert_eq!(
            comments(&source),
            comments(&out),
            "{}: comments changed",
            path.display()
        );
        let twice = cutover_syntax::format(&out).expect("formats again");
        assert_eq!(
            out,
            twice,
            "{}: formatting is not idempotent",
            path.display()
        );
        formatted += 1;
    }
    assert!(formatted >= 60, "only {formatted} specs parsed");
}

#[test]
fn the_shipped_examples_are_formatted() {
    for name in ["crm", "user-management", "ai-platform"] {
        let path = repo().join(format!("examples/{name}/{name}.cutover"));
        let source = std::fs::read_to_string(&path).expect("read example");
        let out = cutover_syntax::format(&source).expect("example parses");
        assert!(
            out == source,
            "{} is not formatted; run `cutover fmt {}`",
            path.display(),
            path.display()
        );
    }
}

#[test]
fn a_spec_that_does_not_parse_is_refused() {
    let d = cutover_syntax::format("map a.b -> c.d { x = }").expect_err("does not parse");
    assert!(!d.is_empty());
}

/// The layout rules, shown on one untidy spec.
#[test]
fn layout_of_an_untidy_spec() {
    let source = r#"# header comment


migration "Demo" { strategy phased; owner "team"   # who
  throughput 1_000/s }
source legacy: sqlite { table customers { cust_id int primary key, first_name varchar(50) not null pii # a name
  dob text pii
  rows ~ 1_200_000 } }
lookup status { "A" => "Active", "I"|"i" => "Inactive", else => "Unknown" }
map accounts: legacy.customers c left join legacy.orders o on c.cust_id == o.cust_id -> crm.accounts {
  key account_id = uuid_v5("ns", c.cust_id); status = status[upper(c.status_flag)]
  name = trim(c.first_name) allow pii "needed"    # trailing
  # before a drop
  drop c.dob,    o.total because "not carried"
  rule TRN-1 "one" note = if c.x is null then "none" else c.x ++ " (" ++ c.y ++ ")" ++ " and some more text to force a break"
  total = cast(sum(o.amount) as decimal(14, 2)) else reject "order total does not fit in decimal(14,2) at all"
  # dangling at the end
}
example "one" for accounts { given [ { cust_id: 1, first_name: "A" } ] expect { name: "A" } }
gate post after load { count legacy.customers == count crm.accounts + rejected legacy.customers
  assert crm.accounts: name is not null warn tolerance 0.5%
  sample 1_000 recompute }
rollback { when gate post fails; strategy truncate }
phase load_all "Load" 1d after prep owner "eng" { load; gate post; "Check the dashboards" }
# the end
"#;
    let out = cutover_syntax::format(source).expect("formats");
    insta::assert_snapshot!(out);
    assert_eq!(cutover_syntax::format(&out).expect("formats"), out);
    assert_eq!(comments(source), comments(&out));
}

#[test]
fn comments_inside_an_expression_move_to_the_end_of_their_member() {
    let source = "map a.b -> c.d {\n  x = f(1,   # one\n        2)  # two\n  y = 3\n}\n";
    let out = cutover_syntax::format(source).expect("formats");
    assert_eq!(
        out,
        "map a.b -> c.d {\n  x = f(1, 2)  # one\n  # two\n  y = 3\n}\n"
    );
    assert_eq!(cutover_syntax::format(&out).expect("formats"), out);
}

#[test]
fn blank_lines_between_members_are_kept_but_never_doubled() {
    let source = "gate g before load {\n  unique a.b.c\n\n\n\n  unique a.b.d\n  unique a.b.e\n}\n";
    let out = cutover_syntax::format(source).expect("formats");
    assert_eq!(
        out,
        "gate g before load {\n  unique a.b.c\n\n  unique a.b.d\n  unique a.b.e\n}\n"
    );
}

#[test]
fn parentheses_the_grammar_needs_are_kept_and_redundant_ones_go() {
    let source = "fn f(a: int, b: int) -> int = ((a + b) * (a - (b - 1))) + (-(a)) + (if a > b then a else b)\n";
    let out = cutover_syntax::format(source).expect("formats");
    assert_eq!(
        out,
        "fn f(a: int, b: int) -> int = (a + b) * (a - (b - 1)) + -a + (if a > b then a else b)\n"
    );
}
