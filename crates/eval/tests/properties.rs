//! Property tests: the evaluator never panics on arbitrary typed rows, and
//! accounts for every source row; the built-ins keep their stated laws.

use chrono::{NaiveDate, NaiveDateTime};
use cutover_eval::decimal::Decimal;
use cutover_eval::{functions, Engine, Value};
use cutover_ir::{Ir, MapId, TableId, TypeKind};
use proptest::prelude::*;
use std::sync::OnceLock;

fn spec(name: &str) -> &'static Ir {
    static SPECS: OnceLock<Vec<(String, Ir)>> = OnceLock::new();
    let specs = SPECS.get_or_init(|| {
        ["crm", "ai-platform", "user-management"]
            .iter()
            .map(|n| {
                let path = format!(
                    "{}/../../examples/{n}/{n}.cutover",
                    env!("CARGO_MANIFEST_DIR")
                );
                let text = std::fs::read_to_string(&path).expect("example spec");
                let compiled = cutover_check::compile(&text);
                assert!(!compiled.has_errors(), "{path} has errors");
                ((*n).to_owned(), compiled.ir.expect("ir"))
            })
            .collect()
    });
    &specs.iter().find(|(n, _)| n == name).expect("known spec").1
}

fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 23)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .expect("valid")
}

/// Text that stresses the text functions: whitespace of every kind,
/// combining marks, multi-byte letters, emoji, control characters.
fn hostile_text(max: usize) -> BoxedStrategy<String> {
    prop_oneof![
        Just(String::new()),
        Just(" \t\n\r\x0b\x0c".to_owned()),
        proptest::string::string_regex(&format!(
            "[ a-zA-Z0-9\\t\\u{{a0}}\\u{{3000}}ßİıΣσçé\\u{{301}}北京🦀/%_.,:-]{{0,{}}}",
            max.min(60)
        ))
        .expect("regex"),
        proptest::string::string_regex(&format!("\\PC{{0,{}}}", max.min(40))).expect("regex"),
        (1..=max.clamp(1, 3000)).prop_map(|n| "é".repeat(n)),
    ]
    .prop_map(move |s| s.chars().take(max).collect())
    .boxed()
}

fn int_in(kind: TypeKind) -> BoxedStrategy<i64> {
    let (lo, hi) = cutover_eval::value::int_range(kind);
    prop_oneof![Just(lo), Just(hi), Just(0i64), Just(-1i64), lo..=hi].boxed()
}

fn datetime() -> BoxedStrategy<NaiveDateTime> {
    (
        1i32..=9999,
        1u32..=12,
        1u32..=28,
        0u32..24,
        0u32..60,
        0u32..60,
        0u32..1_000_000,
    )
        .prop_map(|(y, m, d, h, mi, s, us)| {
            NaiveDate::from_ymd_opt(y, m, d)
                .and_then(|x| x.and_hms_micro_opt(h, mi, s, us))
                .expect("valid")
        })
        .boxed()
}

