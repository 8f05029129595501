use super::*;

/// Each pair: a check as a person writes it, and PostgreSQL 15's
/// `pg_get_constraintdef` of it (without `CHECK (…)`).
const SAME: [(&str, &str); 10] = [
    ("email LIKE '%@%'", "((email)::text ~~ '%@%'::text)"),
    (
        "LENGTH(password_hash) >= 60",
        "(length((password_hash)::text) >= 60)",
    ),
    (
        "phone IS NULL OR LENGTH(phone) >= 10",
        "((phone IS NULL) OR (length((phone)::text) >= 10))",
    ),
    (
        "privacy_level IN ('public', 'private', 'friends_only')",
        "((privacy_level)::text = ANY ((ARRAY['public'::character varying, \
         'private'::character varying, 'friends_only'::character varying])::text[]))",
    ),
    ("a IN ('x')", "((a)::text = 'x'::text)"),
    ("n BETWEEN 1 AND 10", "((n >= 1) AND (n <= 10))"),
    ("n NOT BETWEEN 1 AND 10", "((n < 1) OR (n > 10))"),
    ("a NOT LIKE 'q%'", "((a)::text !~~ 'q%'::text)"),
    (
        "a NOT IN ('a', 'b')",
        "((a)::text <> ALL ((ARRAY['a'::character varying, 'b'::character varying])::text[]))",
    ),
    (
        "a IS NOT NULL AND (n > 1 OR n < -5)",
        "((a IS NOT NULL) AND ((n > 1) OR (n < '-5'::integer)))",
    ),
];

#[test]
fn checks_as_written_equal_the_catalogs_form() {
    for (written, catalog) in SAME {
        assert_eq!(
            canonical_expr(written),
            canonical_expr(catalog),
            "{written}  vs  {catalog}"
        );
    }
}

#[test]
fn different_checks_stay_different() {
    let pairs = [
        ("LENGTH(phone) >= 10", "LENGTH(phone) >= 11"),
        ("a IN ('a')", "a IN ('a', 'b')"),
        ("(a OR b) AND c", "a OR (b AND c)"),
        ("email LIKE '%@%'", "email NOT LIKE '%@%'"),
        ("n - (1 - 2) > 0", "n - 1 - 2 > 0"),
        ("\"Email\" LIKE 'a'", "email LIKE 'a'"),
        ("a = 'X'", "a = 'x'"),
    ];
    for (a, b) in pairs {
        assert_ne!(canonical_expr(a), canonical_expr(b), "{a}  vs  {b}");
    }
}

#[test]
fn canonical_forms_fold_names_and_keep_strings() {
    assert_eq!(canonical_expr("LENGTH(Bio) <= 2000"), "length(bio) <= 2000");
    assert_eq!(
        canonical_expr("\"bio\" IS NULL OR Name = 'Ada'"),
        "(bio IS NULL) OR (name = 'Ada')"
    );
    // Not an expression: compared as collapsed lower-case text.
    assert_eq!(canonical_expr("EMAIL  LIKE  (("), "email like ((");
}

#[test]
fn view_bodies_equal_pg_get_viewdef() {
    // pg_get_viewdef of PostgreSQL 15 for the views of
    // tests/import/database_schema_after.json (tables created as there).
    let pairs = [
        (
            "SELECT u.id, u.username, u.email, u.first_name, u.last_name FROM users u WHERE u.is_active = true",
            " SELECT u.id,\n    u.username,\n    u.email,\n    u.first_name,\n    u.last_name\n   FROM users u\n  WHERE (u.is_active = true);",
        ),
        (
            "SELECT u.id, u.username, u.email, u.first_name, u.last_name, u.email_verified_at, u.last_login_at FROM users u WHERE u.is_active = true",
            " SELECT u.id,\n    u.username,\n    u.email,\n    u.first_name,\n    u.last_name,\n    u.email_verified_at,\n    u.last_login_at\n   FROM users u\n  WHERE (u.is_active = true);",
        ),
        (
            "SELECT u.id, u.username, u.email FROM users u WHERE u.is_active = true AND u.email_verified_at IS NOT NULL",
            " SELECT u.id,\n    u.username,\n    u.email\n   FROM users u\n  WHERE ((u.is_active = true) AND (u.email_verified_at IS NOT NULL));",
        ),
        (
            "SELECT u.id AS id, U.Username AS name, p.bio FROM public.users AS u LEFT JOIN user_profiles p ON u.id = p.user_id WHERE u.id > 0",
            " SELECT u.id,\n    u.username AS name,\n    p.bio\n   FROM (users u\n     LEFT JOIN user_profiles p ON ((u.id = p.user_id)))\n  WHERE (u.id > 0);",
        ),
    ];
    for (written, catalog) in pairs {
        assert_eq!(
            canonical_query(written),
            canonical_query(catalog),
            "{written}"
        );
    }
    assert_ne!(
        canonical_query("SELECT u.id FROM users u WHERE u.is_active = true"),
        canonical_query("SELECT u.id FROM users u WHERE u.is_active = false"),
    );
}

