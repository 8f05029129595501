//! Lowering: pest pairs → AST, one function per grammar rule.
//!
//! Each top-level item is lowered on its own, so one bad item does not hide
//! the errors of the others. Inside an item the first error wins. Lowering
//! never panics: a pair that does not have the shape the grammar promises is
//! reported as an internal error through [`Children`].

use crate::ast::*;
use crate::parser::Rule;
use crate::MAX_EXPR_DEPTH;
use cutover_diagnostics::{codes, Diagnostic, Span};
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::LazyLock;

type Result<T> = std::result::Result<T, Diagnostic>;

/// Operator precedence, lowest first. Postfix `is null`, `between` and `in`
/// bind like comparisons, as in SQL.
static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::op_or, Assoc::Left))
        .op(Op::infix(Rule::op_and, Assoc::Left))
        .op(Op::prefix(Rule::op_not))
        .op(Op::infix(Rule::op_eq, Assoc::Left)
            | Op::infix(Rule::op_ne, Assoc::Left)
            | Op::infix(Rule::op_lt, Assoc::Left)
            | Op::infix(Rule::op_le, Assoc::Left)
            | Op::infix(Rule::op_gt, Assoc::Left)
            | Op::infix(Rule::op_ge, Assoc::Left)
            | Op::infix(Rule::op_like, Assoc::Left)
            | Op::postfix(Rule::op_is_null)
            | Op::postfix(Rule::op_between)
            | Op::postfix(Rule::op_in))
        .op(Op::infix(Rule::op_concat, Assoc::Left))
        .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
        .op(Op::infix(Rule::op_mul, Assoc::Left)
            | Op::infix(Rule::op_div, Assoc::Left)
            | Op::infix(Rule::op_rem, Assoc::Left))
        .op(Op::prefix(Rule::op_neg))
});

/// Lowers a whole file. Returns the items that lowered and the errors of
/// those that did not.
pub(crate) fn file(pair: Pair<'_, Rule>) -> (Ast, Vec<Diagnostic>) {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for p in pair.into_inner() {
        if p.as_rule() == Rule::EOI {
            continue;
        }
        match item(p) {
            Ok(i) => items.push(i),
            Err(d) => errors.push(d),
        }
    }
    (Ast { items }, errors)
}

thread_local! {
    /// Comment ranges of the spec being lowered (from the nesting scan).
    static COMMENTS: std::cell::RefCell<crate::nesting::Comments> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with the comment ranges of the spec being lowered available to
/// [`span`].
pub(crate) fn with_comments<R>(comments: crate::nesting::Comments, f: impl FnOnce() -> R) -> R {
    COMMENTS.with(|c| *c.borrow_mut() = comments);
    let result = f();
    COMMENTS.with(|c| c.borrow_mut().clear());
    result
}

pub(crate) fn span(p: &Pair<'_, Rule>) -> Span {
    let s = p.as_span();
    let text = trim_trailing_trivia(s.as_str(), s.start());
    // Inputs are limited to 64 MiB before parsing, so offsets fit in u32.
    Span::new(s.start() as u32, (s.start() + text.len()) as u32)
}

/// pest includes the whitespace and comments skipped before a failed
/// optional repetition in a rule's span; labels should not underline them.
/// `offset` is where `text` starts in the spec; a comment is found by its
/// end in the sorted comment ranges, so this costs O(log comments).
fn trim_trailing_trivia(mut text: &str, offset: usize) -> &str {
    COMMENTS.with(|comments| {
        let comments = comments.borrow();
        loop {
            text = text.trim_end_matches([' ', '\t', '\n', '\r', '\u{feff}']);
            let end = (offset + text.len()) as u32;
            match comments.binary_search_by_key(&end, |(_, e)| *e) {
                Ok(i) if comments[i].0 as usize >= offset => {
                    text = &text[..comments[i].0 as usize - offset];
                }
                _ => return text,
            }
        }
    })
}

/// Keyword tokens carry no information beyond the rule that holds them.
fn is_keyword(rule: Rule) -> bool {
    use Rule::*;
    matches!(
        rule,
        kw_after
            | kw_allow
            | kw_and
            | kw_as
            | kw_assert
            | kw_batch
            | kw_because
            | kw_before
            | kw_between
            | kw_by
            | kw_case
            | kw_cast
            | kw_check
            | kw_checksum
            | kw_count
            | kw_default
            | kw_deletes
            | kw_drop
            | kw_else
            | kw_end
            | kw_error
            | kw_example
            | kw_expect
            | kw_fails
            | kw_false
            | kw_fk
            | kw_fn
            | kw_for
            | kw_foreign
            | kw_gate
            | kw_given
            | kw_group
            | kw_if
            | kw_in
            | kw_incremental
            | kw_is
            | kw_join
            | kw_key
            | kw_left
            | kw_like
            | kw_load
            | kw_lookup
            | kw_map
            | kw_migration
            | kw_not
            | kw_not_null
            | kw_null
            | kw_on
            | kw_or
            | kw_missing
            | kw_owner
            | kw_phase
            | kw_pii
            | kw_primary
            | kw_recompute
            | kw_reconcile
            | kw_ref
            | kw_references
            | kw_reject
            | kw_rejected
            | kw_resolves
            | kw_rollback
            | kw_rows
            | kw_rule
            | kw_sample
            | kw_show
            | kw_skew
            | kw_source
            | kw_strategy
            | kw_table
            | kw_target
            | kw_then
            | kw_tolerance
            | kw_true
            | kw_unique
            | kw_warn
            | kw_when
            | kw_where
    )
}

/// The children of a pair, keywords skipped, read in grammar order.
struct Children<'i> {
    pairs: std::iter::Peekable<Pairs<'i, Rule>>,
    parent: Rule,
    span: Span,
}

impl<'i> Children<'i> {
    fn of(pair: Pair<'i, Rule>) -> Self {
        let parent = pair.as_rule();
        let span = span(&pair);
        Children {
            pairs: pair.into_inner().peekable(),
            parent,
            span,
        }
    }

    fn skip_keywords(&mut self) {
        while self.pairs.peek().is_some_and(|p| is_keyword(p.as_rule())) {
            self.pairs.next();
        }
    }

    /// The next child, whatever it is.
    fn next(&mut self) -> Result<Pair<'i, Rule>> {
        self.skip_keywords();
        self.pairs
            .next()
            .ok_or_else(|| internal(self.parent, self.span, "another element"))
    }

    /// The next child, which must be `rule`.
    fn expect(&mut self, rule: Rule) -> Result<Pair<'i, Rule>> {
        let p = self.next()?;
        if p.as_rule() == rule {
            Ok(p)
        } else {
            Err(internal(
                self.parent,
                span(&p),
                &format!("{rule:?}, found {:?}", p.as_rule()),
            ))
        }
    }

    /// The next child if it is `rule`.
    fn optional(&mut self, rule: Rule) -> Option<Pair<'i, Rule>> {
        self.skip_keywords();
        if self.pairs.peek().is_some_and(|p| p.as_rule() == rule) {
            self.pairs.next()
        } else {
            None
        }
    }

    fn peek_rule(&mut self) -> Option<Rule> {
        self.skip_keywords();
        self.pairs.peek().map(|p| p.as_rule())
    }

    /// The remaining children, keywords skipped.
    fn rest(self) -> impl Iterator<Item = Pair<'i, Rule>> {
        self.pairs.filter(|p| !is_keyword(p.as_rule()))
    }
}

