//! Robustness of `compile`: whatever the input, it returns diagnostics (with
//! registered codes and spans inside the source) and never panics or
//! exhausts the stack.
//!
//! Everything runs on a thread with a 2 MiB stack, the size
//! `std::thread::spawn` gives by default (set explicitly, so that
//! `RUST_MIN_STACK` cannot make the test lenient), and in the unoptimised
//! dev profile: if it holds here, it holds in a release build too.
//!
//! The properties use a random seed per run and print it on failure, with
//! the shrunk input: rerun with `PROPTEST_RNG_SEED=<seed>` to reproduce.
//! `PROPTEST_CASES` overrides the case count of every property.

use cutover_check::{compile, Compiled};
use cutover_diagnostics::{lookup, render};
use cutover_syntax::{MAX_EXPR_DEPTH, MAX_SOURCE_BYTES};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use std::fmt::Debug;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

// ─────────────────────────── Harness ───────────────────────────

/// The stack `std::thread::spawn` gives a thread by default.
const SMALL_STACK: usize = 2 * 1024 * 1024;

/// Runs `f` on a fresh thread with a 2 MiB stack and returns its result; a
/// panic in `f` fails the calling test with the panic's message. (A stack
/// overflow aborts the whole test process, which fails the test too.)
fn on_small_stack<T: Send + 'static>(name: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let handle = std::thread::Builder::new()
        .name(name.to_owned())
        .stack_size(SMALL_STACK)
        .spawn(f)
        .expect("spawn test thread");
    match handle.join() {
        Ok(v) => v,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "<non-string panic payload>".to_owned());
            panic!("{name}: panicked on a 2 MiB stack: {msg}");
        }
    }
}

/// Everything that must hold of any compile result, as an error message.
fn violations(source: &str, compiled: &Compiled) -> Vec<String> {
    let mut out = Vec::new();
    let len = source.len();
    if compiled.ast.is_none() && !compiled.has_errors() {
        out.push("the spec did not parse but no error was reported".to_owned());
    }
    if compiled.ast.is_none() != compiled.ir.is_none() {
        out.push("`ast` and `ir` disagree on whether the spec parsed".to_owned());
    }
    for d in &compiled.diagnostics {
        let code = d.code.as_str();
        if lookup(code).is_none() {
            out.push(format!("unregistered code {code}: {}", d.message));
        }
        if d.message.trim().is_empty() {
            out.push(format!("{code} has an empty message"));
        }
        if d.labels.is_empty() && code != "E0117" {
            // E0117 (no `migration` header) has no place to point at in an
            // empty file; every other diagnostic should point somewhere.
            out.push(format!("{code} has no label: {}", d.message));
        }
        for l in &d.labels {
            let (s, e) = (l.span.start as usize, l.span.end as usize);
            if s > e || e > len {
                out.push(format!(
                    "{code} label {s}..{e} outside the source (len {len}): {}",
                    d.message
                ));
            } else if !source.is_char_boundary(s) || !source.is_char_boundary(e) {
                out.push(format!(
                    "{code} label {s}..{e} not on char boundaries: {}",
                    d.message
                ));
            }
        }
    }
    out
}

/// Compiles `source`, renders the diagnostics as the CLI does (human and
/// JSON) so the renderers see every span, and checks [`violations`].
fn check_source(source: &str) -> Result<Compiled, String> {
    let compiled = compile(source);
    // The renderers must not panic either; only their absence of panics is
    // checked here (their output is snapshotted elsewhere). Rendering is
    // skipped for huge inputs, where it would only cost time.
    if source.len() <= 64 * 1024 {
        let _ = render::human("spec.cutover", source, &compiled.diagnostics, false);
        let _ = render::json_values("spec.cutover", source, &compiled.diagnostics);
    }
    let v = violations(source, &compiled);
    if v.is_empty() {
        Ok(compiled)
    } else {
        Err(v.join("\n"))
    }
}

/// [`check_source`] for the extreme cases: also requires that a spec that
/// does not compile says so with at least one error.
fn must_hold(what: &str, source: &str) -> Compiled {
    match check_source(source) {
        Ok(c) => c,
        Err(e) => panic!("{what}: {e}"),
    }
}

fn codes(c: &Compiled) -> Vec<&'static str> {
    c.diagnostics.iter().map(|d| d.code.as_str()).collect()
}

fn seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// Runs a property on a 2 MiB stack with `cases` cases (unless
/// `PROPTEST_CASES` says otherwise), without failure persistence; a failure
/// reports the seed and the shrunk input.
/// The strategy is built on that thread (strategies are not `Send`).
fn run_property<S>(
    name: &'static str,
    cases: u32,
    strategy: fn() -> S,
    test: fn(S::Value) -> Result<(), TestCaseError>,
) where
    S: Strategy + 'static,
    S::Value: Debug + 'static,
{
    on_small_stack(name, move || {
        let strategy = strategy();
        let mut config = Config {
            failure_persistence: None,
            max_shrink_time: 60_000,
            ..Config::default()
        };
        if std::env::var_os("PROPTEST_CASES").is_none() {
            config.cases = cases;
        }
        let seed = match config.rng_seed {
            RngSeed::Fixed(s) => s,
            RngSeed::Random => seed(),
        };
        config.rng_seed = RngSeed::Fixed(seed);
        let mut runner = TestRunner::new(config);
        match runner.run(&strategy, test) {
            Ok(()) => {}
            Err(TestError::Fail(reason, input)) => panic!(
                "property `{name}` failed: {reason}\nminimal input: {input:?}\n\
                 reproduce with PROPTEST_RNG_SEED={seed}"
            ),
            Err(e) => panic!("property `{name}`: {e} (PROPTEST_RNG_SEED={seed})"),
        }
    });
}

fn prop_check(source: &str) -> Result<(), TestCaseError> {
    check_source(source).map(drop).map_err(TestCaseError::fail)
}

