//! The formatter on randomized specs. A random AST is printed
//! (`format::print`); the text must parse back to the same AST, and must
//! already be formatted. Then its layout is scrambled — spaces, tabs and
//! line breaks changed, comments added — and formatting the scrambled text
//! must give the same AST, keep every comment in order, be idempotent, and
//! give back exactly the printed text when no comment was added.

mod support;

use cutover_diagnostics::Span;
use cutover_syntax::ast::*;
use proptest::prelude::*;
use support::{comments, shape};

const S: Span = Span { start: 0, end: 0 };

// ───────────────────────────── Tokens ──────────────────────────────

fn ident() -> impl Strategy<Value = Ident> {
    // Contextual words (`key`, `count`, `status`) and names that need
    // backticks (`Order Total`, reserved `end`, a doubled backtick).
    prop::sample::select(vec![
        "a",
        "b",
        "cust_id",
        "name",
        "key",
        "count",
        "status",
        "batch",
        "incremental",
        "deletes",
        "missing",
        "skew",
        "show",
        "reconcile",
        "x1",
        "_tmp",
        "Order Total",
        "end",
        "we`ird",
        "Zoë",
    ])
    .prop_map(|n| Ident {
        name: n.to_owned(),
        span: S,
    })
}

fn idents(max: usize) -> impl Strategy<Value = Vec<Ident>> {
    prop::collection::vec(ident(), 1..=max)
}

fn string() -> impl Strategy<Value = Str> {
    "[a-zA-Z0-9 #\"\\\\\n\té{}]{0,10}".prop_map(|value| Str { value, span: S })
}

fn table_ref() -> impl Strategy<Value = TableRef> {
    (ident(), ident()).prop_map(|(system, table)| TableRef {
        system,
        table,
        span: S,
    })
}

fn rule_id() -> impl Strategy<Value = Ident> {
    "[A-Z]{1,3}(-[0-9]{1,3}){0,2}".prop_map(|name| Ident { name, span: S })
}

fn type_expr(nullable: bool) -> impl Strategy<Value = TypeExpr> {
    (
        prop::sample::select(vec!["int", "text", "varchar", "decimal", "timestamp"]),
        prop::collection::vec(1u32..500, 0..=2),
        any::<bool>(),
    )
        .prop_map(move |(name, params, null)| TypeExpr {
            name: Ident {
                name: name.to_owned(),
                span: S,
            },
            params: params.into_iter().map(|p| (p, S)).collect(),
            nullable: nullable && null,
            span: S,
        })
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        string().prop_map(|s| ValueKind::Str(s.value)),
        "-?[0-9]{1,4}(\\.[0-9]{1,2})?".prop_map(ValueKind::Number),
        any::<bool>().prop_map(ValueKind::Bool),
        Just(ValueKind::Null),
    ]
    .prop_map(|kind| Value { kind, span: S })
}

fn duration() -> impl Strategy<Value = Duration> {
    prop::sample::select(vec![
        ("30s", 0.5),
        ("30m", 30.0),
        ("4h", 240.0),
        ("1.5h", 90.0),
        ("3d", 4320.0),
        ("2w", 20160.0),
    ])
    .prop_map(|(text, minutes)| Duration {
        minutes,
        text: text.to_owned(),
        span: S,
    })
}

fn percent() -> impl Strategy<Value = Percent> {
    prop::sample::select(vec![("0.5%", 0.5), ("2%", 2.0), ("10%", 10.0)]).prop_map(
        |(text, value)| Percent {
            value,
            text: text.to_owned(),
            span: S,
        },
    )
}

