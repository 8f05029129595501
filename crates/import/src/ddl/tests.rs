use super::*;

fn ty(sql: &str) -> String {
    let Ok(parsed) = Parser::parse_sql(
        &sqlparser::dialect::PostgreSqlDialect {},
        &format!("CREATE TABLE t (c {sql})"),
    ) else {
        return format!("unparsed {sql}");
    };
    match parsed.first() {
        Some(sql::Statement::CreateTable(t)) => column_type(&t.columns[0].data_type).0.to_string(),
        _ => String::new(),
    }
}

#[test]
fn types_read_in_their_canonical_spelling() {
    assert_eq!(ty("character varying(50)"), "varchar(50)");
    assert_eq!(ty("NUMERIC(12, 2)"), "decimal(12, 2)");
    assert_eq!(ty("timestamp(6) with time zone"), "timestamptz");
    assert_eq!(ty("timestamp without time zone"), "timestamp");
    assert_eq!(ty("int[]"), "integer[]");
    assert_eq!(ty("bigserial"), "bigint");
    assert_eq!(ty("double precision"), "double precision");
}