// ─────────────────────────── Vocabulary ───────────────────────────

const WORDS: &[&str] = &[
    // reserved
    "and",
    "as",
    "between",
    "case",
    "cast",
    "else",
    "end",
    "false",
    "if",
    "in",
    "is",
    "like",
    "not",
    "null",
    "or",
    "ref",
    "then",
    "true",
    "when",
    // contextual
    "after",
    "allow",
    "assert",
    "because",
    "before",
    "by",
    "check",
    "checksum",
    "count",
    "default",
    "drop",
    "error",
    "example",
    "expect",
    "fails",
    "fk",
    "fn",
    "for",
    "foreign",
    "gate",
    "given",
    "group",
    "join",
    "key",
    "left",
    "load",
    "lookup",
    "map",
    "migration",
    "not_null",
    "on",
    "owner",
    "phase",
    "pii",
    "primary",
    "recompute",
    "references",
    "reject",
    "rejected",
    "resolves",
    "rollback",
    "rows",
    "rule",
    "sample",
    "source",
    "strategy",
    "table",
    "target",
    "tolerance",
    "unique",
    "warn",
    "where",
    // names the resolver knows
    "phased",
    "big_bang",
    "sqlite",
    "postgres",
    "int",
    "text",
    "varchar",
    "decimal",
    "date",
    "timestamp",
    "bool",
    "char",
    "smallint",
    "truncate",
    "delete_batch",
    "restore_snapshot",
    "trim",
    "upper",
    "lower",
    "coalesce",
    "now",
    "parse_date",
    "concat",
];

const PUNCT: &[&str] = &[
    "{", "}", "(", ")", "[", "]", ",", ";", ":", ".", "->", "=>", "==", "!=", "<>", "<=", ">=",
    "<", ">", "+", "-", "*", "/", "%", "++", "|", "?", "~", "=", "`", "\"", "\\", "#", "!",
];

/// Multi-token pieces that get the parser past the first item, so the soup
/// also exercises lowering and the resolver.
const FRAGMENTS: &[&str] = &[
    "migration \"m\" { strategy phased }\n",
    "source legacy: sqlite {",
    "target crm: postgres {",
    "table t {",
    "table customers { id int primary key\n name text not null pii\n rows ~ 10 }",
    "id int primary key\n",
    "amount decimal(12, 2) not null default 0.00 check (amount >= 0)\n",
    "map legacy.customers -> crm.accounts {",
    "map m: legacy.t as a left join legacy.u b on a.id == b.id -> crm.t {",
    "key id = id",
    "name = trim(name) else reject \"bad\"",
    "rule TRN-001 \"title\" {",
    "drop a, b.c because \"why\"",
    "lookup status { \"A\" | \"a\" => \"Active\", else => \"Other\" }",
    "fn f(a: int, b: text?) -> int = a + 1",
    "example \"e\" for legacy.customers -> crm.accounts { given { id: 1 } expect { id: -1 } }",
    "expect reject TRN-001 \"bad\"",
    "gate g before load { unique legacy.t.id warn tolerance 0.5%",
    "assert count legacy.t where x > 0 == 0",
    "count legacy.a == count crm.b + rejected legacy.a",
    "fk crm.t.id resolves",
    "checksum legacy.a -> crm.b on id, name",
    "sample 100 recompute for legacy.a -> crm.b",
    "rollback { when gate g fails strategy truncate }",
    "when rejected legacy.t > 0.5%",
    "phase p \"Title\" 3d after a, b owner \"x\" { load; gate g; rollback; \"Freeze\" }",
    "drop table legacy.x because \"unused\"",
    "case x when 1 then \"a\" else \"b\" end",
    "if a then b else c",
    "cast(x as varchar(10))",
    "ref crm.accounts(id)",
    "x not between -1 and 10",
    "x is not null",
    "x not in (1, 2, 3)",
    "status[code]",
    "a.b.c",
];

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(WORDS).prop_map(str::to_owned)
}

fn punct() -> impl Strategy<Value = String> {
    prop::sample::select(PUNCT).prop_map(str::to_owned)
}

fn fragment() -> impl Strategy<Value = String> {
    prop::sample::select(FRAGMENTS).prop_map(str::to_owned)
}

fn identifier() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-z_][a-z0-9_]{0,8}",
        1 => "[A-Z][A-Za-z0-9]{0,5}",
        1 => "[éößλ名][a-zé名前0-9]{0,3}",
        1 => "`[a-z #\"é]{0,6}`",
        1 => Just("`unterminated".to_owned()),
        1 => Just("`a``b`".to_owned()),
        1 => Just("``".to_owned()),
        1 => "[A-Z]{3}-[0-9]{3}",
    ]
}

fn string_literal() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => "[a-zA-Z0-9 é#{}()\\[\\]]{0,4}",
        1 => Just("\\n".to_owned()),
        1 => Just("\\\"".to_owned()),
        1 => Just("\\\\".to_owned()),
        1 => Just("\\t\\r\\0".to_owned()),
        1 => Just("\\u{e9}".to_owned()),
        1 => Just("\\u{1F600}".to_owned()),
        // invalid escapes
        1 => Just("\\q".to_owned()),
        1 => Just("\\u{}".to_owned()),
        1 => Just("\\u{110000}".to_owned()),
        1 => Just("\\u{D800}".to_owned()),
        1 => Just("\\u{1234567}".to_owned()),
        1 => Just("\\u12".to_owned()),
        1 => Just("\\u{zz}".to_owned()),
        1 => Just("\\é".to_owned()),
        1 => Just("\n".to_owned()),
    ];
    (prop::collection::vec(piece, 0..6), 0..8u8).prop_map(|(pieces, close)| {
        let body = pieces.concat();
        // Mostly closed; sometimes unterminated, or ending in a backslash.
        match close {
            0 => format!("\"{body}"),
            1 => format!("\"{body}\\"),
            _ => format!("\"{body}\""),
        }
    })
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[0-9]{1,4}",
        1 => "[0-9]{15,40}",
        1 => Just("9223372036854775807".to_owned()),
        1 => Just("9223372036854775808".to_owned()),
        1 => Just("18446744073709551616".to_owned()),
        1 => Just("4294967296".to_owned()),
        1 => "[0-9]{1,3}(_[0-9]{3}){0,12}",
        1 => "[0-9]{1,20}\\.[0-9]{1,20}",
        1 => "-[0-9]{1,20}(\\.[0-9]{1,3})?",
        1 => "1_|1__0|0x1F|1e10|1\\.|\\.5",
        1 => "[0-9]{1,25}(\\.[0-9]{1,2})?[mhdw]",
        1 => "[0-9]{1,25}(\\.[0-9]{1,3})?%",
        1 => "[0-9]{1,25}(_[0-9]{3})?/[smh]",
    ]
}