/// A value of a column's type, NULL when the column allows it.
fn value_of(kind: TypeKind, nullable: bool) -> BoxedStrategy<Value> {
    let v: BoxedStrategy<Value> = match kind {
        TypeKind::SmallInt | TypeKind::Int | TypeKind::BigInt => {
            int_in(kind).prop_map(Value::Int).boxed()
        }
        TypeKind::Decimal { precision, scale } => {
            let max = 10i128.pow(precision as u32) - 1;
            prop_oneof![Just(max), Just(-max), Just(0i128), -max..=max]
                .prop_map(move |m| Value::Decimal(Decimal { mantissa: m, scale }))
                .boxed()
        }
        TypeKind::Float => prop_oneof![
            Just(f64::MAX),
            Just(f64::MIN),
            Just(f64::MIN_POSITIVE),
            Just(-0.0),
            proptest::num::f64::NORMAL,
            -1000.0f64..1000.0,
        ]
        .prop_map(Value::Float)
        .boxed(),
        TypeKind::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        TypeKind::Text | TypeKind::Json => hostile_text(3000).prop_map(Value::Text).boxed(),
        TypeKind::Varchar(n) | TypeKind::Char(n) => {
            hostile_text(n as usize).prop_map(Value::Text).boxed()
        }
        TypeKind::Date => datetime().prop_map(|t| Value::Date(t.date())).boxed(),
        TypeKind::Time => datetime().prop_map(|t| Value::Time(t.time())).boxed(),
        TypeKind::Timestamp => datetime().prop_map(Value::Timestamp).boxed(),
        TypeKind::Timestamptz => datetime().prop_map(Value::Timestamptz).boxed(),
        TypeKind::Uuid => any::<u128>()
            .prop_map(|u| Value::Uuid(uuid::Uuid::from_u128(u)))
            .boxed(),
        TypeKind::Bytes => proptest::collection::vec(any::<u8>(), 0..64)
            .prop_map(Value::Bytes)
            .boxed(),
        TypeKind::Null | TypeKind::Error => Just(Value::Null).boxed(),
    };
    // JSON columns hold parsed JSON: text that parses, else a string.
    let v = if kind == TypeKind::Json {
        v.prop_map(|t| match t {
            Value::Text(s) => {
                Value::Json(serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s)))
            }
            other => other,
        })
        .boxed()
    } else {
        v
    };
    if nullable {
        prop_oneof![1 => Just(Value::Null), 3 => v].boxed()
    } else {
        v
    }
}

fn rows_of(ir: &'static Ir, table: TableId, max_rows: usize) -> BoxedStrategy<Vec<Vec<Value>>> {
    let cols: Vec<BoxedStrategy<Value>> = ir
        .table(table)
        .columns
        .iter()
        .map(|c| {
            let col = ir.column(*c);
            value_of(col.ty.kind, col.ty.nullable)
        })
        .collect();
    proptest::collection::vec(cols, 0..max_rows).boxed()
}

/// Inputs for every source of a map.
fn inputs(ir: &'static Ir, map: MapId) -> BoxedStrategy<Vec<Vec<Vec<Value>>>> {
    let per_source: Vec<_> = ir
        .map(map)
        .sources
        .iter()
        .map(|s| rows_of(ir, s.table, 6))
        .collect();
    per_source.boxed()
}

fn check_map(name: &str, ir: &'static Ir, map: MapId, rows: &[Vec<Vec<Value>>]) {
    let engine = Engine::new(ir, now());
    let out = engine.run_map(map, rows);
    let m = ir.map(map);
    let width = ir.table(m.target).columns.len();
    for r in &out.rows {
        assert_eq!(r.len(), width, "{name}: a target row has the wrong width");
        // Every stored value fits its column, and NULL only where allowed.
        for (v, c) in r.iter().zip(&ir.table(m.target).columns) {
            let col = ir.column(*c);
            assert!(
                !v.is_null() || col.ty.nullable,
                "{name}: NULL stored into not-null `{}`",
                col.name
            );
            assert_eq!(
                v.clone().cast(col.ty.kind).as_ref(),
                Ok(v),
                "{name}: `{}` holds a value its type does not",
                col.name
            );
        }
    }
    for r in &out.rejected {
        assert!(!r.reason.is_empty(), "{name}: a rejection without a reason");
        assert!(
            r.row < rows[0].len(),
            "{name}: a rejection of a row that does not exist"
        );
    }
    // Every source row is rejected, left out (by `where` or an inner join),
    // or loaded; with one source and no `group by`, exactly one of them.
    let mut accounted: Vec<usize> = out.rejected.iter().map(|r| r.row).collect();
    accounted.extend(out.left_out.iter().map(|l| l.row));
    accounted.sort_unstable();
    accounted.dedup();
    if m.sources.len() == 1 && m.group_by.is_empty() {
        assert_eq!(
            out.rows.len() + out.rejected.len() + out.left_out.len(),
            rows[0].len(),
            "{name}: a source row was neither loaded, rejected nor left out"
        );
    } else if out.rows.is_empty() {
        assert_eq!(accounted.len(), rows[0].len(), "{name}: rows vanished");
    }
}