fn internal(parent: Rule, at: Span, expected: &str) -> Diagnostic {
    Diagnostic::new(
        codes::SYNTAX,
        format!("internal parser error in {parent:?}: expected {expected}"),
    )
    .primary(at, "the parser could not read this")
    .help("this is a bug in Cutover, not in your spec; please report it with this spec")
}

fn unexpected(p: &Pair<'_, Rule>) -> Diagnostic {
    internal(p.as_rule(), span(p), "a different element here")
}

fn item(p: Pair<'_, Rule>) -> Result<Item> {
    Ok(match p.as_rule() {
        Rule::migration_def => Item::Migration(migration(p)?),
        Rule::system_def => Item::System(system(p)?),
        Rule::lookup_def => Item::Lookup(lookup(p)?),
        Rule::fn_def => Item::Fn(fn_def(p)?),
        Rule::map_def => Item::Map(map(p)?),
        Rule::example_def => Item::Example(example(p)?),
        Rule::gate_def => Item::Gate(gate(p)?),
        Rule::rollback_def => Item::Rollback(rollback(p)?),
        Rule::phase_def => Item::Phase(phase(p)?),
        Rule::drop_table => Item::DropTable(drop_table(p)?),
        _ => return Err(unexpected(&p)),
    })
}

// ───────────────────────────── Tokens ─────────────────────────────

fn ident(p: Pair<'_, Rule>) -> Result<Ident> {
    let s = span(&p);
    match p.as_rule() {
        Rule::bare_ident => Ok(Ident {
            name: p.as_str().to_owned(),
            span: s,
        }),
        Rule::quoted_ident => {
            let text = Children::of(p).expect(Rule::quoted_ident_text)?;
            Ok(Ident {
                name: text.as_str().replace("``", "`"),
                span: s,
            })
        }
        Rule::rule_id => Ok(Ident {
            name: p.as_str().to_owned(),
            span: s,
        }),
        _ => Err(unexpected(&p)),
    }
}

fn next_ident(c: &mut Children<'_>) -> Result<Ident> {
    ident(c.next()?)
}

fn ident_list(p: Pair<'_, Rule>) -> Result<Vec<Ident>> {
    Children::of(p).rest().map(ident).collect()
}

fn table_ref(p: Pair<'_, Rule>) -> Result<TableRef> {
    let s = span(&p);
    let mut c = Children::of(p);
    Ok(TableRef {
        system: next_ident(&mut c)?,
        table: next_ident(&mut c)?,
        span: s,
    })
}

fn string(p: Pair<'_, Rule>) -> Result<Str> {
    let s = span(&p);
    let text = Children::of(p).expect(Rule::string_text)?;
    let value = unescape(text.as_str(), s.start + 1)?;
    Ok(Str { value, span: s })
}