// ─────────────────────────── Expressions ───────────────────────────

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        string().prop_map(|s| ExprKind::Literal(Literal::Str(s.value))),
        (0i64..100_000).prop_map(|n| ExprKind::Literal(Literal::Integer(n))),
        "[0-9]{1,3}\\.[0-9]{1,2}".prop_map(|d| ExprKind::Literal(Literal::Decimal(d))),
        any::<bool>().prop_map(|b| ExprKind::Literal(Literal::Bool(b))),
        Just(ExprKind::Literal(Literal::Null)),
        idents(3).prop_map(ExprKind::Path),
    ]
    .prop_map(|kind| Expr { kind, span: S });
    leaf.prop_recursive(4, 24, 3, |inner| {
        let boxed = inner.clone().prop_map(Box::new);
        prop_oneof![
            (ident(), prop::collection::vec(inner.clone(), 0..=3))
                .prop_map(|(name, args)| ExprKind::Call { name, args }),
            (ident(), boxed.clone()).prop_map(|(lookup, key)| ExprKind::Index { lookup, key }),
            (idents(2), prop::collection::vec(inner.clone(), 1..=2))
                .prop_map(|(table, args)| ExprKind::Ref { table, args }),
            (boxed.clone(), type_expr(false)).prop_map(|(expr, ty)| ExprKind::Cast { expr, ty }),
            (
                prop::option::of(boxed.clone()),
                prop::collection::vec((inner.clone(), inner.clone()), 1..=2),
                prop::option::of(boxed.clone()),
            )
                .prop_map(|(subject, whens, otherwise)| ExprKind::Case {
                    subject,
                    whens,
                    otherwise
                }),
            (boxed.clone(), boxed.clone(), boxed.clone()).prop_map(|(cond, then, otherwise)| {
                ExprKind::If {
                    cond,
                    then,
                    otherwise,
                }
            }),
            (
                prop::sample::select(vec![UnaryOp::Not, UnaryOp::Neg]),
                boxed.clone()
            )
                .prop_map(|(op, operand)| ExprKind::Unary { op, operand }),
            (
                prop::sample::select(vec![
                    BinaryOp::Or,
                    BinaryOp::And,
                    BinaryOp::Eq,
                    BinaryOp::Ne,
                    BinaryOp::Lt,
                    BinaryOp::Le,
                    BinaryOp::Gt,
                    BinaryOp::Ge,
                    BinaryOp::Like,
                    BinaryOp::Concat,
                    BinaryOp::Add,
                    BinaryOp::Sub,
                    BinaryOp::Mul,
                    BinaryOp::Div,
                    BinaryOp::Rem,
                ]),
                boxed.clone(),
                boxed.clone()
            )
                .prop_map(|(op, lhs, rhs)| ExprKind::Binary { op, lhs, rhs }),
            (boxed.clone(), any::<bool>())
                .prop_map(|(operand, negated)| ExprKind::IsNull { operand, negated }),
            (boxed.clone(), boxed.clone(), boxed.clone(), any::<bool>()).prop_map(
                |(operand, low, high, negated)| ExprKind::Between {
                    operand,
                    low,
                    high,
                    negated
                }
            ),
            (boxed, prop::collection::vec(inner, 1..=3), any::<bool>()).prop_map(
                |(operand, list, negated)| ExprKind::In {
                    operand,
                    list,
                    negated
                }
            ),
        ]
        .prop_map(|kind| Expr { kind, span: S })
    })
}

/// What a column `default` may be: a constant, negated at most once.
fn default_expr() -> impl Strategy<Value = Expr> {
    prop_oneof![
        (0i64..1000).prop_map(|n| ExprKind::Literal(Literal::Integer(n))),
        (1i64..1000).prop_map(|n| ExprKind::Unary {
            op: UnaryOp::Neg,
            operand: Box::new(Expr {
                kind: ExprKind::Literal(Literal::Integer(n)),
                span: S,
            }),
        }),
        string().prop_map(|s| ExprKind::Literal(Literal::Str(s.value))),
        Just(ExprKind::Call {
            name: Ident {
                name: "now".into(),
                span: S
            },
            args: Vec::new(),
        }),
    ]
    .prop_map(|kind| Expr { kind, span: S })
}

// ───────────────────────────── Items ───────────────────────────────

fn migration() -> impl Strategy<Value = Item> {
    let attr_value = prop_oneof![
        string().prop_map(AttrValue::Str),
        ident().prop_map(AttrValue::Ident),
        "[0-9]{1,5}".prop_map(|text| AttrValue::Number(Number { text, span: S })),
        duration().prop_map(AttrValue::Duration),
        percent().prop_map(AttrValue::Percent),
        Just(AttrValue::Rate {
            per_second: 20_000.0,
            text: "20_000/s".into(),
            span: S
        }),
    ];
    (
        string(),
        prop::collection::vec((ident(), prop::collection::vec(attr_value, 1..=3)), 0..=3),
    )
        .prop_map(|(title, attrs)| {
            Item::Migration(Migration {
                title,
                attributes: attrs
                    .into_iter()
                    .map(|(name, values)| Attribute {
                        name,
                        values,
                        span: S,
                    })
                    .collect(),
                span: S,
            })
        })
}

