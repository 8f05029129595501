//! The test databases work: a real PostgreSQL server (from `tests/pg.sh`,
//! UTF-8 and C collation) and the bundled SQLite, each round-tripping
//! non-ASCII text, exact decimals and timestamps.

#[path = "../../../tests/support/postgres.rs"]
mod pg;

#[test]
fn postgres_round_trips_text_numeric_and_timestamptz() {
    let Some(mut db) = pg::database("postgres_smoke") else {
        return;
    };
    let row = db
        .query_one(
            "SELECT pg_encoding_to_char(encoding), datcollate, datctype \
             FROM pg_database WHERE datname = current_database()",
            &[],
        )
        .expect("database settings");
    let (encoding, collate, ctype): (String, String, String) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(encoding, "UTF8");
    assert_eq!(collate, "C");
    assert_eq!(ctype, "C");
    let server_encoding: String = db
        .query_one("SELECT current_setting('server_encoding')", &[])
        .expect("server_encoding")
        .get(0);
    assert_eq!(server_encoding, "UTF8");

    db.batch_execute(
        "SET TimeZone = 'UTC';
         CREATE TABLE smoke (name text NOT NULL, amount numeric(38,6), at timestamptz);",
    )
    .expect("create table");
    let name = "Zoë 北京 \u{1F600} it's \"quoted\"";
    let amount = "-12345678901234567890123456789012.123456";
    let at = "2024-03-10 07:30:00.123456+00";
    db.execute(
        "INSERT INTO smoke VALUES ($1, $2::text::numeric(38,6), $3::text::timestamptz)",
        &[&name, &amount, &"2024-03-10 02:30:00.123456-05:00"],
    )
    .expect("insert");
    let row = db
        .query_one(
            "SELECT name, amount::text, at::text, octet_length(name), char_length(name) FROM smoke",
            &[],
        )
        .expect("select");
    assert_eq!(row.get::<_, String>(0), name);
    assert_eq!(row.get::<_, String>(1), amount);
    assert_eq!(row.get::<_, String>(2), at);
    assert_eq!(row.get::<_, i32>(3) as usize, name.len());
    assert_eq!(row.get::<_, i32>(4) as usize, name.chars().count());

    // The numeric keeps its scale and rounds half away from zero past it.
    let rounded: String = db
        .query_one("SELECT (2.5000005::numeric(38,6))::text", &[])
        .expect("numeric rounding")
        .get(0);
    assert_eq!(rounded, "2.500001");
    // C collation orders by code point.
    let order: Vec<String> = db
        .query(
            "SELECT x FROM unnest(ARRAY['b', 'a', 'B', 'é', 'Z']) AS x ORDER BY x",
            &[],
        )
        .expect("order")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(order, ["B", "Z", "a", "b", "é"]);
}

#[test]
fn postgres_tests_get_separate_databases() {
    let Some(mut a) = pg::database("separate") else {
        return;
    };
    let Some(mut b) = pg::database("separate") else {
        return;
    };
    let name = |c: &mut postgres::Client| -> String {
        c.query_one("SELECT current_database()", &[])
            .expect("current_database")
            .get(0)
    };
    let (na, nb) = (name(&mut a), name(&mut b));
    assert_ne!(na, nb);
    assert!(na.starts_with("cutover_separate_"), "{na}");
    a.batch_execute("CREATE TABLE only_in_a (x int)")
        .expect("create");
    let n: i64 = b
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'",
            &[],
        )
        .expect("count")
        .get(0);
    assert_eq!(n, 0);
}

#[test]
fn bundled_sqlite_round_trips_utf8() {
    let db = rusqlite::Connection::open_in_memory().expect("open");
    let version: String = db
        .query_row("SELECT sqlite_version()", [], |r| r.get(0))
        .expect("version");
    assert!(!version.is_empty());
    assert_eq!(version, rusqlite::version());

    db.execute_batch("CREATE TABLE smoke (name TEXT NOT NULL, amount TEXT, at TEXT) STRICT")
        .expect("create table");
    let name = "Zoë 北京 \u{1F600} it's \"quoted\"";
    db.execute(
        "INSERT INTO smoke VALUES (?1, ?2, ?3)",
        (
            name,
            "-12345678901234567890123456789012.123456",
            "2024-03-10T07:30:00.123456Z",
        ),
    )
    .expect("insert");
    let (back, bytes, chars): (String, i64, i64) = db
        .query_row(
            "SELECT name, length(CAST(name AS BLOB)), length(name) FROM smoke",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("select");
    assert_eq!(back, name);
    assert_eq!(bytes as usize, name.len());
    assert_eq!(chars as usize, name.chars().count());
}