fn trivia() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just("\n".to_owned()),
        1 => Just("\t".to_owned()),
        1 => Just("\r\n".to_owned()),
        1 => Just("\r".to_owned()),
        1 => "#[ -~]{0,10}\r",
        1 => "#[ -~é─→]{0,20}\n",
        1 => "#[ -~]{0,10}",
        1 => Just("\u{FEFF}".to_owned()),
        1 => Just("\0".to_owned()),
        1 => Just("\u{2028}".to_owned()),
        1 => Just("\u{00A0}".to_owned()),
    ]
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => word(),
        6 => punct(),
        4 => identifier(),
        2 => string_literal(),
        3 => number(),
        2 => trivia(),
        2 => fragment(),
    ]
}

// ─────────────────────────── Properties ───────────────────────────

/// (a) Arbitrary bytes, made text as the CLI would show them.
#[test]
fn arbitrary_bytes_never_panic() {
    // Bytes biased towards the ones that mean something to the grammar,
    // and towards invalid UTF-8.
    run_property(
        "arbitrary bytes",
        512,
        || {
            let byte = prop_oneof![
                4 => any::<u8>(),
                4 => prop::sample::select(&b"{}()[],;:.-=><+*/%|?~\"\\`#\n\t _aeimnrst019"[..]),
                1 => prop::sample::select(&[0x80u8, 0xBF, 0xC3, 0xE2, 0xF0, 0xFF, 0xFE, 0xEF, 0xBB, 0x00][..]),
            ];
            prop::collection::vec(byte, 0..1024)
        },
        |bytes| prop_check(&String::from_utf8_lossy(&bytes)),
    );
}

/// (a′) Arbitrary Unicode text (not just the lossy replacement character).
#[test]
fn arbitrary_text_never_panics() {
    run_property(
        "arbitrary text",
        256,
        || ".{0,300}",
        |s: String| prop_check(&s),
    );
}

/// (b) Token soup from the grammar's vocabulary, joined with spaces.
#[test]
fn token_soup_never_panics() {
    run_property(
        "token soup",
        512,
        || prop::collection::vec(token(), 0..120),
        |tokens| prop_check(&tokens.join(" ")),
    );
}

/// (b′) Token soup after a valid header, and joined without spaces, so the
/// resolver and the tokens' boundaries get their share.
#[test]
fn token_soup_after_header_never_panics() {
    run_property(
        "token soup after a header",
        384,
        || (prop::collection::vec(token(), 0..120), any::<bool>()),
        |(tokens, spaced)| {
            let sep = if spaced { " " } else { "" };
            let src = format!(
                "migration \"m\" {{ strategy phased }}\n\
                 source legacy: sqlite {{ table t {{ id int primary key\n x text }} }}\n\
                 target crm: postgres {{ table t {{ id int primary key\n x text }} }}\n{}",
                tokens.join(sep)
            );
            prop_check(&src)
        },
    );
}

/// The shipped specs, read once.
fn corpus() -> &'static [(String, String)] {
    static CORPUS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        let mut dirs = vec![root.join("tests/parse/valid")];
        for entry in std::fs::read_dir(root.join("examples")).expect("read examples/") {
            dirs.push(entry.expect("examples/ entry").path());
        }
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let path = entry.expect("dir entry").path();
                if path.extension().is_some_and(|e| e == "cutover") {
                    let text = std::fs::read_to_string(&path).expect("read spec");
                    files.push((path.display().to_string(), text));
                }
            }
        }
        files.sort();
        assert!(
            files.len() >= 6,
            "expected the shipped specs, found {}",
            files.len()
        );
        files
    })
}

/// A position or length as a fraction of the input, so a strategy need not
/// know the input's size (and shrinks towards the start and short ranges).
type Frac = u16;

fn at(frac: Frac, len: usize) -> usize {
    (frac as usize * len) / (Frac::MAX as usize + 1)
}

