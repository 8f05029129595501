//! The registered functions on a real (bundled) SQLite, checked against
//! literal expectations and against the evaluator itself.

use cutover_eval::{arith, Value};
use cutover_ir::{BinaryOp, Builtin, TypeKind};
use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;

fn db() -> Connection {
    let conn = Connection::open_in_memory().expect("in-memory database");
    cutover_sqlite_functions::register(&conn).expect("functions register");
    conn
}

fn one(conn: &Connection, sql: &str) -> SqlValue {
    conn.query_row(sql, [], |r| r.get::<_, SqlValue>(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.to_owned())
}

/// `cutover_fn` and `cutover_fn_error` of the same call.
fn call(conn: &Connection, sig: &str, args: &str) -> (SqlValue, SqlValue) {
    let rest = if args.is_empty() {
        String::new()
    } else {
        format!(", {args}")
    };
    (
        one(conn, &format!("SELECT cutover_fn('{sig}'{rest})")),
        one(conn, &format!("SELECT cutover_fn_error('{sig}'{rest})")),
    )
}

fn ok(conn: &Connection, sig: &str, args: &str) -> SqlValue {
    let (v, err) = call(conn, sig, args);
    assert_eq!(err, SqlValue::Null, "{sig}({args}) failed");
    v
}

fn failure(conn: &Connection, sig: &str, args: &str) -> String {
    let (v, err) = call(conn, sig, args);
    assert_eq!(v, SqlValue::Null, "{sig}({args}) should give NULL");
    match err {
        SqlValue::Text(m) => m,
        other => panic!("{sig}({args}): no message, {other:?}"),
    }
}

/// The evaluator's own answer for a built-in call.
fn evaluator(b: Builtin, args: &[Value], result: TypeKind) -> Result<Value, String> {
    cutover_eval::functions::call(b, args, result, chrono::NaiveDateTime::MIN).map_err(|f| f.0)
}

#[test]
fn unicode_case_mapping() {
    let c = db();
    assert_eq!(ok(&c, "upper:text->text", "'straße éa'"), text("STRAßE ÉA"));
    assert_eq!(ok(&c, "lower:text->text", "'STRAßE ÉA'"), text("straße éa"));
    let expected = evaluator(
        Builtin::Upper,
        &[Value::Text("straße éa".into())],
        TypeKind::Text,
    )
    .expect("upper does not fail");
    assert_eq!(expected, Value::Text("STRAßE ÉA".into()));
}

#[test]
fn squish_and_null() {
    let c = db();
    assert_eq!(
        ok(&c, "squish:text->text", "'  a \t\n b  c '"),
        text("a b c")
    );
    assert_eq!(ok(&c, "squish:text->text", "NULL"), SqlValue::Null);
}

#[test]
fn lpad_limit() {
    let c = db();
    assert_eq!(
        ok(&c, "lpad:varchar(5);int;text->varchar(3)", "'ab', 3, '*'"),
        text("*ab")
    );
    let message = failure(&c, "lpad:text;int;text->text", "'x', 20000000, '*'");
    assert_eq!(
        message,
        "padding to 20000000 characters is over the limit of 10000000"
    );
    let expected = evaluator(
        Builtin::Lpad,
        &[
            Value::Text("x".into()),
            Value::Int(20_000_000),
            Value::Text("*".into()),
        ],
        TypeKind::Text,
    );
    assert_eq!(expected, Err(message));
}

#[test]
fn parse_date() {
    let c = db();
    assert_eq!(
        ok(&c, "parse_date:text;text->date", "'03/01/2021', '%m/%d/%Y'"),
        text("2021-03-01")
    );
    assert_eq!(
        failure(&c, "parse_date:text;text->date", "'02/30/2021', '%m/%d/%Y'"),
        "\"02/30/2021\" is not a date that exists"
    );
}

#[test]
fn to_utc() {
    let c = db();
    assert_eq!(
        ok(
            &c,
            "to_utc:timestamp;text->timestamptz",
            "'2024-03-01 09:00:00', 'America/New_York'"
        ),
        text("2024-03-01 14:00:00+00")
    );
    assert_eq!(
        failure(
            &c,
            "to_utc:timestamp;text->timestamptz",
            "'2024-03-10 02:15:00', 'America/New_York'"
        ),
        "local time 2024-03-10 02:15:00 does not exist in America/New_York (daylight-saving gap)"
    );
}

#[test]
fn uuid_v5() {
    let c = db();
    let got = ok(&c, "uuid_v5:text;int->uuid", "'legacy-crm/accounts', 1001");
    assert_eq!(got, text("f024d82c-f1ae-5e59-ad6a-28b552c7fc46"));
    let expected = cutover_eval::functions::uuid_v5("legacy-crm/accounts", &[Value::Int(1001)])
        .expect("hashes")
        .to_text();
    assert_eq!(Some(got), expected.map(SqlValue::Text));
}

#[test]
fn casts() {
    let c = db();
    assert_eq!(
        failure(&c, "cast:text->int", "'12x'"),
        "\"12x\" is not a valid int"
    );
    assert_eq!(ok(&c, "cast:text->int", "' 12 '"), SqlValue::Integer(12));
    assert_eq!(
        ok(&c, "cast:decimal(12,2)->decimal(14,2)", "'1375.40'"),
        text("1375.40")
    );
    assert_eq!(
        ok(&c, "cast:decimal(12,2)->decimal(14,1)", "'1375.45'"),
        text("1375.5")
    );
    assert_eq!(ok(&c, "cast:text->bool", "'yes'"), SqlValue::Integer(1));
    assert_eq!(ok(&c, "cast:int->float", "3"), SqlValue::Real(3.0));
    assert_eq!(
        ok(&c, "cast:date->timestamptz", "'2024-03-01'"),
        text("2024-03-01 00:00:00+00")
    );
    let message = failure(&c, "cast:decimal(12,2)->decimal(4,2)", "'1375.40'");
    let expected = Value::Text("1375.40".into())
        .cast(TypeKind::Decimal {
            precision: 12,
            scale: 2,
        })
        .and_then(|v| {
            v.cast(TypeKind::Decimal {
                precision: 4,
                scale: 2,
            })
        })
        .map_err(|f| f.0);
    assert_eq!(expected, Err(message));
}

#[test]
fn compare() {
    let c = db();
    assert_eq!(
        ok(
            &c,
            "compare:decimal(10,2);decimal(10,1)->int",
            "'1.50', '1.5'"
        ),
        SqlValue::Integer(0)
    );
    assert_eq!(
        ok(&c, "compare:decimal(10,2);int->int", "'10.00', 9"),
        SqlValue::Integer(1)
    );
    assert_eq!(
        ok(
            &c,
            "compare:decimal(10,2);decimal(10,2)->int",
            "'9.50', '10.00'"
        ),
        SqlValue::Integer(-1)
    );
    assert_eq!(
        ok(&c, "compare:decimal(10,2);int->int", "NULL, 1"),
        SqlValue::Null
    );
}

#[test]
fn arithmetic() {
    let c = db();
    assert_eq!(ok(&c, "+:int;int->int", "2, 3"), SqlValue::Integer(5));
    let message = failure(&c, "+:int;int->int", "2147483647, 1");
    assert_eq!(message, "2147483647 + 1 overflows int");
    let expected = arith(
        BinaryOp::Add,
        Value::Int(2_147_483_647),
        Value::Int(1),
        TypeKind::Int,
    );
    assert_eq!(expected.map_err(|f| f.0), Err(message));
    assert_eq!(ok(&c, "+:int;int->int", "NULL, 1"), SqlValue::Null);
    assert_eq!(
        ok(
            &c,
            "*:decimal(10,2);decimal(10,2)->decimal(20,4)",
            "'1.10', '2.00'"
        ),
        text("2.2000")
    );
    assert_eq!(
        ok(&c, "-:decimal(10,2);int->decimal(13,2)", "'0.30', 1"),
        text("-0.70")
    );
    assert_eq!(
        failure(&c, "/:decimal(10,2);int->decimal(16,6)", "'1.00', 0"),
        "division by zero"
    );
    assert_eq!(
        ok(&c, "/:decimal(10,2);int->decimal(16,6)", "'1.00', 3"),
        text("0.333333")
    );
    assert_eq!(ok(&c, "%:int;int->int", "7, 3"), SqlValue::Integer(1));
    assert_eq!(
        ok(&c, "+:float;float->float", "0.5, 0.25"),
        SqlValue::Real(0.75)
    );
}

#[test]
fn negation() {
    let c = db();
    assert_eq!(ok(&c, "neg:int->int", "5"), SqlValue::Integer(-5));
    assert_eq!(ok(&c, "neg:int->int", "NULL"), SqlValue::Null);
    assert_eq!(
        ok(&c, "neg:decimal(5,2)->decimal(5,2)", "'12.50'"),
        text("-12.50")
    );
    assert_eq!(ok(&c, "neg:float->float", "1.5"), SqlValue::Real(-1.5));
    assert_eq!(
        failure(&c, "neg:int->int", "-2147483648"),
        "2147483648 is out of range for int"
    );
    assert_eq!(
        failure(&c, "neg:bigint->bigint", "-9223372036854775808"),
        "-(-9223372036854775808) is out of range for bigint"
    );
}

#[test]
fn quote() {
    let c = db();
    assert_eq!(one(&c, r#"SELECT cutover_quote('a"b')"#), text(r#""a\"b""#));
    assert_eq!(
        one(&c, "SELECT cutover_quote('tab' || char(9))"),
        text(&cutover_eval::value::quote("tab\t"))
    );
    assert_eq!(one(&c, "SELECT cutover_quote(NULL)"), SqlValue::Null);
}

fn column(conn: &Connection, storage: &str, values: &[&str]) {
    conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS t; CREATE TABLE t (g INTEGER, x {storage}) STRICT;"
    ))
    .expect("table");
    for v in values {
        conn.execute_batch(&format!("INSERT INTO t VALUES (1, {v});"))
            .expect("insert");
    }
}

fn sum(conn: &Connection, ty: &str) -> (SqlValue, SqlValue) {
    (
        one(conn, &format!("SELECT cutover_sum(x, '{ty}') FROM t")),
        one(conn, &format!("SELECT cutover_sum_error(x, '{ty}') FROM t")),
    )
}

#[test]
fn sums() {
    let c = db();
    column(&c, "TEXT", &["'0.10'", "NULL", "'0.20'"]);
    assert_eq!(sum(&c, "decimal(38,2)"), (text("0.30"), SqlValue::Null));

    column(&c, "INTEGER", &["9223372036854775807", "1"]);
    let (v, err) = sum(&c, "bigint");
    assert_eq!(v, SqlValue::Null);
    let expected = arith(
        BinaryOp::Add,
        Value::Int(i64::MAX),
        Value::Int(1),
        TypeKind::BigInt,
    )
    .map_err(|f| f.0);
    assert_eq!(err, text("9223372036854775807 + 1 overflows bigint"));
    assert_eq!(
        expected,
        Err("9223372036854775807 + 1 overflows bigint".to_owned())
    );

    column(&c, "INTEGER", &["1", "2", "NULL"]);
    assert_eq!(sum(&c, "bigint"), (SqlValue::Integer(3), SqlValue::Null));

    column(&c, "REAL", &["0.5", "0.25"]);
    assert_eq!(sum(&c, "float"), (SqlValue::Real(0.75), SqlValue::Null));

    // Nothing, or only NULLs: NULL, no failure.
    column(&c, "INTEGER", &["NULL"]);
    assert_eq!(sum(&c, "bigint"), (SqlValue::Null, SqlValue::Null));
    column(&c, "INTEGER", &[]);
    assert_eq!(sum(&c, "bigint"), (SqlValue::Null, SqlValue::Null));
}

#[test]
fn sums_per_group() {
    let c = db();
    c.execute_batch(
        "CREATE TABLE t (g INTEGER, x TEXT) STRICT;
         INSERT INTO t VALUES (1, '1.25'), (2, '2.50'), (1, '0.75'), (2, NULL), (3, NULL);",
    )
    .expect("table");
    let mut stmt = c
        .prepare("SELECT g, cutover_sum(x, 'decimal(38,2)') FROM t GROUP BY g ORDER BY g")
        .expect("prepares");
    let rows: Vec<(i64, SqlValue)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("runs")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(
        rows,
        [(1, text("2.00")), (2, text("2.50")), (3, SqlValue::Null)]
    );
}

#[test]
fn min_max_by_value() {
    let c = db();
    column(&c, "TEXT", &["'10.00'", "NULL", "'9.50'"]);
    assert_eq!(
        one(&c, "SELECT cutover_min(x, 'decimal(10,2)') FROM t"),
        text("9.50")
    );
    assert_eq!(
        one(&c, "SELECT cutover_max(x, 'decimal(10,2)') FROM t"),
        text("10.00")
    );
    // SQLite's own min compares the text.
    assert_eq!(one(&c, "SELECT min(x) FROM t"), text("10.00"));
    column(&c, "TEXT", &["NULL"]);
    assert_eq!(
        one(&c, "SELECT cutover_min(x, 'decimal(10,2)') FROM t"),
        SqlValue::Null
    );
}

#[test]
fn bugs_are_sql_errors() {
    let c = db();
    for sql in [
        "SELECT cutover_fn('upper:text')",
        "SELECT cutover_fn('nope:text->text', 'a')",
        "SELECT cutover_fn('upper:text->text')",
        "SELECT cutover_fn('upper:text->text', 'a', 'b')",
        "SELECT cutover_fn('cast:date->text', 'not a date')",
        "SELECT cutover_fn('now:->timestamptz')",
        "SELECT cutover_fn()",
        "SELECT cutover_min('1.00', 'decimal(x)')",
    ] {
        assert!(
            c.query_row(sql, [], |r| r.get::<_, SqlValue>(0)).is_err(),
            "{sql} should be an SQL error"
        );
    }
}