fn column() -> impl Strategy<Value = TableItem> {
    let constraint = prop_oneof![
        Just(ColumnConstraint::PrimaryKey(S)),
        Just(ColumnConstraint::NotNull(S)),
        Just(ColumnConstraint::Null(S)),
        Just(ColumnConstraint::Unique(S)),
        (ident(), ident()).prop_map(|(table, column)| ColumnConstraint::References {
            table,
            column,
            span: S
        }),
        expr().prop_map(ColumnConstraint::Check),
        default_expr().prop_map(ColumnConstraint::Default),
        Just(ColumnConstraint::Pii(S)),
    ];
    (
        ident(),
        type_expr(false),
        prop::collection::vec(constraint, 0..=3),
    )
        .prop_map(|(name, ty, constraints)| {
            TableItem::Column(Column {
                name,
                ty,
                constraints,
                span: S,
            })
        })
}

fn table() -> impl Strategy<Value = Table> {
    let item = prop_oneof![
        4 => column(),
        1 => idents(2).prop_map(|columns| TableItem::PrimaryKey { columns, span: S }),
        1 => idents(2).prop_map(|columns| TableItem::Unique { columns, span: S }),
        1 => expr().prop_map(|expr| TableItem::Check { expr, span: S }),
        1 => (idents(2), ident(), idents(2)).prop_map(|(columns, table, ref_columns)| {
            TableItem::ForeignKey { columns, table, ref_columns, span: S }
        }),
        1 => (0u64..10_000_000).prop_map(|count| TableItem::Rows { count, span: S }),
    ];
    (ident(), prop::collection::vec(item, 0..=5)).prop_map(|(name, items)| Table {
        name,
        items,
        span: S,
    })
}

fn system() -> impl Strategy<Value = Item> {
    (
        any::<bool>(),
        ident(),
        ident(),
        prop::collection::vec(table(), 0..=2),
    )
        .prop_map(|(source, name, dialect, tables)| {
            Item::System(System {
                role: if source { Role::Source } else { Role::Target },
                name,
                dialect,
                tables,
                span: S,
            })
        })
}

fn lookup() -> impl Strategy<Value = Item> {
    let entry = prop_oneof![
        4 => (prop::collection::vec(value(), 1..=3), value())
            .prop_map(|(keys, value)| LookupEntry::Pair { keys, value, span: S }),
        1 => value().prop_map(|value| LookupEntry::Else { value, span: S }),
    ];
    (ident(), prop::collection::vec(entry, 0..=4)).prop_map(|(name, entries)| {
        Item::Lookup(Lookup {
            name,
            entries,
            span: S,
        })
    })
}

fn fn_def() -> impl Strategy<Value = Item> {
    (
        ident(),
        prop::collection::vec((ident(), type_expr(true)), 0..=3),
        type_expr(true),
        expr(),
    )
        .prop_map(|(name, params, ret, body)| {
            Item::Fn(FnDef {
                name,
                params: params
                    .into_iter()
                    .map(|(name, ty)| Param { name, ty, span: S })
                    .collect(),
                ret,
                body,
                span: S,
            })
        })
}

fn assignment() -> impl Strategy<Value = Assignment> {
    let on_failure = prop_oneof![
        string().prop_map(|reason| OnFailure::Reject { reason, span: S }),
        expr().prop_map(|expr| OnFailure::Default { expr, span: S }),
    ];
    (
        any::<bool>(),
        ident(),
        expr(),
        prop::option::of(on_failure),
        prop::option::of(string()),
    )
        .prop_map(|(key, target, expr, on_failure, allow_pii)| Assignment {
            key,
            target,
            expr,
            on_failure,
            allow_pii,
            span: S,
        })
}

fn drop_columns() -> impl Strategy<Value = DropColumns> {
    (prop::collection::vec(idents(2), 1..=12), string()).prop_map(|(columns, reason)| DropColumns {
        columns,
        reason,
        span: S,
    })
}

