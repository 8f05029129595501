//! Cutover's typed IR, and the resolver that builds it from the AST.
//!
//! The IR is the single source of truth for every later stage: names are
//! resolved to ids, every expression has a [`Type`], every node keeps its
//! [`Span`]. Backends never re-resolve names or guess types; if one needs a
//! fact, it belongs here. [`resolve`] reports unknown and duplicate names
//! (E01xx) and expression type errors (E02xx); an expression that failed has
//! type `Error`, so nothing downstream reports it again.

pub mod builtins;
mod resolve;
pub mod types;

pub use builtins::Builtin;
pub use resolve::{for_each_child, resolve};
pub use types::{Type, TypeKind};

use cutover_diagnostics::Span;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident),*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);
        impl $name {
            pub fn index(self) -> usize { self.0 as usize }
        }
        /// `TableId(3)` on one line, even in `{:#?}` dumps.
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    )*};
}

ids!(
    /// Index into [`Ir::systems`].
    SystemId,
    /// Index into [`Ir::tables`].
    TableId,
    /// Index into [`Ir::columns`].
    ColumnId,
    /// Index into [`Ir::lookups`].
    LookupId,
    /// Index into [`Ir::fns`].
    FnId,
    /// Index into [`Ir::maps`].
    MapId,
    /// Index into [`Ir::gates`].
    GateId,
    /// Index into [`Ir::phases`].
    PhaseId
);

/// A resolved, typed spec.
#[derive(Clone, Debug, Default)]
pub struct Ir {
    pub migration: Migration,
    pub systems: Vec<System>,
    pub tables: Vec<Table>,
    pub columns: Vec<Column>,
    pub lookups: Vec<Lookup>,
    pub fns: Vec<FnDef>,
    pub maps: Vec<Map>,
    pub examples: Vec<Example>,
    pub gates: Vec<Gate>,
    pub rollback: Option<Rollback>,
    pub phases: Vec<Phase>,
    pub dropped_tables: Vec<DroppedTable>,
}

impl Ir {
    pub fn system(&self, id: SystemId) -> &System {
        &self.systems[id.index()]
    }
    pub fn table(&self, id: TableId) -> &Table {
        &self.tables[id.index()]
    }
    pub fn column(&self, id: ColumnId) -> &Column {
        &self.columns[id.index()]
    }
    pub fn lookup(&self, id: LookupId) -> &Lookup {
        &self.lookups[id.index()]
    }
    pub fn func(&self, id: FnId) -> &FnDef {
        &self.fns[id.index()]
    }
    pub fn map(&self, id: MapId) -> &Map {
        &self.maps[id.index()]
    }
    pub fn gate(&self, id: GateId) -> &Gate {
        &self.gates[id.index()]
    }
    pub fn phase(&self, id: PhaseId) -> &Phase {
        &self.phases[id.index()]
    }

    /// `system.table`, for messages and artifacts.
    pub fn table_path(&self, id: TableId) -> String {
        let t = self.table(id);
        format!("{}.{}", self.system(t.system).name, t.name)
    }

    /// `system.table.column`
    pub fn column_path(&self, id: ColumnId) -> String {
        let c = self.column(id);
        format!("{}.{}", self.table_path(c.table), c.name)
    }
}

/// The migration header.
#[derive(Clone, Debug, Default)]
pub struct Migration {
    pub title: String,
    pub strategy: Strategy,
    pub owner: Option<String>,
    /// Every attribute other than `strategy` and `owner`, as written.
    pub attributes: Vec<Attribute>,
    pub span: Span,
}

/// How the cutover happens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Strategy {
    #[default]
    BigBang,
    Phased,
    ParallelRun,
}

impl Strategy {
    pub const NAMES: [&'static str; 3] = ["big_bang", "phased", "parallel_run"];
    pub fn name(self) -> &'static str {
        match self {
            Strategy::BigBang => "big_bang",
            Strategy::Phased => "phased",
            Strategy::ParallelRun => "parallel_run",
        }
    }
}

/// A free header attribute.
#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: String,
    pub values: Vec<AttrValue>,
    pub span: Span,
}

/// A header attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue {
    Text(String),
    Word(String),
    Number(String),
    Minutes(f64),
    Percent(f64),
    RowsPerSecond(f64),
}

/// Whether a system is read or written.
pub use cutover_syntax::ast::Role;

/// A database dialect Cutover generates for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

impl Dialect {
    pub const NAMES: [&'static str; 2] = ["postgres", "sqlite"];
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Sqlite => "sqlite",
        }
    }
}

/// `source NAME: dialect { … }`
#[derive(Clone, Debug)]
pub struct System {
    pub name: String,
    pub name_span: Span,
    pub role: Role,
    pub dialect: Dialect,
    pub tables: Vec<TableId>,
    pub span: Span,
}