#[derive(Clone, Debug)]
enum Mutation {
    DeleteBytes { at: Frac, len: u16 },
    DuplicateBytes { at: Frac, len: u16, to: Frac },
    SwapBytes { a: Frac, b: Frac, len: u16 },
    InsertBytes { at: Frac, bytes: Vec<u8> },
    DeleteToken { at: Frac, count: u8 },
    DuplicateToken { at: Frac, to: Frac },
    SwapTokens { a: Frac, b: Frac },
    InsertToken { at: Frac, token: String },
    ReplaceToken { at: Frac, token: String },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let f = any::<Frac>;
    prop_oneof![
        (f(), 0..64u16).prop_map(|(at, len)| Mutation::DeleteBytes { at, len }),
        (f(), 0..64u16, f()).prop_map(|(at, len, to)| Mutation::DuplicateBytes { at, len, to }),
        (f(), f(), 0..32u16).prop_map(|(a, b, len)| Mutation::SwapBytes { a, b, len }),
        (f(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Mutation::InsertBytes { at, bytes }),
        (f(), 1..4u8).prop_map(|(at, count)| Mutation::DeleteToken { at, count }),
        (f(), f()).prop_map(|(at, to)| Mutation::DuplicateToken { at, to }),
        (f(), f()).prop_map(|(a, b)| Mutation::SwapTokens { a, b }),
        (f(), token()).prop_map(|(at, token)| Mutation::InsertToken { at, token }),
        (f(), token()).prop_map(|(at, token)| Mutation::ReplaceToken { at, token }),
    ]
}

/// Splits text into words, single punctuation characters and whitespace
/// runs; concatenating the pieces gives the text back.
fn tokens(text: &str) -> Vec<String> {
    #[derive(PartialEq)]
    enum Class {
        Word,
        Space,
        Other,
    }
    let class = |c: char| {
        if c.is_alphanumeric() || c == '_' {
            Class::Word
        } else if c.is_whitespace() {
            Class::Space
        } else {
            Class::Other
        }
    };
    let mut out: Vec<String> = Vec::new();
    let mut prev: Option<Class> = None;
    for c in text.chars() {
        let k = class(c);
        match (&prev, out.last_mut()) {
            (Some(p), Some(last)) if *p == k && k != Class::Other => last.push(c),
            _ => out.push(c.to_string()),
        }
        prev = Some(k);
    }
    out
}

fn apply(mut bytes: Vec<u8>, m: &Mutation) -> Vec<u8> {
    let n = bytes.len();
    match m {
        Mutation::DeleteBytes { at: a, len } => {
            let s = at(*a, n);
            let e = (s + *len as usize).min(n);
            bytes.drain(s..e);
        }
        Mutation::DuplicateBytes { at: a, len, to } => {
            let s = at(*a, n);
            let e = (s + *len as usize).min(n);
            let piece = bytes[s..e].to_vec();
            let t = at(*to, n);
            bytes.splice(t..t, piece);
        }
        Mutation::SwapBytes { a, b, len } => {
            let (mut x, mut y) = (at(*a, n), at(*b, n));
            if x > y {
                std::mem::swap(&mut x, &mut y);
            }
            let l = (*len as usize).min(y - x).min(n - y);
            let (left, right) = bytes.split_at_mut(y);
            left[x..x + l].swap_with_slice(&mut right[..l]);
        }
        Mutation::InsertBytes { at: a, bytes: ins } => {
            let t = at(*a, n);
            bytes.splice(t..t, ins.iter().copied());
        }
        Mutation::DeleteToken { .. }
        | Mutation::DuplicateToken { .. }
        | Mutation::SwapTokens { .. }
        | Mutation::InsertToken { .. }
        | Mutation::ReplaceToken { .. } => {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let mut toks = tokens(&text);
            let k = toks.len();
            if k == 0 {
                return bytes;
            }
            match m {
                Mutation::DeleteToken { at: a, count } => {
                    let s = at(*a, k);
                    toks.drain(s..(s + *count as usize).min(k));
                }
                Mutation::DuplicateToken { at: a, to } => {
                    let t = toks[at(*a, k)].clone();
                    toks.insert(at(*to, k), t);
                }
                Mutation::SwapTokens { a, b } => toks.swap(at(*a, k), at(*b, k)),
                Mutation::InsertToken { at: a, token } => {
                    toks.insert(at(*a, k), format!(" {token} "))
                }
                Mutation::ReplaceToken { at: a, token } => toks[at(*a, k)].clone_from(token),
                _ => {}
            }
            return toks.concat().into_bytes();
        }
    }
    bytes
}

/// (c) Mutations of the shipped specs: byte ranges and tokens deleted,
/// duplicated, swapped, inserted and replaced.
#[test]
fn mutated_examples_never_panic() {
    run_property(
        "mutated examples",
        256,
        || {
            (
                any::<prop::sample::Index>(),
                prop::collection::vec(mutation(), 1..5),
            )
        },
        |(file, mutations)| {
            let files = corpus();
            let (path, text) = &files[file.index(files.len())];
            let mut bytes = text.clone().into_bytes();
            for m in &mutations {
                bytes = apply(bytes, m);
            }
            let src = String::from_utf8_lossy(&bytes);
            check_source(&src).map(drop).map_err(|e| {
                TestCaseError::fail(format!("{path}: {e}\n--- mutated source ---\n{src}"))
            })
        },
    );
}

// ─────────────────────────── Extreme cases ───────────────────────────

const HEADER: &str = "migration \"m\" { strategy phased }\n";

/// A spec whose only expression is `body`, in an `fn` with parameters
/// `a: int`, `b: bool` and `s: text`.
fn in_fn(ret: &str, body: &str) -> String {
    format!("{HEADER}fn f(a: int, b: bool, s: text) -> {ret} = {body}\n")
}

/// Compiles `source` on a 2 MiB stack and checks the diagnostics; `expect`
/// is a code that must be among them, if any. Prints size, time and codes
/// (shown with `--nocapture`).
fn extreme(name: &str, source: String, expect: Option<&'static str>) -> Compiled {
    let source_len = source.len();
    let started = Instant::now();
    let owned = name.to_owned();
    let compiled = on_small_stack(name, move || must_hold(&owned, &source));
    let mut shown = codes(&compiled);
    shown.truncate(5);
    eprintln!(
        "{name}: {source_len} bytes, {:?}, codes {shown:?}",
        started.elapsed()
    );
    if let Some(code) = expect {
        assert!(
            codes(&compiled).contains(&code),
            "{name}: expected {code}, got {:?}",
            codes(&compiled)
        );
    }
    compiled
}

fn assert_fails(name: &str, c: &Compiled) {
    assert!(
        c.has_errors(),
        "{name}: expected an error, got {:?}",
        codes(c)
    );
}

fn assert_compiles(name: &str, c: &Compiled) {
    assert!(
        !c.has_errors(),
        "{name}: expected no errors, got {:?}",
        codes(c)
    );
}

#[test]
fn empty_source_reports_missing_header() {
    let c = extreme("empty", String::new(), Some("E0117"));
    assert_fails("empty", &c);
}

#[test]
fn whitespace_and_comments_only() {
    for src in [
        " ",
        "\n\n\n",
        "\t \r\n \t",
        "# only a comment",
        "# a comment\n# and another\n",
        "#",
        "\r",
        "\u{2028}",
    ] {
        let name = format!("whitespace {src:?}");
        let c = extreme(&name, src.to_owned(), None);
        assert_fails(&name, &c);
    }
}

#[test]
fn ten_thousand_nested_parentheses() {
    let n = 10_000;
    let balanced = in_fn("int", &format!("{}a{}", "(".repeat(n), ")".repeat(n)));
    extreme("10k nested ( balanced", balanced, Some("E0004"));
    extreme(
        "10k unclosed (",
        in_fn("int", &"(".repeat(n)),
        Some("E0004"),
    );
    extreme("10k ( alone", "(".repeat(n), Some("E0004"));
    let calls = in_fn("text", &format!("{}s{}", "trim(".repeat(n), ")".repeat(n)));
    extreme("10k nested calls", calls, Some("E0004"));
    // Brackets inside strings, quoted names and comments do not count.
    let quoted = in_fn("text", &format!("\"{}\"", "(".repeat(n)));
    let c = extreme("10k ( in a string", quoted, None);
    assert_compiles("10k ( in a string", &c);
    let commented = format!("{HEADER}# {}\n", "(".repeat(n));
    let c = extreme("10k ( in a comment", commented, None);
    assert_compiles("10k ( in a comment", &c);
}

#[test]
fn ten_thousand_nested_brackets_and_braces() {
    let n = 10_000;
    let index = in_fn("text", &format!("{}a{}", "l[".repeat(n), "]".repeat(n)));
    extreme("10k nested [", index, Some("E0004"));
    extreme("10k [ alone", "[".repeat(n), Some("E0004"));
    let braces = format!("{HEADER}rollback {}{}", "{".repeat(n), "}".repeat(n));
    extreme("10k nested {", braces, Some("E0004"));
    extreme("10k { alone", "{".repeat(n), Some("E0004"));
    let rows = format!(
        "{HEADER}example \"e\" for a.b -> c.d {{ given {}{{ x: 1 }}{} }}",
        "[".repeat(n),
        "]".repeat(n)
    );
    extreme("10k nested rows", rows, Some("E0004"));
    extreme("10k mixed ([{", "([{".repeat(n / 3 + 1), Some("E0004"));
}

#[test]
fn moderate_nesting_compiles() {
    // Realistic depths, well inside both limits, through every stage.
    let n = 50;
    let parens = in_fn("int", &format!("{}a{}", "(".repeat(n), ")".repeat(n)));
    assert_compiles("50 nested (", &extreme("50 nested (", parens, None));
    let calls = in_fn("text", &format!("{}s{}", "trim(".repeat(n), ")".repeat(n)));
    assert_compiles("50 nested calls", &extreme("50 nested calls", calls, None));
    let casts = in_fn(
        "int",
        &format!("{}a{}", "cast(".repeat(n), " as int)".repeat(n)),
    );
    extreme("50 nested casts", casts, None);
    let ins = in_fn("bool", &format!("{}b{}", "b in (".repeat(n), ")".repeat(n)));
    extreme("50 nested in", ins, None);
    let case = format!(
        "{}1{}",
        "case when b then ".repeat(n),
        " else 0 end".repeat(n)
    );
    assert_compiles(
        "50 nested case",
        &extreme("50 nested case", in_fn("int", &case), None),
    );
    let ifs = format!("{}0", "if b then 1 else ".repeat(n));
    assert_compiles(
        "50 else-ifs",
        &extreme("50 else-ifs", in_fn("int", &ifs), None),
    );
    let chain = vec!["a"; 150].join(" + ");
    assert_compiles(
        "150-term +",
        &extreme("150-term +", in_fn("int", &chain), None),
    );
}

#[test]
fn long_operator_chain_is_too_deep() {
    let chain = vec!["a"; 300].join(" + ");
    extreme("300-term +", in_fn("int", &chain), Some("E0004"));
    let chain = vec!["s"; 300].join(" ++ ");
    extreme("300-term ++", in_fn("text", &chain), Some("E0004"));
    let chain = vec!["b"; 300].join(" and ");
    extreme("300-term and", in_fn("bool", &chain), Some("E0004"));
    // Mixed precedence (the Pratt parser recurses for the tighter operators):
    // 300 groups `a * a + a == a and a` joined by `or`.
    let chain = vec!["a * a + a == a and b"; 300].join(" or ");
    extreme("300 mixed groups", in_fn("bool", &chain), Some("E0004"));
    // 20,000 terms: the limit must stop it, not a stack overflow.
    let chain = vec!["a"; 20_000].join(" + ");
    extreme("20k-term +", in_fn("int", &chain), Some("E0004"));
    // Postfix operators stack too.
    let chain = format!("b{}", " is null is not null".repeat(150));
    extreme("300 postfix", in_fn("bool", &chain), Some("E0004"));
    let chain = format!("a{}", " between 1 and 2 == true".repeat(200));
    extreme("200 between", in_fn("bool", &chain), Some("E0004"));
}

#[test]
fn long_prefix_runs() {
    let nots = format!("{}b", "not ".repeat(20));
    assert_fails("20 nots", &extreme("20 nots", in_fn("bool", &nots), None));
    let negs = format!("{}a", "- ".repeat(20));
    assert_fails(
        "20 minuses",
        &extreme("20 minuses", in_fn("int", &negs), None),
    );
    let negs = format!("{}a", "-".repeat(20));
    assert_fails(
        "20 minuses unspaced",
        &extreme("20 minuses unspaced", in_fn("int", &negs), None),
    );
    // 16 is the most the grammar takes in one run.
    let nots = format!("{}b", "not ".repeat(16));
    assert_compiles("16 nots", &extreme("16 nots", in_fn("bool", &nots), None));
    let nots = format!("{}b", "not ".repeat(10_000));
    assert_fails("10k nots", &extreme("10k nots", in_fn("bool", &nots), None));
    let negs = format!("{}a", "- ".repeat(10_000));
    assert_fails(
        "10k minuses",
        &extreme("10k minuses", in_fn("int", &negs), None),
    );
    // Runs of 16 separated by parentheses: 20 runs, 320 prefix operators.
    let runs = format!(
        "{}a{}",
        "- - - - - - - - - - - - - - - - (".repeat(20),
        ")".repeat(20)
    );
    extreme("20 runs of 16 minuses", in_fn("int", &runs), Some("E0004"));
}

#[test]
fn one_megabyte_string_literal() {
    let started = Instant::now();
    let big = "x".repeat(1 << 20);
    let c = extreme("1 MB string", in_fn("text", &format!("\"{big}\"")), None);
    assert_compiles("1 MB string", &c);
    let title = format!("migration \"{big}\" {{ strategy phased }}\n");
    assert_compiles("1 MB title", &extreme("1 MB title", title, None));
    let unterminated = in_fn("text", &format!("\"{big}"));
    let c = extreme("1 MB unterminated string", unterminated, Some("E0002"));
    assert_fails("1 MB unterminated string", &c);
    let bad_escape = in_fn("text", &format!("\"{big}\\q\""));
    extreme(
        "1 MB string, bad escape at the end",
        bad_escape,
        Some("E0003"),
    );
    let multibyte = in_fn("text", &format!("\"{}\"", "é─😀".repeat(1 << 17)));
    assert_compiles(
        "1 MB multibyte string",
        &extreme("1 MB multibyte string", multibyte, None),
    );
    let took = started.elapsed();
    assert!(took < Duration::from_secs(40), "1 MB strings took {took:?}");
}

/// A deterministic generator, so garbage is the same on every run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn text(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char)
            .collect()
    }
}