/// Processes `\" \\ \n \r \t \0 \u{…}`; `offset` is the byte offset of `raw`.
fn unescape(raw: &str, offset: u32) -> Result<String> {
    if !raw.contains('\\') {
        return Ok(raw.to_owned());
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices();
    while let Some((i, ch)) = chars.next() {
        if ch != '\\' {
            out.push(ch);
            continue;
        }
        let start = offset + i as u32;
        let bad = |end: usize, what: &str| {
            Diagnostic::new(codes::INVALID_ESCAPE, format!("invalid escape {what} in a string"))
                .primary(Span::new(start, offset + end as u32), "not a valid escape")
                .help("valid escapes are \\\" \\\\ \\n \\r \\t \\0 and \\u{HEX}; write \\\\ for a backslash")
        };
        let Some((j, esc)) = chars.next() else {
            return Err(bad(i + 1, "at the end"));
        };
        match esc {
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            '0' => out.push('\0'),
            'u' => {
                let rest = &raw[j + 1..];
                let close = rest.find('}');
                let scalar = match (rest.strip_prefix('{'), close) {
                    (Some(_), Some(close)) if (2..=7).contains(&close) => {
                        u32::from_str_radix(&rest[1..close], 16)
                            .ok()
                            .and_then(char::from_u32)
                    }
                    _ => None,
                };
                let end = j + 1 + close.map_or(0, |c| c + 1);
                match scalar {
                    Some(c) => {
                        out.push(c);
                        // Skip the `{HEX}` just decoded.
                        while chars.clone().next().is_some_and(|(k, _)| k < end) {
                            chars.next();
                        }
                    }
                    None => {
                        return Err(bad(
                            end.max(j + 1),
                            "`\\u` (write \\u{1F600}: 1 to 6 hex digits of a Unicode scalar)",
                        ))
                    }
                }
            }
            other => return Err(bad(j + other.len_utf8(), &format!("`\\{other}`"))),
        }
    }
    Ok(out)
}

fn u64_of(p: &Pair<'_, Rule>, what: &str) -> Result<u64> {
    let digits: String = p.as_str().chars().filter(|c| *c != '_').collect();
    digits.parse::<u64>().map_err(|_| {
        Diagnostic::new(
            codes::NUMBER_RANGE,
            format!("{what} `{}` is too large", p.as_str()),
        )
        .primary(span(p), "does not fit in 64 bits")
        .help(format!("{what} must be at most {}", u64::MAX))
    })
}

fn u32_of(p: &Pair<'_, Rule>, what: &str) -> Result<u32> {
    let n = u64_of(p, what)?;
    u32::try_from(n).map_err(|_| {
        Diagnostic::new(
            codes::NUMBER_RANGE,
            format!("{what} `{}` is too large", p.as_str()),
        )
        .primary(span(p), "out of range")
        .help(format!("{what} must be at most {}", u32::MAX))
    })
}

fn number_text(p: &Pair<'_, Rule>) -> String {
    p.as_str().chars().filter(|c| *c != '_').collect()
}

fn decimal_value(text: &str) -> f64 {
    // The grammar admits only digits, `_` and one `.`, so this parses.
    text.parse::<f64>().unwrap_or(0.0)
}

fn duration(p: Pair<'_, Rule>) -> Duration {
    let text = p.as_str().to_owned();
    let (num, unit) = text.split_at(text.len() - 1);
    let n = decimal_value(&num.replace('_', ""));
    let minutes = match unit {
        "s" => n / 60.0,
        "m" => n,
        "h" => n * 60.0,
        "d" => n * 60.0 * 24.0,
        _ => n * 60.0 * 24.0 * 7.0,
    };
    Duration {
        minutes,
        span: span(&p),
        text,
    }
}

fn percent(p: Pair<'_, Rule>) -> Percent {
    let text = p.as_str().to_owned();
    let value = decimal_value(&text.trim_end_matches('%').replace('_', ""));
    Percent {
        value,
        span: span(&p),
        text,
    }
}

fn value(p: Pair<'_, Rule>) -> Result<Value> {
    let s = span(&p);
    let kind = match p.as_rule() {
        Rule::string => ValueKind::Str(string(p)?.value),
        Rule::signed_number => ValueKind::Number(number_text(&p)),
        Rule::boolean => ValueKind::Bool(p.as_str().starts_with('t')),
        Rule::null_lit => ValueKind::Null,
        _ => return Err(unexpected(&p)),
    };
    Ok(Value { kind, span: s })
}

// ─────────────────────────── Declarations ───────────────────────────

fn migration(p: Pair<'_, Rule>) -> Result<Migration> {
    let s = span(&p);
    let mut c = Children::of(p);
    let title = string(c.expect(Rule::string)?)?;
    let attributes = c.rest().map(attribute).collect::<Result<_>>()?;
    Ok(Migration {
        title,
        attributes,
        span: s,
    })
}

fn attribute(p: Pair<'_, Rule>) -> Result<Attribute> {
    let s = span(&p);
    let mut c = Children::of(p);
    let name = next_ident(&mut c)?;
    let values = c
        .rest()
        .map(|v| {
            Ok(match v.as_rule() {
                Rule::string => AttrValue::Str(string(v)?),
                Rule::bare_ident | Rule::quoted_ident => AttrValue::Ident(ident(v)?),
                Rule::number => AttrValue::Number(Number {
                    text: number_text(&v),
                    span: span(&v),
                }),
                Rule::duration => AttrValue::Duration(duration(v)),
                Rule::percent => AttrValue::Percent(percent(v)),
                Rule::rate => {
                    let text = v.as_str().to_owned();
                    let (num, unit) = text.split_once('/').unwrap_or((&text, "s"));
                    let n = decimal_value(&num.replace('_', ""));
                    let per_second = match unit {
                        "m" => n / 60.0,
                        "h" => n / 3600.0,
                        _ => n,
                    };
                    AttrValue::Rate {
                        per_second,
                        span: span(&v),
                        text,
                    }
                }
                _ => return Err(unexpected(&v)),
            })
        })
        .collect::<Result<_>>()?;
    Ok(Attribute {
        name,
        values,
        span: s,
    })
}

fn system(p: Pair<'_, Rule>) -> Result<System> {
    let s = span(&p);
    let mut c = Children::of(p);
    let role = match c.expect(Rule::system_role)?.as_str() {
        "source" => Role::Source,
        _ => Role::Target,
    };
    let name = next_ident(&mut c)?;
    let dialect = next_ident(&mut c)?;
    let tables = c.rest().map(table).collect::<Result<_>>()?;
    Ok(System {
        role,
        name,
        dialect,
        tables,
        span: s,
    })
}

fn table(p: Pair<'_, Rule>) -> Result<Table> {
    let s = span(&p);
    let mut c = Children::of(p);
    let name = next_ident(&mut c)?;
    let items = c.rest().map(table_item).collect::<Result<_>>()?;
    Ok(Table {
        name,
        items,
        span: s,
    })
}

fn table_item(p: Pair<'_, Rule>) -> Result<TableItem> {
    let s = span(&p);
    let rule = p.as_rule();
    let mut c = Children::of(p);
    Ok(match rule {
        Rule::column_def => TableItem::Column(column(c, s)?),
        Rule::rows_estimate => TableItem::Rows {
            count: u64_of(&c.expect(Rule::integer)?, "a row count")?,
            span: s,
        },
        Rule::table_primary_key => TableItem::PrimaryKey {
            columns: ident_list(c.expect(Rule::ident_list)?)?,
            span: s,
        },
        Rule::table_unique => TableItem::Unique {
            columns: ident_list(c.expect(Rule::ident_list)?)?,
            span: s,
        },
        Rule::table_check => TableItem::Check {
            expr: expr(c.expect(Rule::expr)?)?,
            span: s,
        },
        Rule::table_foreign_key => TableItem::ForeignKey {
            columns: ident_list(c.expect(Rule::ident_list)?)?,
            table: next_ident(&mut c)?,
            ref_columns: ident_list(c.expect(Rule::ident_list)?)?,
            span: s,
        },
        _ => return Err(internal(rule, s, "a table member")),
    })
}

fn column(mut c: Children<'_>, s: Span) -> Result<Column> {
    let name = next_ident(&mut c)?;
    let ty = type_expr(c.expect(Rule::type_expr)?)?;
    let constraints = c
        .rest()
        .map(|k| {
            let ks = span(&k);
            Ok(match k.as_rule() {
                Rule::primary_key => ColumnConstraint::PrimaryKey(ks),
                Rule::not_null => ColumnConstraint::NotNull(ks),
                Rule::null_ok => ColumnConstraint::Null(ks),
                Rule::unique => ColumnConstraint::Unique(ks),
                Rule::pii => ColumnConstraint::Pii(ks),
                Rule::references => {
                    let mut r = Children::of(k);
                    ColumnConstraint::References {
                        table: next_ident(&mut r)?,
                        column: next_ident(&mut r)?,
                        span: ks,
                    }
                }
                Rule::column_check => {
                    ColumnConstraint::Check(expr(Children::of(k).expect(Rule::expr)?)?)
                }
                Rule::default_value => {
                    ColumnConstraint::Default(bound(Children::of(k).expect(Rule::bound)?)?.0)
                }
                _ => return Err(unexpected(&k)),
            })
        })
        .collect::<Result<_>>()?;
    Ok(Column {
        name,
        ty,
        constraints,
        span: s,
    })
}

fn type_expr(p: Pair<'_, Rule>) -> Result<TypeExpr> {
    let s = span(&p);
    let mut c = Children::of(p);
    let name = next_ident(&mut c)?;
    let params = match c.optional(Rule::type_params) {
        Some(p) => Children::of(p)
            .rest()
            .map(|n| Ok((u32_of(&n, "a type parameter")?, span(&n))))
            .collect::<Result<_>>()?,
        None => Vec::new(),
    };
    Ok(TypeExpr {
        name,
        params,
        nullable: false,
        span: s,
    })
}

fn fn_type(p: Pair<'_, Rule>) -> Result<TypeExpr> {
    let s = span(&p);
    let mut c = Children::of(p);
    let mut ty = type_expr(c.expect(Rule::type_expr)?)?;
    ty.nullable = c.optional(Rule::nullable_mark).is_some();
    ty.span = s;
    Ok(ty)
}

fn lookup(p: Pair<'_, Rule>) -> Result<Lookup> {
    let s = span(&p);
    let mut c = Children::of(p);
    let name = next_ident(&mut c)?;
    let entries = c
        .rest()
        .map(|e| {
            let es = span(&e);
            let rule = e.as_rule();
            let mut values = Children::of(e)
                .rest()
                .map(value)
                .collect::<Result<Vec<_>>>()?;
            let value = values.pop().ok_or_else(|| internal(rule, es, "a value"))?;
            Ok(match rule {
                Rule::lookup_else => LookupEntry::Else { value, span: es },
                _ => LookupEntry::Pair {
                    keys: values,
                    value,
                    span: es,
                },
            })
        })
        .collect::<Result<_>>()?;
    Ok(Lookup {
        name,
        entries,
        span: s,
    })
}

fn fn_def(p: Pair<'_, Rule>) -> Result<FnDef> {
    let s = span(&p);
    let mut c = Children::of(p);
    let name = next_ident(&mut c)?;
    let mut params = Vec::new();
    while let Some(param) = c.optional(Rule::fn_param) {
        let ps = span(&param);
        let mut pc = Children::of(param);
        params.push(Param {
            name: next_ident(&mut pc)?,
            ty: fn_type(pc.expect(Rule::fn_type)?)?,
            span: ps,
        });
    }
    let ret = fn_type(c.expect(Rule::fn_type)?)?;
    let body = expr(c.expect(Rule::expr)?)?;
    Ok(FnDef {
        name,
        params,
        ret,
        body,
        span: s,
    })
}

// ────────────────────────────── Maps ──────────────────────────────

fn map(p: Pair<'_, Rule>) -> Result<Map> {
    let s = span(&p);
    let mut c = Children::of(p);
    let name = match c.optional(Rule::map_name) {
        Some(n) => Some(next_ident(&mut Children::of(n))?),
        None => None,
    };
    let mut from = Children::of(c.expect(Rule::map_from)?);
    let source = table_ref(from.expect(Rule::table_ref)?)?;
    let alias = from.optional(Rule::alias).map(alias).transpose()?;
    let joins = from.rest().map(join).collect::<Result<_>>()?;
    let target = table_ref(c.expect(Rule::table_ref)?)?;
    let items = c.rest().map(map_item).collect::<Result<_>>()?;
    Ok(Map {
        name,
        source,
        alias,
        joins,
        target,
        items,
        span: s,
    })
}

fn alias(p: Pair<'_, Rule>) -> Result<Ident> {
    next_ident(&mut Children::of(p))
}

fn join(p: Pair<'_, Rule>) -> Result<Join> {
    let s = span(&p);
    let mut c = Children::of(p);
    let left = c.optional(Rule::join_kind).is_some();
    let table = table_ref(c.expect(Rule::table_ref)?)?;
    let alias = c.optional(Rule::alias).map(alias).transpose()?;
    let on = expr(c.expect(Rule::expr)?)?;
    Ok(Join {
        left,
        table,
        alias,
        on,
        span: s,
    })
}

fn map_item(p: Pair<'_, Rule>) -> Result<MapItem> {
    let s = span(&p);
    Ok(match p.as_rule() {
        Rule::where_clause => MapItem::Where {
            expr: expr(Children::of(p).expect(Rule::expr)?)?,
            span: s,
        },
        Rule::group_by => MapItem::GroupBy {
            exprs: Children::of(p).rest().map(expr).collect::<Result<_>>()?,
            span: s,
        },
        Rule::batch_clause => {
            let mut c = Children::of(p);
            MapItem::Batch {
                size: u64_of(&c.expect(Rule::integer)?, "a batch size")?,
                column: next_ident(&mut c)?,
                span: s,
            }
        }
        Rule::incremental_clause => {
            let mut c = Children::of(p);
            let column = next_ident(&mut c)?;
            let (mut skew, mut deletes) = (None, None);
            for option in c.rest() {
                let os = span(&option);
                match option.as_rule() {
                    Rule::skew if skew.is_some() => return Err(repeated_option("skew", os)),
                    Rule::skew => {
                        skew = Some(duration(Children::of(option).expect(Rule::duration)?))
                    }
                    Rule::deletes if deletes.is_some() => {
                        return Err(repeated_option("deletes", os))
                    }
                    Rule::deletes => {
                        let mut dc = Children::of(option);
                        deletes = Some(match dc.optional(Rule::expr) {
                            Some(e) => Deletes::When(expr(e)?),
                            None => Deletes::Missing(os),
                        });
                    }
                    _ => return Err(internal(option.as_rule(), os, "an incremental option")),
                }
            }
            MapItem::Incremental(Incremental {
                column,
                skew,
                deletes,
                span: s,
            })
        }
        Rule::rule_def => {
            let mut c = Children::of(p);
            let id = ident(c.expect(Rule::rule_id)?)?;
            let title = string(c.expect(Rule::string)?)?;
            let items: Vec<MapItem> = c.rest().map(map_item).collect::<Result<_>>()?;
            // Braces leave the rule ending after its last item.
            let last_end = items.last().map(|i| match i {
                MapItem::Assign(a) => a.span.end,
                MapItem::Drop(d) => d.span.end,
                _ => 0,
            });
            let block = items.len() != 1 || last_end != Some(s.end);
            MapItem::Rule(RuleDef {
                id,
                title,
                items,
                block,
                span: s,
            })
        }
        Rule::key_assignment => {
            let mut a = assignment(Children::of(p).expect(Rule::assignment)?)?;
            a.key = true;
            a.span = s;
            MapItem::Assign(a)
        }
        Rule::assignment => MapItem::Assign(assignment(p)?),
        Rule::drop_columns => {
            let mut c = Children::of(p);
            let mut columns = Vec::new();
            while let Some(d) = c.optional(Rule::dropped_column) {
                columns.push(
                    Children::of(d)
                        .rest()
                        .map(ident)
                        .collect::<Result<Vec<_>>>()?,
                );
            }
            MapItem::Drop(DropColumns {
                columns,
                reason: string(c.expect(Rule::string)?)?,
                span: s,
            })
        }
        _ => return Err(unexpected(&p)),
    })
}

/// `ast::Rule` is spelt `RuleDef` here: `Rule` is the pest rule enum.
use crate::ast::Rule as RuleDef;

fn assignment(p: Pair<'_, Rule>) -> Result<Assignment> {
    let s = span(&p);
    let mut c = Children::of(p);
    let target = next_ident(&mut c)?;
    let e = expr(c.expect(Rule::expr)?)?;
    let mut on_failure = None;
    let mut allow_pii = None;
    for m in c.rest() {
        let ms = span(&m);
        let duplicate = |what: &str, first: Span| {
            Diagnostic::new(
                codes::DUPLICATE,
                format!("`{what}` is given twice for `{}`", target.name),
            )
            .primary(ms, "second one here")
            .secondary(first, "first one here")
            .help(format!("keep one `{what}` clause"))
        };
        match m.as_rule() {
            Rule::on_failure => {
                if let Some(prev) = &on_failure {
                    let prev_span = match prev {
                        OnFailure::Reject { span, .. } | OnFailure::Default { span, .. } => *span,
                    };
                    return Err(duplicate("else", prev_span));
                }
                let inner = Children::of(m).next()?;
                on_failure = Some(match inner.as_rule() {
                    Rule::reject => OnFailure::Reject {
                        reason: string(Children::of(inner).expect(Rule::string)?)?,
                        span: ms,
                    },
                    _ => OnFailure::Default {
                        expr: expr(inner)?,
                        span: ms,
                    },
                });
            }
            Rule::allow_pii => {
                if let Some(prev) = &allow_pii {
                    let prev: &Str = prev;
                    return Err(duplicate("allow pii", prev.span));
                }
                allow_pii = Some(string(Children::of(m).expect(Rule::string)?)?);
            }
            _ => return Err(unexpected(&m)),
        }
    }
    Ok(Assignment {
        key: false,
        target,
        expr: e,
        on_failure,
        allow_pii,
        span: s,
    })
}

fn drop_table(p: Pair<'_, Rule>) -> Result<DropTable> {
    let s = span(&p);
    let mut tables = Vec::new();
    let mut reason = None;
    for c in Children::of(p).rest() {
        match c.as_rule() {
            Rule::table_ref => tables.push(table_ref(c)?),
            Rule::string => reason = Some(string(c)?),
            _ => return Err(unexpected(&c)),
        }
    }
    let reason = reason.ok_or_else(|| internal(Rule::drop_table, s, "a reason"))?;
    Ok(DropTable {
        tables,
        reason,
        span: s,
    })
}

fn map_ref(p: Pair<'_, Rule>) -> Result<MapRef> {
    let s = span(&p);
    let mut c = Children::of(p);
    if c.peek_rule() == Some(Rule::table_ref) {
        let source = table_ref(c.expect(Rule::table_ref)?)?;
        let target = table_ref(c.expect(Rule::table_ref)?)?;
        Ok(MapRef::Tables {
            source,
            target,
            span: s,
        })
    } else {
        Ok(MapRef::Name(next_ident(&mut c)?))
    }
}

// ──────────────────────────── Examples ────────────────────────────

fn example(p: Pair<'_, Rule>) -> Result<Example> {
    let s = span(&p);
    let mut c = Children::of(p);
    let name = string(c.expect(Rule::string)?)?;
    let map = map_ref(c.expect(Rule::map_ref)?)?;
    let items = c
        .rest()
        .map(|i| {
            let is = span(&i);
            let rule = i.as_rule();
            let mut ic = Children::of(i);
            Ok(match rule {
                Rule::given => {
                    let table = match ic.optional(Rule::given_table) {
                        Some(t) => Children::of(t).rest().map(ident).collect::<Result<_>>()?,
                        None => Vec::new(),
                    };
                    ExampleItem::Given {
                        table,
                        rows: rows(ic.expect(Rule::rows)?)?,
                        span: is,
                    }
                }
                Rule::expect => ExampleItem::Expect {
                    rows: rows(ic.expect(Rule::rows)?)?,
                    span: is,
                },
                Rule::expect_reject => {
                    let rule = ic.optional(Rule::rule_id).map(ident).transpose()?;
                    ExampleItem::ExpectReject {
                        rule,
                        reason: string(ic.expect(Rule::string)?)?,
                        span: is,
                    }
                }
                _ => return Err(internal(rule, is, "an example member")),
            })
        })
        .collect::<Result<_>>()?;
    Ok(Example {
        name,
        map,
        items,
        span: s,
    })
}

fn rows(p: Pair<'_, Rule>) -> Result<Vec<Row>> {
    Children::of(p)
        .rest()
        .map(|r| {
            let rs = span(&r);
            let fields = Children::of(r)
                .rest()
                .map(|f| {
                    let mut fc = Children::of(f);
                    Ok((next_ident(&mut fc)?, value(fc.next()?)?))
                })
                .collect::<Result<_>>()?;
            Ok(Row { fields, span: rs })
        })
        .collect()
}

// ───────────────────────────── Gates ──────────────────────────────

fn gate(p: Pair<'_, Rule>) -> Result<Gate> {
    let s = span(&p);
    let mut c = Children::of(p);
    let name = next_ident(&mut c)?;
    let t = c.expect(Rule::gate_timing)?;
    let timing_span = span(&t);
    let timing = if t.as_str().starts_with("before") {
        Timing::BeforeLoad
    } else {
        Timing::AfterLoad
    };
    let checks = c.rest().map(gate_check).collect::<Result<_>>()?;
    Ok(Gate {
        name,
        timing,
        timing_span,
        checks,
        span: s,
    })
}

fn gate_check(p: Pair<'_, Rule>) -> Result<GateCheck> {
    let s = span(&p);
    let mut c = Children::of(p);
    let k = c.next()?;
    let kind = check_kind(k)?;
    let mut warn = None;
    let mut tolerance = None;
    for o in c.rest() {
        let os = span(&o);
        match o.as_rule() {
            Rule::severity if warn.is_some() => return Err(repeated_option("severity", os)),
            Rule::tolerance if tolerance.is_some() => return Err(repeated_option("tolerance", os)),
            Rule::severity => warn = Some((o.as_str().starts_with("warn"), os)),
            Rule::tolerance => {
                let t = Children::of(o).next()?;
                tolerance = Some(match t.as_rule() {
                    Rule::percent => Tolerance::Percent(percent(t)),
                    _ => Tolerance::Rows {
                        count: u64_of(&t, "a tolerance")?,
                        span: span(&t),
                    },
                });
            }
            _ => return Err(unexpected(&o)),
        }
    }
    Ok(GateCheck {
        kind,
        warn,
        tolerance,
        span: s,
    })
}

fn repeated_option(what: &str, at: Span) -> Diagnostic {
    Diagnostic::new(codes::DUPLICATE, format!("a check's {what} is given twice"))
        .primary(at, "second one here")
        .help(format!("give each check one {what}"))
}

fn check_kind(p: Pair<'_, Rule>) -> Result<CheckKind> {
    let rule = p.as_rule();
    let s = span(&p);
    let mut c = Children::of(p);
    Ok(match rule {
        Rule::unique_check => CheckKind::Unique(column_set(c.next()?)?),
        Rule::not_null_check => CheckKind::NotNull(column_set(c.next()?)?),
        Rule::fk_check => {
            let column = column_set(c.expect(Rule::column_path)?)?;
            let to = match c.optional(Rule::column_path) {
                Some(t) => Some(column_set(t)?),
                None => None,
            };
            CheckKind::Fk { column, to }
        }
        Rule::checksum_check => CheckKind::Checksum {
            source: table_ref(c.expect(Rule::table_ref)?)?,
            target: table_ref(c.expect(Rule::table_ref)?)?,
            columns: ident_list(c.expect(Rule::ident_list)?)?,
        },
        Rule::sample_check => CheckKind::Sample {
            rows: u64_of(&c.expect(Rule::integer)?, "a sample size")?,
            map: c.optional(Rule::map_ref).map(map_ref).transpose()?,
        },
        Rule::reconcile_check => CheckKind::Reconcile {
            map: map_ref(c.expect(Rule::map_ref)?)?,
            show: c
                .optional(Rule::integer)
                .map(|n| u64_of(&n, "a number of keys to show"))
                .transpose()?,
        },
        Rule::assert_check => {
            let inner = c.next()?;
            match inner.as_rule() {
                Rule::row_assert => {
                    let mut rc = Children::of(inner);
                    CheckKind::AssertRows {
                        table: table_ref(rc.expect(Rule::table_ref)?)?,
                        predicate: expr(rc.expect(Rule::expr)?)?,
                    }
                }
                Rule::count_where => CheckKind::AssertMetric(count_where(inner)?),
                _ => CheckKind::AssertMetric(metric_compare(inner)?),
            }
        }
        Rule::count_check => CheckKind::Count(metric_compare(c.expect(Rule::metric_compare)?)?),
        _ => return Err(internal(rule, s, "a check")),
    })
}

/// Splits `count T where P op N` into `count(T where P) op N`.
fn count_where(p: Pair<'_, Rule>) -> Result<MetricCompare> {
    let s = span(&p);
    let mut c = Children::of(p);
    let table = table_ref(c.expect(Rule::table_ref)?)?;
    let predicate = expr(c.expect(Rule::expr)?)?;
    let split = match predicate.kind {
        ExprKind::Binary { op, lhs, rhs } => {
            let op = match op {
                BinaryOp::Eq => Some(CompareOp::Eq),
                BinaryOp::Ne => Some(CompareOp::Ne),
                BinaryOp::Lt => Some(CompareOp::Lt),
                BinaryOp::Le => Some(CompareOp::Le),
                BinaryOp::Gt => Some(CompareOp::Gt),
                BinaryOp::Ge => Some(CompareOp::Ge),
                _ => None,
            };
            match (op, &rhs.kind) {
                (Some(op), ExprKind::Literal(Literal::Integer(n))) if *n >= 0 => {
                    Some((*lhs, op, *n as u64, rhs.span))
                }
                _ => None,
            }
        }
        _ => None,
    };
    let Some((filter, op, n, n_span)) = split else {
        return Err(Diagnostic::new(
            codes::SYNTAX,
            "expected the predicate to end with a comparison to a count, such as `== 0`",
        )
        .primary(predicate.span, "no `== N` at the end of this predicate")
        .help("write `assert count(system.table where condition) == N`"));
    };
    let left_span = table.span.to(filter.span);
    let left = MetricSum {
        terms: vec![(
            true,
            Metric::Count {
                table,
                filter: Some(filter),
                span: left_span,
            },
        )],
        span: left_span,
    };
    let right = MetricSum {
        terms: vec![(
            true,
            Metric::Constant {
                value: n,
                span: n_span,
            },
        )],
        span: n_span,
    };
    Ok(MetricCompare {
        left,
        op,
        right,
        span: s,
    })
}

fn column_set(p: Pair<'_, Rule>) -> Result<ColumnSet> {
    let s = span(&p);
    let mut c = Children::of(p);
    if c.peek_rule() == Some(Rule::column_path) {
        return column_set(c.expect(Rule::column_path)?);
    }
    if c.peek_rule() == Some(Rule::table_ref) {
        let table = table_ref(c.expect(Rule::table_ref)?)?;
        let columns = ident_list(c.expect(Rule::ident_list)?)?;
        return Ok(ColumnSet {
            table,
            columns,
            span: s,
        });
    }
    // column_path: system . table . column
    let system = next_ident(&mut c)?;
    let table = next_ident(&mut c)?;
    let column = next_ident(&mut c)?;
    let table = TableRef {
        span: system.span.to(table.span),
        system,
        table,
    };
    Ok(ColumnSet {
        table,
        columns: vec![column],
        span: s,
    })
}

fn compare_op(p: &Pair<'_, Rule>) -> CompareOp {
    match p.as_str() {
        "==" => CompareOp::Eq,
        "!=" => CompareOp::Ne,
        "<=" => CompareOp::Le,
        "<>" => CompareOp::Ne,
        ">=" => CompareOp::Ge,
        "<" => CompareOp::Lt,
        _ => CompareOp::Gt,
    }
}

fn metric_compare(p: Pair<'_, Rule>) -> Result<MetricCompare> {
    let s = span(&p);
    let mut c = Children::of(p);
    let left = metric_sum(c.expect(Rule::metric_sum)?)?;
    let op = compare_op(&c.expect(Rule::compare_op)?);
    let right = metric_sum(c.expect(Rule::metric_sum)?)?;
    Ok(MetricCompare {
        left,
        op,
        right,
        span: s,
    })
}

fn metric_sum(p: Pair<'_, Rule>) -> Result<MetricSum> {
    let s = span(&p);
    let mut terms = Vec::new();
    let mut plus = true;
    for m in Children::of(p).rest() {
        match m.as_rule() {
            Rule::metric_sign => plus = m.as_str() == "+",
            Rule::metric => {
                terms.push((plus, metric(m)?));
                plus = true;
            }
            _ => return Err(unexpected(&m)),
        }
    }
    Ok(MetricSum { terms, span: s })
}

fn metric(p: Pair<'_, Rule>) -> Result<Metric> {
    let inner = Children::of(p).next()?;
    let s = span(&inner);
    let rule = inner.as_rule();
    Ok(match rule {
        Rule::count_metric => {
            let mut c = Children::of(inner);
            let table = table_ref(c.expect(Rule::table_ref)?)?;
            let filter = c.optional(Rule::expr).map(expr).transpose()?;
            Metric::Count {
                table,
                filter,
                span: s,
            }
        }
        Rule::rejected_metric => Metric::Rejected {
            table: table_ref(Children::of(inner).expect(Rule::table_ref)?)?,
            span: s,
        },
        Rule::integer => Metric::Constant {
            value: u64_of(&inner, "a count")?,
            span: s,
        },
        _ => return Err(internal(rule, s, "a metric")),
    })
}

// ──────────────────────── Rollback and phases ───────────────────────

fn rollback(p: Pair<'_, Rule>) -> Result<Rollback> {
    let s = span(&p);
    let items = Children::of(p)
        .rest()
        .map(|i| {
            let is = span(&i);
            Ok(match i.as_rule() {
                Rule::strategy => RollbackItem::Strategy(next_ident(&mut Children::of(i))?),
                Rule::trigger => {
                    let t = Children::of(i).next()?;
                    let mut tc = Children::of(t.clone());
                    match t.as_rule() {
                        Rule::gate_fails => RollbackItem::GateFails {
                            gate: next_ident(&mut tc)?,
                            span: is,
                        },
                        Rule::metric_trigger => {
                            let left = metric_sum(tc.expect(Rule::metric_sum)?)?;
                            let op = compare_op(&tc.expect(Rule::compare_op)?);
                            let r = tc.next()?;
                            let right = match r.as_rule() {
                                Rule::percent => Threshold::Percent(percent(r)),
                                _ => Threshold::Metric(metric_sum(r)?),
                            };
                            RollbackItem::Metric {
                                left,
                                op,
                                right,
                                span: is,
                            }
                        }
                        _ => return Err(unexpected(&t)),
                    }
                }
                _ => return Err(unexpected(&i)),
            })
        })
        .collect::<Result<_>>()?;
    Ok(Rollback { items, span: s })
}

fn phase(p: Pair<'_, Rule>) -> Result<Phase> {
    let s = span(&p);
    let mut c = Children::of(p);
    let name = next_ident(&mut c)?;
    let title = string(c.expect(Rule::string)?)?;
    let duration = duration(c.expect(Rule::duration)?);
    let mut after = Vec::new();
    let mut owner = None;
    let mut steps = Vec::new();
    for part in c.rest() {
        match part.as_rule() {
            Rule::phase_after => {
                after.extend(ident_list(Children::of(part).expect(Rule::ident_list)?)?)
            }
            Rule::phase_owner => owner = Some(string(Children::of(part).expect(Rule::string)?)?),
            Rule::phase_steps => {
                for st in Children::of(part).rest() {
                    let ss = span(&st);
                    steps.push(match st.as_rule() {
                        Rule::load_step => Step::Load {
                            map: Children::of(st).rest().next().map(map_ref).transpose()?,
                            span: ss,
                        },
                        Rule::gate_step => Step::Gate(next_ident(&mut Children::of(st))?),
                        Rule::rollback_step => Step::Rollback(ss),
                        Rule::manual_step => {
                            Step::Manual(string(Children::of(st).expect(Rule::string)?)?)
                        }
                        _ => return Err(unexpected(&st)),
                    });
                }
            }
            _ => return Err(unexpected(&part)),
        }
    }
    Ok(Phase {
        name,
        title,
        duration,
        after,
        owner,
        steps,
        span: s,
    })
}

// ─────────────────────────── Expressions ───────────────────────────

/// Lowers an `expr` pair through the Pratt parser. Trees deeper than
/// [`MAX_EXPR_DEPTH`] are refused so later passes can recurse safely.
pub(crate) fn expr(p: Pair<'_, Rule>) -> Result<Expr> {
    let s = span(&p);
    if p.as_rule() != Rule::expr {
        return Err(internal(
            Rule::expr,
            s,
            &format!("an expression, found {:?}", p.as_rule()),
        ));
    }
    pratt(p.into_inner()).map(|(e, _)| e)
}

fn too_deep(s: Span) -> Diagnostic {
    Diagnostic::new(codes::TOO_DEEP, format!("expression nests more than {MAX_EXPR_DEPTH} operators deep"))
        .primary(s, "too deep")
        .help("split the expression: move parts into an `fn`, or use `case` or `in (…)` instead of long chains")
}

fn node(kind: ExprKind, span: Span, depth: u32) -> Result<(Expr, u32)> {
    if depth > MAX_EXPR_DEPTH {
        return Err(too_deep(span));
    }
    Ok((Expr { kind, span }, depth))
}

fn pratt(pairs: Pairs<'_, Rule>) -> Result<(Expr, u32)> {
    PRATT
        .map_primary(primary)
        .map_prefix(|op, rhs| {
            let (rhs, d) = rhs?;
            let s = span(&op).to(rhs.span);
            let op = if op.as_rule() == Rule::op_not {
                UnaryOp::Not
            } else {
                UnaryOp::Neg
            };
            node(
                ExprKind::Unary {
                    op,
                    operand: Box::new(rhs),
                },
                s,
                d + 1,
            )
        })
        .map_infix(|lhs, op, rhs| {
            let (lhs, dl) = lhs?;
            let (rhs, dr) = rhs?;
            let s = lhs.span.to(rhs.span);
            // `a not like b` is `not (a like b)`.
            let negated = op.as_rule() == Rule::op_like && op.as_str().starts_with("not");
            if dl.max(dr) + 1 > MAX_EXPR_DEPTH {
                // Point at the operator that crosses the limit, not the whole chain.
                return Err(too_deep(span(&op)));
            }
            let op = match op.as_rule() {
                Rule::op_or => BinaryOp::Or,
                Rule::op_and => BinaryOp::And,
                Rule::op_eq => BinaryOp::Eq,
                Rule::op_ne => BinaryOp::Ne,
                Rule::op_lt => BinaryOp::Lt,
                Rule::op_le => BinaryOp::Le,
                Rule::op_gt => BinaryOp::Gt,
                Rule::op_ge => BinaryOp::Ge,
                Rule::op_like => BinaryOp::Like,
                Rule::op_concat => BinaryOp::Concat,
                Rule::op_add => BinaryOp::Add,
                Rule::op_sub => BinaryOp::Sub,
                Rule::op_mul => BinaryOp::Mul,
                Rule::op_div => BinaryOp::Div,
                Rule::op_rem => BinaryOp::Rem,
                _ => return Err(unexpected(&op)),
            };
            let (e, d) = node(
                ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                s,
                dl.max(dr) + 1,
            )?;
            if negated {
                node(
                    ExprKind::Unary {
                        op: UnaryOp::Not,
                        operand: Box::new(e),
                    },
                    s,
                    d + 1,
                )
            } else {
                Ok((e, d))
            }
        })
        .map_postfix(|lhs, op| {
            let (lhs, d) = lhs?;
            let s = lhs.span.to(span(&op));
            if d + 1 > MAX_EXPR_DEPTH {
                return Err(too_deep(span(&op)));
            }
            let rule = op.as_rule();
            let mut c = Children::of(op);
            let negated = c.optional(Rule::negated).is_some();
            let operand = Box::new(lhs);
            match rule {
                Rule::op_is_null => node(ExprKind::IsNull { operand, negated }, s, d + 1),
                Rule::op_between => {
                    let (low, dl) = bound(c.expect(Rule::bound)?)?;
                    let (high, dh) = bound(c.expect(Rule::bound)?)?;
                    let depth = d.max(dl).max(dh) + 1;
                    node(
                        ExprKind::Between {
                            operand,
                            low: Box::new(low),
                            high: Box::new(high),
                            negated,
                        },
                        s,
                        depth,
                    )
                }
                Rule::op_in => {
                    let mut depth = d;
                    let mut list = Vec::new();
                    for item in c.rest() {
                        let (e, di) = pratt(item.into_inner())?;
                        depth = depth.max(di);
                        list.push(e);
                    }
                    node(
                        ExprKind::In {
                            operand,
                            list,
                            negated,
                        },
                        s,
                        depth + 1,
                    )
                }
                _ => Err(internal(rule, s, "a postfix operator")),
            }
        })
        .parse(pairs)
}

fn bound(p: Pair<'_, Rule>) -> Result<(Expr, u32)> {
    let s = span(&p);
    let mut c = Children::of(p);
    let neg = c.optional(Rule::op_neg).is_some();
    let (e, d) = primary(c.next()?)?;
    if neg {
        node(
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand: Box::new(e),
            },
            s,
            d + 1,
        )
    } else {
        Ok((e, d))
    }
}