/// A table of a system.
#[derive(Clone, Debug)]
pub struct Table {
    pub name: String,
    pub name_span: Span,
    pub system: SystemId,
    pub columns: Vec<ColumnId>,
    pub primary_key: Vec<ColumnId>,
    pub uniques: Vec<Vec<ColumnId>>,
    /// Table-level `check (…)`, over this table's columns (source 0).
    pub checks: Vec<Expr>,
    pub foreign_keys: Vec<ForeignKey>,
    pub rows: Option<u64>,
    pub span: Span,
}

/// `foreign key (a) references t(b)`, and column-level `references`.
#[derive(Clone, Debug)]
pub struct ForeignKey {
    pub columns: Vec<ColumnId>,
    pub table: TableId,
    pub ref_columns: Vec<ColumnId>,
    pub span: Span,
}

/// A column of a table.
#[derive(Clone, Debug)]
pub struct Column {
    pub name: String,
    pub table: TableId,
    pub ty: Type,
    pub primary_key: bool,
    pub unique: bool,
    pub pii: bool,
    pub default: Option<Expr>,
    pub checks: Vec<Expr>,
    pub references: Option<ColumnId>,
    pub span: Span,
}

/// A constant in a lookup or an example row.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Const {
    Text(String),
    Int(i64),
    /// Decimal text as written, `_` removed.
    Decimal(String),
    Bool(bool),
    Null,
}

/// `lookup NAME { … }`
#[derive(Clone, Debug)]
pub struct Lookup {
    pub name: String,
    pub key_type: Type,
    pub value_type: Type,
    pub entries: Vec<LookupEntry>,
    /// The `else =>` value: a total lookup.
    pub otherwise: Option<Const>,
    pub span: Span,
}

/// `"A" | "a" => "Active"`
#[derive(Clone, Debug)]
pub struct LookupEntry {
    pub keys: Vec<(Const, Span)>,
    pub value: Const,
    pub span: Span,
}

/// `fn NAME(params) -> type = body`; the body's column references are
/// [`ExprKind::Param`]s.
#[derive(Clone, Debug)]
pub struct FnDef {
    pub name: String,
    pub params: Vec<Param>,
    pub ret: Type,
    pub body: Expr,
    pub span: Span,
}

/// A parameter; `ty.nullable` is the `?` mark.
#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    pub ty: Type,
    pub span: Span,
}

/// A mapping from source rows to target rows.
#[derive(Clone, Debug)]
pub struct Map {
    /// The explicit name, or `source -> target`.
    pub name: String,
    pub named: bool,
    /// The tables read: the first is the `map` table, the rest are joins.
    pub sources: Vec<MapSource>,
    pub target: TableId,
    pub filter: Option<Expr>,
    pub group_by: Vec<Expr>,
    pub rules: Vec<RuleInfo>,
    pub assignments: Vec<Assignment>,
    pub drops: Vec<DroppedColumn>,
    /// `batch N by column`: loaded in chunks, resumably.
    pub batch: Option<Batch>,
    /// `incremental by column …`: kept in sync after the initial load.
    pub incremental: Option<Incremental>,
    pub span: Span,
}

/// `batch N by column`: chunks of `size` source rows in the order of
/// `column` (of the map table), each committed with a checkpoint.
#[derive(Clone, Debug)]
pub struct Batch {
    pub size: u64,
    pub column: ColumnId,
    pub span: Span,
}

/// `incremental by column [skew D] [deletes …]`.
#[derive(Clone, Debug)]
pub struct Incremental {
    /// The timestamp or version column of the map table that grows with
    /// every change.
    pub column: ColumnId,
    /// How far behind the watermark a sync reads, in seconds.
    pub skew_seconds: u64,
    pub skew_span: Option<Span>,
    pub deletes: Option<Deletes>,
    pub span: Span,
}

/// How a sync learns of deleted source rows.
#[derive(Clone, Debug)]
pub enum Deletes {
    /// A soft-delete flag: rows where it holds are removed from the target.
    When(Expr),
    /// Keys no longer in the source are removed from the target.
    Missing { span: Span },
}

impl Map {
    /// The `map` table (not a join).
    pub fn source(&self) -> TableId {
        self.sources[0].table
    }