#[test]
fn ten_megabytes_of_garbage() {
    let started = Instant::now();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let size = 10 * 1024 * 1024;
    let printable: Vec<u8> = (b' '..=b'~').chain([b'\n', b'\t']).collect();
    let c = extreme("10 MB printable garbage", rng.text(&printable, size), None);
    assert_fails("10 MB printable garbage", &c);
    // Without the characters that end the bracket scan early or trip it
    // (`#`, quotes, brackets), so the parser proper sees all of it.
    let calm: Vec<u8> = printable
        .iter()
        .copied()
        .filter(|b| !b"#\"`([{}])".contains(b))
        .collect();
    let c = extreme("10 MB garbage, no brackets", rng.text(&calm, size), None);
    assert_fails("10 MB garbage, no brackets", &c);
    // Arbitrary bytes, lossily decoded as the CLI shows them.
    let bytes: Vec<u8> = (0..size).map(|_| rng.next() as u8).collect();
    let c = extreme(
        "10 MB random bytes",
        String::from_utf8_lossy(&bytes).into_owned(),
        None,
    );
    assert_fails("10 MB random bytes", &c);
    // Garbage words after a valid header, inside a table.
    let words = ["abc ", "int ", "x1 ", "null ", "\n", "pii ", "not ", "ok_ "];
    let body: String = (0..size / 5)
        .map(|_| words[(rng.next() % 8) as usize])
        .collect();
    let src = format!("{HEADER}source s: sqlite {{ table t {{\n{body}");
    assert_fails(
        "10 MB words in a table",
        &extreme("10 MB words in a table", src, None),
    );
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(40),
        "10 MB garbage took {took:?}"
    );
}