fn sub_expr(p: Pair<'_, Rule>) -> Result<(Expr, u32)> {
    if p.as_rule() != Rule::expr {
        return Err(unexpected(&p));
    }
    pratt(p.into_inner())
}

fn primary(p: Pair<'_, Rule>) -> Result<(Expr, u32)> {
    let s = span(&p);
    let rule = p.as_rule();
    let leaf = |kind| node(kind, s, 1);
    match rule {
        Rule::expr => pratt(p.into_inner()),
        Rule::string => leaf(ExprKind::Literal(Literal::Str(string(p)?.value))),
        Rule::number => {
            let text = number_text(&p);
            if text.contains('.') {
                leaf(ExprKind::Literal(Literal::Decimal(text)))
            } else {
                let n = text.parse::<i64>().map_err(|_| {
                    Diagnostic::new(codes::NUMBER_RANGE, format!("integer `{}` is too large", p.as_str()))
                        .primary(s, "does not fit in a 64-bit integer")
                        .help(format!("integers must lie within ±{}; write a decimal such as `{text}.0` for larger values", i64::MAX))
                })?;
                leaf(ExprKind::Literal(Literal::Integer(n)))
            }
        }
        Rule::boolean => leaf(ExprKind::Literal(Literal::Bool(
            p.as_str().starts_with('t'),
        ))),
        Rule::null_lit => leaf(ExprKind::Literal(Literal::Null)),
        Rule::named => {
            let mut c = Children::of(p);
            let name = next_ident(&mut c)?;
            let rest = c.next()?;
            match rest.as_rule() {
                Rule::call_args => {
                    let (args, d) = expr_list(Children::of(rest).rest())?;
                    node(ExprKind::Call { name, args }, s, d + 1)
                }
                Rule::lookup_key => {
                    let (key, d) = sub_expr(Children::of(rest).expect(Rule::expr)?)?;
                    node(
                        ExprKind::Index {
                            lookup: name,
                            key: Box::new(key),
                        },
                        s,
                        d + 1,
                    )
                }
                _ => {
                    let mut parts = vec![name];
                    for part in Children::of(rest).rest() {
                        parts.push(ident(part)?);
                    }
                    leaf(ExprKind::Path(parts))
                }
            }
        }
        Rule::ref_expr => {
            let mut c = Children::of(p);
            let table = Children::of(c.expect(Rule::path)?)
                .rest()
                .map(ident)
                .collect::<Result<_>>()?;
            let (args, d) = expr_list(c.rest())?;
            node(ExprKind::Ref { table, args }, s, d + 1)
        }
        Rule::cast_expr => {
            let mut c = Children::of(p);
            let (e, d) = sub_expr(c.expect(Rule::expr)?)?;
            let ty = type_expr(c.expect(Rule::type_expr)?)?;
            node(
                ExprKind::Cast {
                    expr: Box::new(e),
                    ty,
                },
                s,
                d + 1,
            )
        }
        Rule::if_expr => {
            let mut c = Children::of(p);
            let (cond, d1) = sub_expr(c.expect(Rule::expr)?)?;
            let (then, d2) = sub_expr(c.expect(Rule::expr)?)?;
            let (otherwise, d3) = sub_expr(c.expect(Rule::expr)?)?;
            let kind = ExprKind::If {
                cond: Box::new(cond),
                then: Box::new(then),
                otherwise: Box::new(otherwise),
            };
            node(kind, s, d1.max(d2).max(d3) + 1)
        }
        Rule::case_expr => {
            let mut depth = 0;
            let mut subject = None;
            let mut whens = Vec::new();
            let mut otherwise = None;
            for part in Children::of(p).rest() {
                let prule = part.as_rule();
                let mut pc = Children::of(part);
                match prule {
                    Rule::case_subject => {
                        let (e, d) = sub_expr(pc.expect(Rule::expr)?)?;
                        depth = depth.max(d);
                        subject = Some(Box::new(e));
                    }
                    Rule::case_when => {
                        let (w, d1) = sub_expr(pc.expect(Rule::expr)?)?;
                        let (t, d2) = sub_expr(pc.expect(Rule::expr)?)?;
                        depth = depth.max(d1).max(d2);
                        whens.push((w, t));
                    }
                    Rule::case_else => {
                        let (e, d) = sub_expr(pc.expect(Rule::expr)?)?;
                        depth = depth.max(d);
                        otherwise = Some(Box::new(e));
                    }
                    _ => return Err(internal(prule, s, "a part of `case`")),
                }
            }
            node(
                ExprKind::Case {
                    subject,
                    whens,
                    otherwise,
                },
                s,
                depth + 1,
            )
        }
        _ => Err(internal(rule, s, "an operand")),
    }
}