    /// Every expression the map evaluates on its source rows: assignments
    /// and their `else` fallbacks, the `where` filter, the group keys, the
    /// `deletes when` flag and the join conditions.
    pub fn expressions(&self) -> Vec<&Expr> {
        let mut out = Vec::new();
        for a in &self.assignments {
            out.push(&a.expr);
            if let Some(OnFailure::Default { expr, .. }) = &a.on_failure {
                out.push(expr);
            }
        }
        out.extend(self.filter.iter());
        out.extend(self.group_by.iter());
        if let Some(Incremental {
            deletes: Some(Deletes::When(e)),
            ..
        }) = &self.incremental
        {
            out.push(e);
        }
        out.extend(
            self.sources
                .iter()
                .filter_map(|s| s.join.as_ref().map(|j| &j.on)),
        );
        out
    }
}

/// A table a map reads; `join` is `None` for the first.
#[derive(Clone, Debug)]
pub struct MapSource {
    pub table: TableId,
    /// The alias, or the table's name.
    pub alias: String,
    pub join: Option<JoinInfo>,
    pub span: Span,
}

/// How a source is joined.
#[derive(Clone, Debug)]
pub struct JoinInfo {
    pub left: bool,
    pub on: Expr,
}

/// `rule ID "title"`
#[derive(Clone, Debug)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    /// `rule ID "title"`, without the items.
    pub header: Span,
    pub span: Span,
}

/// Index into [`Map::rules`].
pub type RuleIndex = usize;

/// `[key] column = expr [else …] [allow pii "…"]`
#[derive(Clone, Debug)]
pub struct Assignment {
    pub target: ColumnId,
    pub key: bool,
    pub expr: Expr,
    pub on_failure: Option<OnFailure>,
    pub allow_pii: Option<String>,
    pub rule: Option<RuleIndex>,
    pub target_span: Span,
    pub span: Span,
}

/// What happens when an assignment's expression fails.
#[derive(Clone, Debug)]
pub enum OnFailure {
    Reject { reason: String, span: Span },
    Default { expr: Expr, span: Span },
}

/// `drop col because "…"`
#[derive(Clone, Debug)]
pub struct DroppedColumn {
    pub column: ColumnId,
    pub source: u32,
    pub reason: String,
    pub rule: Option<RuleIndex>,
    pub span: Span,
}

/// `drop table s.t because "…"`
#[derive(Clone, Debug)]
pub struct DroppedTable {
    pub table: TableId,
    pub reason: String,
    pub span: Span,
}

/// A typed expression.
#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    pub span: Span,
}