#[test]
fn input_over_the_size_limit_is_refused() {
    let c = extreme(
        "64 MiB + 1 spaces",
        " ".repeat(MAX_SOURCE_BYTES + 1),
        Some("E0006"),
    );
    assert_eq!(codes(&c), ["E0006"]);
    // Refused before anything else looks at it (here: the bracket scan).
    let mut deep = "(".repeat(MAX_SOURCE_BYTES);
    deep.push('é');
    let c = extreme("64 MiB of ( and an é", deep, Some("E0006"));
    assert_eq!(codes(&c), ["E0006"]);
}

#[test]
fn one_hundred_thousand_comment_lines() {
    let line = "# a comment line ─ with → non-ASCII and (brackets [ {\n";
    let c = extreme("100k comment lines", line.repeat(100_000), Some("E0117"));
    assert_fails("100k comment lines", &c);
    extreme("100k bare #", "#\n".repeat(100_000), Some("E0117"));
    let src = format!("{}{HEADER}{}", line.repeat(20_000), line.repeat(20_000));
    assert_compiles(
        "40k comment lines + header",
        &extreme("40k comment lines + header", src, None),
    );
}

#[test]
fn nul_bytes() {
    assert_fails("one NUL", &extreme("one NUL", "\0".to_owned(), None));
    assert_fails(
        "100k NULs",
        &extreme("100k NULs", "\0".repeat(100_000), None),
    );
    let c = extreme(
        "NUL between items",
        format!("{HEADER}\0fn f() -> int = 1\n"),
        None,
    );
    assert_fails("NUL between items", &c);
    extreme("NUL in a string", in_fn("text", "\"a\0b\""), None);
    let c = extreme("escaped NUL in a string", in_fn("text", "\"a\\0b\""), None);
    assert_compiles("escaped NUL in a string", &c);
    extreme(
        "NUL in a comment",
        format!("{HEADER}# comment \0 with NUL\nfn f() -> int = 1\n"),
        None,
    );
    extreme(
        "NUL in a quoted name",
        format!("{HEADER}fn f(`a\0b`: int) -> int = `a\0b`\n"),
        None,
    );
}

