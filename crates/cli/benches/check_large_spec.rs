//! Benchmark: parse + resolve + check of a generated spec with 2,000 tables
//! and 40,000 columns (1,000 source and 1,000 target tables of 20 columns,
//! one map per table pair). The target is under 1 second end to end and
//! under 500 MB peak memory; see docs/performance.md. It also times
//! `cutover fmt` on the spec (reported, no target).
//!
//! Run with `cargo bench -p cutover-cli --bench check_large_spec`. It
//! generates the spec in memory, checks that it compiles with no errors
//! (printing the diagnostics and exiting 1 otherwise), then times N runs of
//! each stage separately and of `compile` end to end, and prints min /
//! median / max per stage and the peak resident set size (`VmHWM`). It
//! exits 1 when the end-to-end median or the peak memory misses the target.
//!
//! Environment: `CUTOVER_BENCH_RUNS` (default 10) and
//! `CUTOVER_BENCH_TABLES` (tables per system, default 1,000).

mod gen_spec;

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The end-to-end target for the median run.
const TARGET: Duration = Duration::from_secs(1);
/// The peak-memory target, in KiB as `/proc/self/status` reports it.
const TARGET_RSS_KIB: u64 = 500 * 1024;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

/// A field of `/proc/self/status` in KiB (`VmHWM`, `VmRSS`), if readable.
fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| {
        let rest = l.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// min, median, max. For an even count the median is the mean of the two
/// middle runs.
fn summary(samples: &mut [Duration]) -> (Duration, Duration, Duration) {
    samples.sort();
    let n = samples.len();
    let median = if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2
    };
    (samples[0], median, samples[n - 1])
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn main() -> ExitCode {
    let runs = env_usize("CUTOVER_BENCH_RUNS", 10);
    let tables = env_usize("CUTOVER_BENCH_TABLES", gen_spec::TABLES_PER_SYSTEM);

    let t = Instant::now();
    let spec = gen_spec::generate(tables);
    let gen_time = t.elapsed();
    println!(
        "spec: {} tables ({} source + {} target), {} columns, {} maps",
        2 * tables,
        tables,
        tables,
        2 * tables * gen_spec::COLUMNS_PER_TABLE,
        tables
    );
    println!(
        "spec: {} bytes ({:.2} MiB), {} lines; generated in {:.1} ms",
        spec.len(),
        spec.len() as f64 / (1024.0 * 1024.0),
        spec.lines().count(),
        ms(gen_time)
    );
    let rss_after_gen = proc_status_kib("VmRSS");

    // Correctness first (and a warm-up run): the spec must compile cleanly.
    // This first, cold run is what a one-shot `cutover check` pays.
    let t = Instant::now();
    let compiled = cutover_check::compile(&spec);
    let cold = t.elapsed();
    if compiled.has_errors() || compiled.ir.is_none() {
        let shown: Vec<_> = compiled.diagnostics.iter().take(50).cloned().collect();
        eprint!(
            "{}",
            cutover_diagnostics::render::human("generated.cutover", &spec, &shown, false)
        );
        eprintln!(
            "check_large_spec: the generated spec has {} diagnostics ({} errors); it must compile cleanly",
            compiled.diagnostics.len(),
            compiled.diagnostics.iter().filter(|d| d.is_error()).count()
        );
        return ExitCode::from(1);
    }
    println!(
        "spec compiles: {} diagnostics (0 errors); first (cold) compile {:.1} ms",
        compiled.diagnostics.len(),
        ms(cold)
    );
    drop(compiled);

    let (mut parse, mut resolve, mut check, mut compile) = (
        Vec::with_capacity(runs),
        Vec::with_capacity(runs),
        Vec::with_capacity(runs),
        Vec::with_capacity(runs),
    );
    for _ in 0..runs {
        // Each stage on its own; dropping the results is outside the timers.
        let t = Instant::now();
        let ast = cutover_syntax::parse(black_box(&spec));
        parse.push(t.elapsed());
        let Ok(ast) = ast else {
            eprintln!("check_large_spec: the spec stopped parsing between runs");
            return ExitCode::from(1);
        };

        let t = Instant::now();
        let (ir, diagnostics) = cutover_ir::resolve(black_box(&ast));
        resolve.push(t.elapsed());

        let t = Instant::now();
        let findings = cutover_check::check(black_box(&ir));
        check.push(t.elapsed());
        black_box((&diagnostics, &findings));
        drop((ast, ir, diagnostics, findings));

        // The chain every front end calls.
        let t = Instant::now();
        let compiled = cutover_check::compile(black_box(&spec));
        compile.push(t.elapsed());
        black_box(&compiled);
        drop(compiled);
    }
    let peak = proc_status_kib("VmHWM");

    println!("\n{runs} runs each (ms)      min     median        max");
    let mut e2e_median = Duration::ZERO;
    let mut sum_of_medians = Duration::ZERO;
    for (name, samples) in [
        ("parse", &mut parse),
        ("resolve", &mut resolve),
        ("check", &mut check),
        ("compile (end to end)", &mut compile),
    ] {
        let (min, median, max) = summary(samples);
        println!(
            "{name:<21} {:>9.1} {:>10.1} {:>10.1}",
            ms(min),
            ms(median),
            ms(max)
        );
        if name.starts_with("compile") {
            e2e_median = median;
        } else {
            sum_of_medians += median;
        }
    }
    println!("sum of stage medians  {:>20.1}", ms(sum_of_medians));

    // `cutover fmt` on the same spec: reported, not part of the check
    // target (the peak memory above was read before it ran). The layout
    // must hold: formatting the formatted text changes nothing.
    let mut format = Vec::with_capacity(runs);
    let mut formatted = String::new();
    for _ in 0..runs {
        let t = Instant::now();
        let out = cutover_syntax::format(black_box(&spec));
        format.push(t.elapsed());
        match out {
            Ok(text) => formatted = text,
            Err(_) => {
                eprintln!("check_large_spec: the spec does not format");
                return ExitCode::from(1);
            }
        }
    }
    if cutover_syntax::format(&formatted).ok().as_ref() != Some(&formatted) {
        eprintln!("check_large_spec: formatting the formatted spec changes it");
        return ExitCode::from(1);
    }
    let (min, median, max) = summary(&mut format);
    println!(
        "{:<21} {:>9.1} {:>10.1} {:>10.1}",
        "format (cutover fmt)",
        ms(min),
        ms(median),
        ms(max)
    );

    match rss_after_gen {
        Some(kib) => println!("\nRSS after generating the spec: {:.1} MiB", mib(kib)),
        None => println!("\nRSS after generating the spec: unavailable"),
    }
    match peak {
        Some(kib) => println!(
            "peak RSS (VmHWM, whole process, includes the generated text): {:.1} MiB",
            mib(kib)
        ),
        None => println!("peak RSS (VmHWM): unavailable (no /proc/self/status)"),
    }

    let time_ok = e2e_median < TARGET;
    let rss_ok = peak.is_none_or(|kib| kib < TARGET_RSS_KIB);
    println!(
        "\ntarget: median end to end < {} ms: {}; peak RSS < {} MiB: {}",
        TARGET.as_millis(),
        if time_ok { "met" } else { "MISSED" },
        TARGET_RSS_KIB / 1024,
        if rss_ok { "met" } else { "MISSED" },
    );
    if time_ok && rss_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