impl Expr {
    /// The direct sub-expressions, in source order.
    pub fn children(&self) -> Vec<&Expr> {
        let mut out = Vec::new();
        match &self.kind {
            ExprKind::Literal(_)
            | ExprKind::Column { .. }
            | ExprKind::Param(_)
            | ExprKind::Error => {}
            ExprKind::Call { args, .. } | ExprKind::Ref { args, .. } => out.extend(args.iter()),
            ExprKind::Lookup { key, .. } => out.push(&**key),
            ExprKind::Cast { expr, .. } => out.push(&**expr),
            ExprKind::Case {
                subject,
                whens,
                otherwise,
            } => {
                out.extend(subject.iter().map(|s| &**s));
                for (w, t) in whens {
                    out.push(w);
                    out.push(t);
                }
                out.extend(otherwise.iter().map(|o| &**o));
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => out.extend([&**cond, &**then, &**otherwise]),
            ExprKind::Unary { operand, .. } | ExprKind::IsNull { operand, .. } => {
                out.push(&**operand)
            }
            ExprKind::Binary { lhs, rhs, .. } => out.extend([&**lhs, &**rhs]),
            ExprKind::Between {
                operand, low, high, ..
            } => out.extend([&**operand, &**low, &**high]),
            ExprKind::In { operand, list, .. } => {
                out.push(&**operand);
                out.extend(list.iter());
            }
        }
        out
    }
}

/// The forms of a typed expression.
#[derive(Clone, Debug)]
pub enum ExprKind {
    Literal(Const),
    /// A column of the `source`-th table in scope: a map's sources in
    /// order, or the one table of a check, default or gate predicate.
    Column {
        source: u32,
        column: ColumnId,
    },
    /// A parameter of the enclosing `fn`.
    Param(u32),
    Call {
        func: Func,
        args: Vec<Expr>,
    },
    Lookup {
        lookup: LookupId,
        key: Box<Expr>,
    },
    /// The key the map into `table` gives a row with these key inputs.
    Ref {
        table: TableId,
        args: Vec<Expr>,
    },
    Cast {
        expr: Box<Expr>,
        to: Type,
    },
    Case {
        subject: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    IsNull {
        operand: Box<Expr>,
        negated: bool,
    },
    Between {
        operand: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    In {
        operand: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    /// Stands for an expression that failed to resolve; already reported.
    Error,
}

pub use cutover_syntax::ast::{BinaryOp, CompareOp, Timing, UnaryOp};

/// A called function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    Builtin(Builtin),
    User(FnId),
}

/// `example "name" for map { … }`
#[derive(Clone, Debug)]
pub struct Example {
    pub name: String,
    pub map: MapId,
    /// Rows per source of the map (index into `Map::sources`).
    pub given: Vec<(u32, Vec<Row>)>,
    pub expect: Expectation,
    pub span: Span,
}

/// What an example expects.
#[derive(Clone, Debug)]
pub enum Expectation {
    Rows(Vec<Row>),
    Reject {
        rule: Option<String>,
        reason: String,
        span: Span,
    },
    /// No `expect` was written.
    Nothing,
}

/// A row of an example: column ids of the source or target table.
#[derive(Clone, Debug)]
pub struct Row {
    pub values: Vec<(ColumnId, Const, Span)>,
    pub span: Span,
}

/// `gate NAME before|after load { … }`
#[derive(Clone, Debug)]
pub struct Gate {
    pub name: String,
    pub timing: Timing,
    pub checks: Vec<Check>,
    pub span: Span,
}

/// A check of a gate.
#[derive(Clone, Debug)]
pub struct Check {
    pub kind: CheckKind,
    /// `warn`: reported, does not block.
    pub warn: bool,
    pub tolerance: Option<Tolerance>,
    pub span: Span,
}

/// Violations a check allows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tolerance {
    Percent(f64),
    Rows(u64),
}

/// The kinds of check.
#[derive(Clone, Debug)]
pub enum CheckKind {
    Unique {
        table: TableId,
        columns: Vec<ColumnId>,
    },
    NotNull {
        table: TableId,
        columns: Vec<ColumnId>,
    },
    /// `to: None` is `resolves`: through the column's declared reference.
    Fk {
        table: TableId,
        columns: Vec<ColumnId>,
        to: Option<(TableId, Vec<ColumnId>)>,
    },
    Checksum {
        source: TableId,
        target: TableId,
        columns: Vec<ColumnId>,
    },
    /// `map: None` samples every map.
    Sample {
        rows: u64,
        map: Option<MapId>,
    },
    /// `reconcile map [show N]`: at most `show` differing keys listed.
    Reconcile {
        map: MapId,
        show: u64,
    },
    AssertRows {
        table: TableId,
        predicate: Expr,
    },
    Metric(MetricCompare),
}

/// `sum op sum`
#[derive(Clone, Debug)]
pub struct MetricCompare {
    pub left: Vec<(bool, Metric)>,
    pub op: CompareOp,
    pub right: Vec<(bool, Metric)>,
}

/// A number a gate or trigger computes.
#[derive(Clone, Debug)]
pub enum Metric {
    Count {
        table: TableId,
        filter: Option<Expr>,
    },
    Rejected {
        table: TableId,
    },
    Constant(u64),
}

/// `rollback { … }`
#[derive(Clone, Debug)]
pub struct Rollback {
    pub triggers: Vec<Trigger>,
    pub strategy: Option<RollbackStrategy>,
    pub span: Span,
}

/// When the rollback runs.
#[derive(Clone, Debug)]
pub enum Trigger {
    GateFails {
        gate: GateId,
        span: Span,
    },
    Metric {
        left: Vec<(bool, Metric)>,
        op: CompareOp,
        right: Threshold,
        span: Span,
    },
}

/// The right side of a metric trigger.
#[derive(Clone, Debug)]
pub enum Threshold {
    /// Percent of the rows read from the metric's table.
    Percent(f64),
    Metric(Vec<(bool, Metric)>),
}

impl Threshold {
    /// The table whose row count a percentage is of: that of the first
    /// metric of the left side that names one.
    pub fn percent_base(left: &[(bool, Metric)]) -> Option<TableId> {
        left.iter().find_map(|(_, m)| match m {
            Metric::Rejected { table } | Metric::Count { table, .. } => Some(*table),
            Metric::Constant(_) => None,
        })
    }
}

/// How the target is returned to its pre-load state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RollbackStrategy {
    Truncate,
    DeleteBatch,
    RestoreSnapshot,
}

impl RollbackStrategy {
    pub const NAMES: [&'static str; 3] = ["truncate", "delete_batch", "restore_snapshot"];
}

/// `phase NAME "Title" duration …`
#[derive(Clone, Debug)]
pub struct Phase {
    pub name: String,
    pub title: String,
    pub minutes: f64,
    pub after: Vec<PhaseId>,
    pub owner: Option<String>,
    pub steps: Vec<Step>,
    pub span: Span,
}

/// A step of a phase.
#[derive(Clone, Debug)]
pub enum Step {
    /// `load` (every map) or `load MAP`.
    Load(Option<MapId>),
    Gate(GateId),
    Rollback,
    Manual(String),
}