fn every_map(spec_name: &'static str) -> Vec<(String, &'static Ir, MapId)> {
    let ir = spec(spec_name);
    (0..ir.maps.len())
        .map(|i| {
            (
                format!("{spec_name}/{}", ir.maps[i].name),
                ir,
                MapId(i as u32),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn maps_never_panic_and_account_for_every_row(
        (name, ir, map, rows) in prop_oneof![
            Just("crm"), Just("ai-platform"), Just("user-management")
        ].prop_flat_map(|s| {
            let maps = every_map(s);
            (0..maps.len()).prop_flat_map(move |i| {
                let (name, ir, map) = maps[i].clone();
                inputs(ir, map).prop_map(move |rows| (name.clone(), ir, map, rows))
            })
        })
    ) {
        check_map(&name, ir, map, &rows);
    }

    #[test]
    fn squish_is_trim_of_itself_and_idempotent(s in hostile_text(200)) {
        let once = functions::squish(&s);
        prop_assert_eq!(functions::squish(&once), once.clone());
        prop_assert_eq!(cutover_eval::value::trim_spaces(&once), once.as_str());
        prop_assert!(!once.contains("  "));
    }

    #[test]
    fn case_mapping_keeps_the_character_count(s in hostile_text(200)) {
        let n = s.chars().count();
        prop_assert_eq!(s.chars().map(functions::upper_char).count(), n);
        prop_assert_eq!(s.chars().map(functions::lower_char).count(), n);
        prop_assert_eq!(functions::title(&s).chars().count(), n);
    }

    #[test]
    fn truncate_and_pad_respect_the_length(s in hostile_text(300), n in -5i64..400, suffix in hostile_text(5)) {
        let t = functions::truncate(&s, n, &suffix);
        prop_assert!(t.chars().count() as i64 <= n.max(0));
        prop_assert!(s.starts_with(t.strip_suffix(suffix.as_str()).unwrap_or(&t)) || t.ends_with(suffix.as_str()));
        let p = functions::pad(&s, n, "*", true).expect("within the limit");
        if n > 0 && s.chars().count() as i64 <= n {
            prop_assert_eq!(p.chars().count() as i64, n);
        }
    }

    #[test]
    fn substr_is_a_slice(s in hostile_text(100), start in -10i64..120, len in -5i64..120) {
        let sub = functions::substr(&s, start, len);
        prop_assert!(s.contains(sub.as_str()));
        prop_assert!(sub.chars().count() as i64 <= len.max(0));
    }

    #[test]
    fn decimals_print_and_parse_back(m in -(10i128.pow(38) - 1)..(10i128.pow(38) - 1), scale in 0u8..=38) {
        let d = Decimal { mantissa: m, scale };
        let text = d.to_string();
        prop_assert_eq!(Decimal::parse(&text, None), Some(d));
    }

    #[test]
    fn float_rounding_agrees_with_decimal_rounding(x in -1.0e12f64..1.0e12, digits in 0i64..6) {
        let by_text: f64 = functions::round_plain(&format!("{x}"), digits).parse().expect("number");
        let by_decimal = Decimal::parse(&format!("{x}"), None)
            .and_then(|d| d.round(digits))
            .map(|d| d.to_f64());
        prop_assert_eq!(Some(by_text), by_decimal);
    }

    #[test]
    fn text_casts_never_panic(s in hostile_text(80)) {
        for kind in [
            TypeKind::SmallInt, TypeKind::BigInt, TypeKind::Decimal { precision: 10, scale: 2 },
            TypeKind::Float, TypeKind::Bool, TypeKind::Date, TypeKind::Time, TypeKind::Timestamp,
            TypeKind::Timestamptz, TypeKind::Uuid, TypeKind::Json, TypeKind::Varchar(5),
        ] {
            if let Ok(v) = Value::Text(s.clone()).cast(kind) {
                // What a text converts to prints as text that converts back.
                if let Some(t) = v.to_text() {
                    prop_assert_eq!(Value::Text(t).cast(kind), Ok(v));
                }
            }
        }
    }

    #[test]
    fn parse_date_never_panics(s in hostile_text(30), f in "[%YmdHMSfbBy/ :.-]{0,12}") {
        let _ = functions::parse_with_format(&s, &f);
    }
}