fn map() -> impl Strategy<Value = Item> {
    let rule_item = prop_oneof![
        assignment().prop_map(MapItem::Assign),
        drop_columns().prop_map(MapItem::Drop),
    ];
    let rule = (
        rule_id(),
        string(),
        prop::collection::vec(rule_item, 0..=3),
        any::<bool>(),
    )
        .prop_map(|(id, title, items, block)| {
            MapItem::Rule(Rule {
                id,
                title,
                block: block || items.len() != 1,
                items,
                span: S,
            })
        });
    let item = prop_oneof![
        1 => expr().prop_map(|expr| MapItem::Where { expr, span: S }),
        1 => prop::collection::vec(expr(), 1..=2).prop_map(|exprs| MapItem::GroupBy { exprs, span: S }),
        2 => rule,
        5 => assignment().prop_map(MapItem::Assign),
        1 => drop_columns().prop_map(MapItem::Drop),
        1 => (0u64..10_000_000, ident())
            .prop_map(|(size, column)| MapItem::Batch { size, column, span: S }),
        1 => (
            ident(),
            prop::option::of(duration()),
            prop::option::of(prop_oneof![
                expr().prop_map(Deletes::When),
                Just(Deletes::Missing(S)),
            ]),
        )
            .prop_map(|(column, skew, deletes)| MapItem::Incremental(Incremental {
                column,
                skew,
                deletes,
                span: S,
            })),
    ];
    let join = (
        any::<bool>(),
        table_ref(),
        prop::option::of(ident()),
        expr(),
    )
        .prop_map(|(left, table, alias, on)| Join {
            left,
            table,
            alias,
            on,
            span: S,
        });
    (
        prop::option::of(ident()),
        table_ref(),
        prop::option::of(ident()),
        prop::collection::vec(join, 0..=2),
        table_ref(),
        prop::collection::vec(item, 0..=6),
    )
        .prop_map(|(name, source, alias, joins, target, items)| {
            Item::Map(Map {
                name,
                source,
                alias,
                joins,
                target,
                items,
                span: S,
            })
        })
}

fn map_ref() -> impl Strategy<Value = MapRef> {
    prop_oneof![
        ident().prop_map(MapRef::Name),
        (table_ref(), table_ref()).prop_map(|(source, target)| MapRef::Tables {
            source,
            target,
            span: S
        }),
    ]
}

fn example() -> impl Strategy<Value = Item> {
    let row =
        prop::collection::vec((ident(), value()), 0..=8).prop_map(|fields| Row { fields, span: S });
    let rows = prop::collection::vec(row, 0..=3).boxed();
    let item = prop_oneof![
        (prop::collection::vec(ident(), 0..=2), rows.clone()).prop_map(|(table, rows)| {
            ExampleItem::Given {
                table,
                rows,
                span: S,
            }
        }),
        rows.prop_map(|rows| ExampleItem::Expect { rows, span: S }),
        (prop::option::of(rule_id()), string()).prop_map(|(rule, reason)| {
            ExampleItem::ExpectReject {
                rule,
                reason,
                span: S,
            }
        }),
    ];
    (string(), map_ref(), prop::collection::vec(item, 0..=3)).prop_map(|(name, map, items)| {
        Item::Example(Example {
            name,
            map,
            items,
            span: S,
        })
    })
}

fn metric_sum() -> impl Strategy<Value = MetricSum> {
    let metric = prop_oneof![
        (table_ref(), prop::option::of(expr())).prop_map(|(table, filter)| Metric::Count {
            table,
            filter,
            span: S
        }),
        table_ref().prop_map(|table| Metric::Rejected { table, span: S }),
        (0u64..1000).prop_map(|value| Metric::Constant { value, span: S }),
    ];
    (
        metric,
        prop::collection::vec((any::<bool>(), metric_one()), 0..=2),
    )
        .prop_map(|(first, rest)| {
            let mut terms = vec![(true, first)];
            terms.extend(rest);
            MetricSum { terms, span: S }
        })
}

fn metric_one() -> impl Strategy<Value = Metric> {
    prop_oneof![
        table_ref().prop_map(|table| Metric::Count {
            table,
            filter: None,
            span: S
        }),
        table_ref().prop_map(|table| Metric::Rejected { table, span: S }),
        (0u64..1000).prop_map(|value| Metric::Constant { value, span: S }),
    ]
}

fn compare_op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(vec![
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Lt,
        CompareOp::Le,
        CompareOp::Gt,
        CompareOp::Ge,
    ])
}

fn metric_compare() -> impl Strategy<Value = MetricCompare> {
    (metric_sum(), compare_op(), metric_sum()).prop_map(|(left, op, right)| MetricCompare {
        left,
        op,
        right,
        span: S,
    })
}