fn expr_list<'i>(pairs: impl Iterator<Item = Pair<'i, Rule>>) -> Result<(Vec<Expr>, u32)> {
    let mut depth = 0;
    let mut out = Vec::new();
    for p in pairs {
        let (e, d) = sub_expr(p)?;
        depth = depth.max(d);
        out.push(e);
    }
    Ok((out, depth))
}

#[cfg(test)]
mod tests {
    use super::unescape;

    #[test]
    fn trailing_trivia_is_trimmed() {
        let trim = |src: &str| {
            let comments = crate::nesting::check(src).unwrap_or_default();
            super::with_comments(comments, || super::trim_trailing_trivia(src, 0).to_owned())
        };
        assert_eq!(trim("phased   # big_bang | phased\n  "), "phased");
        assert_eq!(trim("a \"x#y\" # c\n # d\n"), "a \"x#y\"");
        assert_eq!(trim("`a#b`"), "`a#b`");
        assert_eq!(trim("x # c\r"), "x");
        assert_eq!(trim("x"), "x");
    }

    #[test]
    fn escapes() {
        assert_eq!(
            unescape(r#"a\"b\\c\n\t\u{e9}\u{1F600}!"#, 0)
                .ok()
                .as_deref(),
            Some("a\"b\\c\n\té😀!")
        );
        for bad in [
            r"\q",
            r"\u{}",
            r"\u{110000}",
            r"\u{D800}",
            r"\u12",
            r"\u{1234567}",
            "\\",
        ] {
            let d = unescape(bad, 10).err();
            assert_eq!(d.map(|d| d.code.as_str()), Some("E0003"), "{bad}");
        }
    }
}