#[test]
fn byte_order_mark() {
    // Either accepted or a syntax error; both are fine here, a panic is not.
    extreme("BOM + header", format!("\u{FEFF}{HEADER}"), None);
    assert_fails(
        "BOM alone",
        &extreme("BOM alone", "\u{FEFF}".to_owned(), None),
    );
    extreme(
        "BOM mid-file",
        format!("{HEADER}\u{FEFF}fn f() -> int = 1\n"),
        None,
    );
}

#[test]
fn hundred_thousand_escapes() {
    let c = extreme(
        "100k \\n",
        in_fn("text", &format!("\"{}\"", "\\n".repeat(100_000))),
        None,
    );
    assert_compiles("100k \\n", &c);
    let src = in_fn("text", &format!("\"{}\"", "\\u{1F600}".repeat(100_000)));
    assert_compiles("100k \\u{…}", &extreme("100k \\u{…}", src, None));
    let src = in_fn("text", &format!("\"{}\"", "\\q".repeat(100_000)));
    let c = extreme("100k invalid escapes", src, Some("E0003"));
    assert!(
        c.diagnostics.len() <= 100,
        "{} diagnostics for one string",
        c.diagnostics.len()
    );
    let src = in_fn("text", &format!("\"{}\"", "\\u{D800}".repeat(100_000)));
    extreme("100k surrogate escapes", src, Some("E0003"));
    let src = in_fn("text", &format!("\"{}", "\\\"".repeat(100_000)));
    assert_fails(
        "100k \\\" unterminated",
        &extreme("100k \\\" unterminated", src, Some("E0002")),
    );
}