/// A check translated, printed as the formatter prints it.
fn cutover(sql: &str) -> Option<String> {
    use cutover_syntax::ast::{Ast, FnDef, Item, TypeExpr};
    let expr = check_to_cutover(sql)?;
    let ast = Ast {
        items: vec![Item::Fn(FnDef {
            name: cut::Ident {
                name: "check".into(),
                span: S,
            },
            params: Vec::new(),
            ret: TypeExpr {
                name: cut::Ident {
                    name: "bool".into(),
                    span: S,
                },
                params: Vec::new(),
                nullable: false,
                span: S,
            },
            body: expr,
            span: S,
        })],
    };
    let text = cutover_syntax::format::print(&ast);
    let body = text.trim().strip_prefix("fn check() -> bool =")?;
    Some(body.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[test]
fn checks_of_the_seed_translate_to_cutover() {
    let cases = [
        ("email LIKE '%@%'", "email like \"%@%\""),
        ("LENGTH(password_hash) >= 60", "length(password_hash) >= 60"),
        (
            "phone IS NULL OR LENGTH(phone) >= 10",
            "phone is null or length(phone) >= 10",
        ),
        (
            "privacy_level IN ('public', 'private', 'friends_only')",
            "privacy_level in (\"public\", \"private\", \"friends_only\")",
        ),
        (
            "bio IS NULL OR LENGTH(bio) <= 2000",
            "bio is null or length(bio) <= 2000",
        ),
        (
            "session_type IN ('web', 'mobile', 'api', 'admin')",
            "session_type in (\"web\", \"mobile\", \"api\", \"admin\")",
        ),
        // The catalog's spelling translates to the same.
        ("((email)::text ~~ '%@%'::text)", "email like \"%@%\""),
        (
            "((privacy_level)::text = ANY ((ARRAY['public'::character varying, 'private'::character varying])::text[]))",
            "privacy_level in (\"public\", \"private\")",
        ),
        ("n BETWEEN 1 AND 10", "n between 1 and 10"),
        ("a || 'x' <> 'y'", "a ++ \"x\" != \"y\""),
        ("n % 2 = 0 AND d >= 0.5", "n % 2 == 0 and d >= 0.5"),
        ("(n > '-1'::integer)", "n > -1"),
        ("NOT (a IS NULL)", "not a is null"),
        ("upper(code) = 'X' AND b = TRUE", "upper(code) == \"X\" and b == true"),
    ];
    for (sql, want) in cases {
        assert_eq!(cutover(sql).as_deref(), Some(want), "{sql}");
    }
}

#[test]
fn untranslatable_checks_give_none() {
    for sql in [
        "x ~ '^[a-z]+$'",
        "x IN (SELECT y FROM t)",
        "n / 2 > 1",
        "trim(name) <> ''",
        "n::numeric > 1",
        "name ILIKE 'a%'",
        "a LIKE 'x' ESCAPE '!'",
        "not valid sql ((",
    ] {
        assert_eq!(check_to_cutover(sql), None, "{sql}");
    }
}

/// Backslash is LIKE's default escape: `cutover build` writes it, and
/// PostgreSQL prints it back through `like_escape`.
#[test]
fn the_default_like_escape_is_no_difference() {
    let plain = canonical_expr("email LIKE '%@%'");
    assert_eq!(canonical_expr(r#"("email" LIKE '%@%' ESCAPE '\')"#), plain);
    assert_eq!(
        canonical_expr(r"((email)::text ~~ like_escape('%@%'::text, '\'::text))"),
        plain
    );
    assert_ne!(canonical_expr(r"email LIKE '%@%' ESCAPE '!'"), plain);
    assert_ne!(
        canonical_expr(r"((email)::text ~~ like_escape('%#%'::text, '\'::text))"),
        plain
    );
}