fn gate() -> impl Strategy<Value = Item> {
    let column_set = (table_ref(), idents(3))
        .prop_map(|(table, columns)| ColumnSet {
            table,
            columns,
            span: S,
        })
        .boxed();
    let column_path = (table_ref(), ident())
        .prop_map(|(table, column)| ColumnSet {
            table,
            columns: vec![column],
            span: S,
        })
        .boxed();
    let kind = prop_oneof![
        column_set.clone().prop_map(CheckKind::Unique),
        column_set.prop_map(CheckKind::NotNull),
        (column_path.clone(), prop::option::of(column_path))
            .prop_map(|(column, to)| CheckKind::Fk { column, to }),
        (table_ref(), table_ref(), idents(3)).prop_map(|(source, target, columns)| {
            CheckKind::Checksum {
                source,
                target,
                columns,
            }
        }),
        (1u64..100_000, prop::option::of(map_ref()))
            .prop_map(|(rows, map)| CheckKind::Sample { rows, map }),
        (map_ref(), prop::option::of(0u64..1_000))
            .prop_map(|(map, show)| CheckKind::Reconcile { map, show }),
        (table_ref(), expr())
            .prop_map(|(table, predicate)| CheckKind::AssertRows { table, predicate }),
        metric_compare().prop_map(CheckKind::AssertMetric),
        metric_compare().prop_map(CheckKind::Count),
    ];
    let tolerance = prop_oneof![
        percent().prop_map(Tolerance::Percent),
        (0u64..100).prop_map(|count| Tolerance::Rows { count, span: S }),
    ];
    let check = (
        kind,
        prop::option::of(any::<bool>()),
        prop::option::of(tolerance),
    )
        .prop_map(|(kind, warn, tolerance)| GateCheck {
            kind,
            warn: warn.map(|w| (w, S)),
            tolerance,
            span: S,
        });
    (ident(), any::<bool>(), prop::collection::vec(check, 0..=4)).prop_map(
        |(name, before, checks)| {
            Item::Gate(Gate {
                name,
                timing: if before {
                    Timing::BeforeLoad
                } else {
                    Timing::AfterLoad
                },
                timing_span: S,
                checks,
                span: S,
            })
        },
    )
}

fn rollback() -> impl Strategy<Value = Item> {
    let item = prop_oneof![
        ident().prop_map(|gate| RollbackItem::GateFails { gate, span: S }),
        (
            metric_sum(),
            compare_op(),
            prop_oneof![
                percent().prop_map(Threshold::Percent),
                metric_sum().prop_map(Threshold::Metric)
            ]
        )
            .prop_map(|(left, op, right)| RollbackItem::Metric {
                left,
                op,
                right,
                span: S
            }),
        ident().prop_map(RollbackItem::Strategy),
    ];
    prop::collection::vec(item, 0..=4).prop_map(|items| Item::Rollback(Rollback { items, span: S }))
}

fn phase() -> impl Strategy<Value = Item> {
    let step = prop_oneof![
        prop::option::of(map_ref()).prop_map(|map| Step::Load { map, span: S }),
        ident().prop_map(Step::Gate),
        Just(Step::Rollback(S)),
        string().prop_map(Step::Manual),
    ];
    (
        ident(),
        string(),
        duration(),
        prop::collection::vec(ident(), 0..=2),
        prop::option::of(string()),
        prop::collection::vec(step, 0..=4),
    )
        .prop_map(|(name, title, duration, after, owner, steps)| {
            Item::Phase(Phase {
                name,
                title,
                duration,
                after,
                owner,
                steps,
                span: S,
            })
        })
}

fn drop_table() -> impl Strategy<Value = Item> {
    (prop::collection::vec(table_ref(), 1..=4), string()).prop_map(|(tables, reason)| {
        Item::DropTable(DropTable {
            tables,
            reason,
            span: S,
        })
    })
}

fn ast() -> impl Strategy<Value = Ast> {
    let item = prop_oneof![
        migration(),
        system(),
        lookup(),
        fn_def(),
        map(),
        example(),
        gate(),
        rollback(),
        phase(),
        drop_table(),
    ];
    prop::collection::vec(item, 0..=6).prop_map(|items| Ast { items })
}

// ──────────────────────────── Scrambling ───────────────────────────