#[test]
fn many_items_and_long_lists() {
    // Wide rather than deep: 2,000 fns each calling the next (a chain the
    // recursion check walks without recursing), then the same closed into a
    // cycle, and long `in` lists.
    let n = 2_000;
    let mut src = String::from(HEADER);
    for i in 0..n {
        src.push_str(&format!("fn f{i}(a: int) -> int = f{}(a)\n", i + 1));
    }
    let chain = format!("{src}fn f{n}(a: int) -> int = a\n");
    assert_compiles(
        "2k-fn call chain",
        &extreme("2k-fn call chain", chain, None),
    );
    let cycle = format!("{src}fn f{n}(a: int) -> int = f0(a)\n");
    extreme("2k-fn call cycle", cycle, Some("E0118"));
    let list = vec!["1"; 5_000].join(", ");
    let c = extreme(
        "5k-item in list",
        in_fn("bool", &format!("a in ({list})")),
        None,
    );
    assert_compiles("5k-item in list", &c);
    let names = (0..1_000)
        .map(|i| format!("x{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let c = extreme(
        "1k unknown names",
        in_fn("bool", &format!("a in ({names})")),
        Some("E0103"),
    );
    assert!(
        c.diagnostics.len() >= 1_000,
        "one diagnostic per unknown name"
    );
}

// ──────────────── Nesting at and beyond the limits ────────────────
//
// These overflowed the stack before parsing, lowering and resolution ran on
// a grown stack (`stacker::grow`, crates/syntax/src/lib.rs and
// crates/check/src/lib.rs) and before `if`/`case` counted towards the
// nesting limit (crates/syntax/src/nesting.rs). They run on the default
// 2 MiB test-thread stack in the dev profile.

#[test]
fn deeply_nested_case() {
    let n = 200;
    let body = format!(
        "{}1{}",
        "case when b then ".repeat(n),
        " else 0 end".repeat(n)
    );
    extreme("200 nested case", in_fn("int", &body), None);
    let body = format!("{}1{}", "case a when 1 then ".repeat(n), " end".repeat(n));
    extreme("200 nested simple case", in_fn("int", &body), None);
    let body = format!("{}b{}", "case when ".repeat(n), " then b end".repeat(n));
    extreme("200 nested case conditions", in_fn("bool", &body), None);
    let body = format!("{}a", "- case when b then ".repeat(n)) + &" else 0 end".repeat(n);
    extreme("200 negated nested case", in_fn("int", &body), None);
    for n in [1_000, 2_000, 5_000] {
        let body = format!(
            "{}1{}",
            "case when b then ".repeat(n),
            " else 0 end".repeat(n)
        );
        extreme(
            &format!("{n} nested case"),
            in_fn("int", &body),
            Some("E0004"),
        );
    }
}

#[test]
fn long_else_if_chains() {
    for n in [200, 255, 1_000, 2_000, 5_000, 10_000] {
        let body = format!("{}0", "if b then 1 else ".repeat(n));
        let c = extreme(&format!("else-if chain of {n}"), in_fn("int", &body), None);
        if n > MAX_EXPR_DEPTH as usize {
            assert!(codes(&c).contains(&"E0004"), "{n}: {:?}", codes(&c));
        }
    }
    let body = format!(
        "{}b{}",
        "if if b then b else ".repeat(300),
        " then b else b".repeat(300)
    );
    extreme("if in condition, 300", in_fn("bool", &body), Some("E0004"));
}

#[test]
fn nesting_just_under_the_limit() {
    // MAX_NESTING allows 128 levels; they must get through every stage.
    let n = cutover_syntax::MAX_NESTING as usize - 1;
    let parens = in_fn("int", &format!("{}a{}", "(".repeat(n), ")".repeat(n)));
    assert_compiles("127 nested (", &extreme("127 nested (", parens, None));
    let calls = in_fn("text", &format!("{}s{}", "trim(".repeat(n), ")".repeat(n)));
    assert_compiles(
        "127 nested calls",
        &extreme("127 nested calls", calls, None),
    );
    let casts = in_fn(
        "int",
        &format!("{}a{}", "cast(".repeat(n), " as int)".repeat(n)),
    );
    extreme("127 nested casts", casts, None);
    let ins = in_fn("bool", &format!("{}b{}", "b in (".repeat(n), ")".repeat(n)));
    extreme("127 nested in", ins, None);
}

#[test]
fn prefix_runs_between_parentheses() {
    // 127 runs of 16 minuses, each opening a parenthesis: within both the
    // prefix-run and bracket limits, 2,032 prefix operators deep.
    let runs = format!(
        "{}a{}",
        "- - - - - - - - - - - - - - - - (".repeat(127),
        ")".repeat(127)
    );
    extreme("127 runs of 16 minuses", in_fn("int", &runs), Some("E0004"));
}

#[test]
fn chain_at_the_expression_depth_limit() {
    // Exactly at the limit: lowering accepts it, so the resolver must cope
    // with a tree MAX_EXPR_DEPTH deep on a 2 MiB stack.
    let chain = vec!["a"; MAX_EXPR_DEPTH as usize].join(" + ");
    assert_compiles(
        "256-term +",
        &extreme("256-term +", in_fn("int", &chain), None),
    );
    let chain = format!(
        "b{}",
        " is null is not null".repeat(MAX_EXPR_DEPTH as usize / 2 - 1)
    );
    extreme("254 postfix", in_fn("bool", &chain), None);
}

// ──────────── The nesting guard agrees with the grammar ────────────
//
// pest 2.8.3 has no stack guard of its own, so crates/syntax/src/nesting.rs
// is what bounds its recursion. These cases once slipped past the guard (a
// comment ended by a lone \r, an identifier ending in `end`) or were
// refused though nothing nested (sibling `if`s).

/// For pest a `#` comment ends at any NEWLINE (`\n`, `\r\n` or a lone `\r`);
/// the nesting scan skips to the next `\n`, so it takes everything after
/// `# …\r` on that line for comment while pest parses it as code.
#[test]
fn carriage_return_ends_a_comment_for_the_guard_too() {
    // Past the keyword limit (1,024): only the guard can refuse these.
    let src = format!(
        "{HEADER}fn f(b: bool) -> int = # comment\r{}0\n",
        "if b then 1 else ".repeat(2_000)
    );
    extreme(
        "2,000 else-ifs after a \\r-ended comment",
        src,
        Some("E0004"),
    );
    // Parentheses add no expression depth: only the guard can refuse these.
    // 1,000 compile without errors today; 20,000 (a 40 KB spec) overflow
    // the 256 MiB grown stack in `lower::primary` (crates/syntax/src/
    // lower.rs:1500) in the dev profile; the release binary overflows from
    // about 100,000 (200 KB), and at 1,000,000 inside pest itself.
    for n in [1_000, 20_000] {
        let src = format!(
            "{HEADER}fn f(a: int) -> int = # comment\r{}a{}\n",
            "(".repeat(n),
            ")".repeat(n)
        );
        extreme(
            &format!("{n} ( after a \\r-ended comment"),
            src,
            Some("E0004"),
        );
    }
}

/// The scan's words are ASCII only, so in the identifier `éend` it sees the
/// word `end` and closes a `case` that pest still has open.
#[test]
fn identifier_ending_in_end_closes_no_case() {
    // 200 nested cases (expression depth 201): past MAX_NESTING, so E0004;
    // today the guard lets them through and only E0103 (unknown `éend`)
    // is reported. Deeper, the lowering's spans make it quadratic: 20,000
    // levels (580 KB) take 46 s in a release build.
    let n = 2_000;
    let body = format!("{}1{}", "case when éend then ".repeat(n), " end".repeat(n));
    extreme(
        "2,000 nested case with `éend`",
        in_fn("int", &body),
        Some("E0004"),
    );
}

/// `if` has no closing word; the guard forgets the `if`s of a bracket level
/// only at `;` or at a line that starts an assignment (`name =`), so `if`s
/// in successive `fn`s, gate checks, rules or list items add up.
#[test]
fn wide_specs_are_not_too_deep() {
    let not_too_deep = |name: &str, src: String| {
        let c = extreme(name, src, None);
        assert!(
            !codes(&c).contains(&"E0004"),
            "{name}: nothing nests here, got {:?}",
            codes(&c)
        );
    };
    let fns: String = (0..200)
        .map(|i| format!("fn f{i}(b: bool) -> int = if b then 1 else 0\n"))
        .collect();
    not_too_deep("200 fns with an `if`", format!("{HEADER}{fns}"));
    let items = vec!["if b then 1 else 0"; 200].join(", ");
    not_too_deep(
        "200 `if`s in an `in` list",
        in_fn("bool", &format!("a in ({items})")),
    );
    let asserts: String = (0..200)
        .map(|_| "  assert s.t: if id > 0 then true else false\n")
        .collect();
    not_too_deep(
        "200 gate checks with an `if`",
        format!(
            "{HEADER}source s: sqlite {{ table t {{ id int primary key\n rows ~ 1 }} }}\n\
             gate g before load {{\n{asserts}}}\n"
        ),
    );
    let rules: String = (0..200)
        .map(|i| format!("  rule R-{i} \"r\" a = if a > {i} then a else 0\n"))
        .collect();
    not_too_deep(
        "200 rules with an `if`",
        format!(
            "{HEADER}source s: sqlite {{ table t {{ id int primary key\n a int\n rows ~ 1 }} }}\n\
             target c: postgres {{ table t {{ id int primary key\n a int }} }}\n\
             map s.t -> c.t {{\n  key id = id\n{rules}}}\n"
        ),
    );
}