/// A small deterministic generator for the scrambling (the seed comes
/// from proptest, so a failure shrinks and replays).
struct Dice(u64);

impl Dice {
    fn next(&mut self, n: u64) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next(100) < percent
    }
}

/// Byte ranges of the lines inside `table … {` blocks of printed text,
/// where a line break would end a column.
fn table_bodies(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut open: Option<(usize, usize)> = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        let indent = line.len() - line.trim_start().len();
        match open {
            None if trimmed.starts_with("table ") && trimmed.ends_with('{') => {
                open = Some((at, indent));
            }
            Some((start, i)) if i == indent && trimmed == "}" => {
                ranges.push(start..at + line.len());
                open = None;
            }
            _ => {}
        }
        at += line.len();
    }
    ranges
}

/// Rewrites the spaces between tokens: inside a table only spaces and
/// tabs change; elsewhere a space may become a line break. Line breaks
/// stay line breaks, so no blank line appears or goes. With `comment`, a
/// comment goes before some line breaks. Strings, quoted names and
/// comments are kept as they are.
fn scramble(text: &str, seed: u64, comment: bool) -> String {
    let mut dice = Dice(seed | 1);
    let tables = table_bodies(text);
    let mut out = String::new();
    let mut n = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' | '`' => {
                out.push(c);
                while let Some((_, d)) = chars.next() {
                    out.push(d);
                    if d == '\\' && c == '"' {
                        if let Some((_, e)) = chars.next() {
                            out.push(e);
                        }
                    } else if d == c {
                        break;
                    }
                }
            }
            ' ' | '\n' => {
                let mut breaks = usize::from(c == '\n');
                while let Some(&(_, d)) = chars.peek() {
                    if d != ' ' && d != '\n' {
                        break;
                    }
                    breaks += usize::from(d == '\n');
                    chars.next();
                }
                let at_end = chars.peek().is_none();
                let in_table = tables.iter().any(|r| r.contains(&at));
                let breaks = if breaks == 0 && !in_table && !at_end && dice.chance(20) {
                    1
                } else {
                    breaks
                };
                if breaks == 0 {
                    out.push_str([" ", "  ", "\t", " \t "][dice.next(4) as usize]);
                    continue;
                }
                for i in 0..breaks {
                    if comment && i == 0 && dice.chance(30) {
                        n += 1;
                        out.push_str(&format!(" # c{n}"));
                    }
                    out.push('\n');
                }
                if !at_end {
                    out.push_str(&" ".repeat(dice.next(6) as usize));
                }
            }
            c => out.push(c),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn printed_specs_parse_back_and_are_formatted(ast in ast()) {
        let text = cutover_syntax::format::print(&ast);
        let parsed = cutover_syntax::parse(&text)
            .map_err(|d| TestCaseError::fail(format!("{d:?}\n{text}")))?;
        prop_assert_eq!(shape(&ast), shape(&parsed), "{}", text);
        let formatted = cutover_syntax::format(&text).map_err(|d| TestCaseError::fail(format!("{d:?}")))?;
        prop_assert_eq!(&formatted, &text);
    }

    #[test]
    fn scrambled_specs_format_back(ast in ast(), seed in any::<u64>(), comment in any::<bool>()) {
        let text = cutover_syntax::format::print(&ast);
        let messy = scramble(&text, seed, comment);
        let parsed = cutover_syntax::parse(&messy)
            .map_err(|d| TestCaseError::fail(format!("scrambled text does not parse: {d:?}\n{messy}")))?;
        prop_assert_eq!(shape(&ast), shape(&parsed), "{}", messy);
        let formatted = cutover_syntax::format(&messy).map_err(|d| TestCaseError::fail(format!("{d:?}")))?;
        let reparsed = cutover_syntax::parse(&formatted)
            .map_err(|d| TestCaseError::fail(format!("formatted text does not parse: {d:?}\n{formatted}")))?;
        prop_assert_eq!(shape(&ast), shape(&reparsed), "{}", formatted);
        prop_assert_eq!(comments(&messy), comments(&formatted));
        let again = cutover_syntax::format(&formatted).map_err(|d| TestCaseError::fail(format!("{d:?}")))?;
        prop_assert_eq!(&again, &formatted, "not idempotent; scrambled:\n{}", messy);
        if !comment {
            prop_assert_eq!(&formatted, &text, "scrambled:\n{}", messy);
        }
    }
}
