//! The abstract syntax tree: one type per grammar construct, every node with
//! its span. Nothing after the syntax crate sees a pest `Pair`; this is what
//! the resolver reads. Order of items is kept as written (the formatter and
//! the runbook follow the author's order).

use cutover_diagnostics::Span;

/// A parsed spec.
#[derive(Clone, Debug, PartialEq)]
pub struct Ast {
    pub items: Vec<Item>,
}

/// A top-level declaration.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Migration(Migration),
    System(System),
    Lookup(Lookup),
    Fn(FnDef),
    Map(Map),
    Example(Example),
    Gate(Gate),
    Rollback(Rollback),
    Phase(Phase),
    DropTable(DropTable),
}

/// A name as written; backtick quotes removed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal with escapes processed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Str {
    pub value: String,
    pub span: Span,
}

/// `migration "Title" { attributes }`
#[derive(Clone, Debug, PartialEq)]
pub struct Migration {
    pub title: Str,
    pub attributes: Vec<Attribute>,
    pub span: Span,
}

/// `name value, value`
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    pub name: Ident,
    pub values: Vec<AttrValue>,
    pub span: Span,
}

/// A value of a header attribute.
#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue {
    Str(Str),
    Ident(Ident),
    Number(Number),
    Duration(Duration),
    Percent(Percent),
    /// Rows per second.
    Rate {
        per_second: f64,
        text: String,
        span: Span,
    },
}

/// A number as written, `_` removed: `1500000`, `12.50`, `-3`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Number {
    pub text: String,
    pub span: Span,
}

/// A duration, in minutes (`3d` = 4320).
#[derive(Clone, Debug, PartialEq)]
pub struct Duration {
    pub minutes: f64,
    pub text: String,
    pub span: Span,
}

/// A percentage: `0.5%` has `value` 0.5.
#[derive(Clone, Debug, PartialEq)]
pub struct Percent {
    pub value: f64,
    pub text: String,
    pub span: Span,
}

/// `source` or `target`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Source,
    Target,
}

/// `source NAME: dialect { tables }`
#[derive(Clone, Debug, PartialEq)]
pub struct System {
    pub role: Role,
    pub name: Ident,
    pub dialect: Ident,
    pub tables: Vec<Table>,
    pub span: Span,
}

/// `table NAME { items }`
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub name: Ident,
    pub items: Vec<TableItem>,
    pub span: Span,
}

/// A member of a table.
#[derive(Clone, Debug, PartialEq)]
pub enum TableItem {
    Column(Column),
    PrimaryKey {
        columns: Vec<Ident>,
        span: Span,
    },
    Unique {
        columns: Vec<Ident>,
        span: Span,
    },
    Check {
        expr: Expr,
        span: Span,
    },
    ForeignKey {
        columns: Vec<Ident>,
        table: Ident,
        ref_columns: Vec<Ident>,
        span: Span,
    },
    Rows {
        count: u64,
        span: Span,
    },
}

/// `name type constraints`
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: Ident,
    pub ty: TypeExpr,
    pub constraints: Vec<ColumnConstraint>,
    pub span: Span,
}

/// A column constraint.
#[derive(Clone, Debug, PartialEq)]
pub enum ColumnConstraint {
    PrimaryKey(Span),
    NotNull(Span),
    Null(Span),
    Unique(Span),
    References {
        table: Ident,
        column: Ident,
        span: Span,
    },
    Check(Expr),
    Default(Expr),
    Pii(Span),
}

/// `varchar(200)`; `nullable` is the `?` of fn signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeExpr {
    pub name: Ident,
    pub params: Vec<(u32, Span)>,
    pub nullable: bool,
    pub span: Span,
}

/// A constant in a lookup or an example row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

/// What a constant is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueKind {
    Str(String),
    /// Normalised number text: `-12.5`, `1500000`.
    Number(String),
    Bool(bool),
    Null,
}

/// `lookup NAME { entries }`
#[derive(Clone, Debug, PartialEq)]
pub struct Lookup {
    pub name: Ident,
    pub entries: Vec<LookupEntry>,
    pub span: Span,
}

/// An entry of a lookup.
#[derive(Clone, Debug, PartialEq)]
pub enum LookupEntry {
    Pair {
        keys: Vec<Value>,
        value: Value,
        span: Span,
    },
    Else {
        value: Value,
        span: Span,
    },
}

/// `fn NAME(params) -> type = body`
#[derive(Clone, Debug, PartialEq)]
pub struct FnDef {
    pub name: Ident,
    pub params: Vec<Param>,
    pub ret: TypeExpr,
    pub body: Expr,
    pub span: Span,
}

/// `name: type`
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
    pub span: Span,
}

/// `system.table`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TableRef {
    pub system: Ident,
    pub table: Ident,
    pub span: Span,
}

/// `map [name:] from [joins] -> target { items }`
#[derive(Clone, Debug, PartialEq)]
pub struct Map {
    pub name: Option<Ident>,
    pub source: TableRef,
    pub alias: Option<Ident>,
    pub joins: Vec<Join>,
    pub target: TableRef,
    pub items: Vec<MapItem>,
    pub span: Span,
}

/// `[left] join table [alias] on expr`
#[derive(Clone, Debug, PartialEq)]
pub struct Join {
    pub left: bool,
    pub table: TableRef,
    pub alias: Option<Ident>,
    pub on: Expr,
    pub span: Span,
}

/// A member of a map body.
#[derive(Clone, Debug, PartialEq)]
pub enum MapItem {
    Where {
        expr: Expr,
        span: Span,
    },
    GroupBy {
        exprs: Vec<Expr>,
        span: Span,
    },
    /// `batch N by column`
    Batch {
        size: u64,
        column: Ident,
        span: Span,
    },
    Incremental(Incremental),
    Rule(Rule),
    Assign(Assignment),
    Drop(DropColumns),
}

/// `incremental by column [skew D] [deletes when expr | deletes missing]`
#[derive(Clone, Debug, PartialEq)]
pub struct Incremental {
    pub column: Ident,
    pub skew: Option<Duration>,
    pub deletes: Option<Deletes>,
    pub span: Span,
}

/// How a sync learns that a source row was deleted.
#[derive(Clone, Debug, PartialEq)]
pub enum Deletes {
    /// `deletes when expr`: a soft-delete flag.
    When(Expr),
    /// `deletes missing`: a key no longer in the source.
    Missing(Span),
}

/// `rule ID "title" item` or `rule ID "title" { items }`
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub id: Ident,
    pub title: Str,
    /// Only `Assign` and `Drop`.
    pub items: Vec<MapItem>,
    pub block: bool,
    pub span: Span,
}

/// `[key] column = expr [else …] [allow pii "…"]`
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub key: bool,
    pub target: Ident,
    pub expr: Expr,
    pub on_failure: Option<OnFailure>,
    pub allow_pii: Option<Str>,
    pub span: Span,
}

/// What happens when an assignment's expression fails.
#[derive(Clone, Debug, PartialEq)]
pub enum OnFailure {
    Reject { reason: Str, span: Span },
    Default { expr: Expr, span: Span },
}

/// `drop a, o.b because "reason"`
#[derive(Clone, Debug, PartialEq)]
pub struct DropColumns {
    /// `[column]` or `[table or alias, column]`.
    pub columns: Vec<Vec<Ident>>,
    pub reason: Str,
    pub span: Span,
}

/// `drop table s.t, … because "reason"`
#[derive(Clone, Debug, PartialEq)]
pub struct DropTable {
    pub tables: Vec<TableRef>,
    pub reason: Str,
    pub span: Span,
}

/// A map named by its tables or its name.
#[derive(Clone, Debug, PartialEq)]
pub enum MapRef {
    Tables {
        source: TableRef,
        target: TableRef,
        span: Span,
    },
    Name(Ident),
}

impl MapRef {
    pub fn span(&self) -> Span {
        match self {
            MapRef::Tables { span, .. } => *span,
            MapRef::Name(i) => i.span,
        }
    }
}

/// `example "name" for map { items }`
#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    pub name: Str,
    pub map: MapRef,
    pub items: Vec<ExampleItem>,
    pub span: Span,
}

/// A member of an example.
#[derive(Clone, Debug, PartialEq)]
pub enum ExampleItem {
    /// `table` is a source table (`sys.table`), a table name or an alias.
    Given {
        table: Vec<Ident>,
        rows: Vec<Row>,
        span: Span,
    },
    Expect {
        rows: Vec<Row>,
        span: Span,
    },
    ExpectReject {
        rule: Option<Ident>,
        reason: Str,
        span: Span,
    },
}

/// `{ column: value, … }`
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub fields: Vec<(Ident, Value)>,
    pub span: Span,
}

/// `gate NAME before|after load { checks }`
#[derive(Clone, Debug, PartialEq)]
pub struct Gate {
    pub name: Ident,
    pub timing: Timing,
    pub timing_span: Span,
    pub checks: Vec<GateCheck>,
    pub span: Span,
}

/// When a gate runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timing {
    BeforeLoad,
    AfterLoad,
}

/// A check with its options.
#[derive(Clone, Debug, PartialEq)]
pub struct GateCheck {
    pub kind: CheckKind,
    pub warn: Option<(bool, Span)>,
    pub tolerance: Option<Tolerance>,
    pub span: Span,
}

/// Violations a check allows before it fails.
#[derive(Clone, Debug, PartialEq)]
pub enum Tolerance {
    Percent(Percent),
    Rows { count: u64, span: Span },
}

/// The kinds of check.
#[derive(Clone, Debug, PartialEq)]
pub enum CheckKind {
    Unique(ColumnSet),
    NotNull(ColumnSet),
    /// `to: None` is `resolves`: through the column's declared reference.
    Fk {
        column: ColumnSet,
        to: Option<ColumnSet>,
    },
    Checksum {
        source: TableRef,
        target: TableRef,
        columns: Vec<Ident>,
    },
    Sample {
        rows: u64,
        map: Option<MapRef>,
    },
    /// `reconcile map [show N]`
    Reconcile {
        map: MapRef,
        show: Option<u64>,
    },
    AssertRows {
        table: TableRef,
        predicate: Expr,
    },
    AssertMetric(MetricCompare),
    Count(MetricCompare),
}

/// Columns of one table.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnSet {
    pub table: TableRef,
    pub columns: Vec<Ident>,
    pub span: Span,
}

/// `sum op sum`
#[derive(Clone, Debug, PartialEq)]
pub struct MetricCompare {
    pub left: MetricSum,
    pub op: CompareOp,
    pub right: MetricSum,
    pub span: Span,
}

/// Comparison operators of gates and triggers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// `metric (+|- metric)*`; the first term is always added.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSum {
    pub terms: Vec<(bool, Metric)>,
    pub span: Span,
}

/// A number a gate computes.
#[derive(Clone, Debug, PartialEq)]
pub enum Metric {
    Count {
        table: TableRef,
        filter: Option<Expr>,
        span: Span,
    },
    Rejected {
        table: TableRef,
        span: Span,
    },
    Constant {
        value: u64,
        span: Span,
    },
}

/// `rollback { items }`
#[derive(Clone, Debug, PartialEq)]
pub struct Rollback {
    pub items: Vec<RollbackItem>,
    pub span: Span,
}

/// A member of a rollback section.
#[derive(Clone, Debug, PartialEq)]
pub enum RollbackItem {
    GateFails {
        gate: Ident,
        span: Span,
    },
    Metric {
        left: MetricSum,
        op: CompareOp,
        right: Threshold,
        span: Span,
    },
    Strategy(Ident),
}

/// The right side of a metric trigger.
#[derive(Clone, Debug, PartialEq)]
pub enum Threshold {
    Percent(Percent),
    Metric(MetricSum),
}

/// `phase NAME "Title" duration [after …] [owner "…"] [{ steps }]`
#[derive(Clone, Debug, PartialEq)]
pub struct Phase {
    pub name: Ident,
    pub title: Str,
    pub duration: Duration,
    pub after: Vec<Ident>,
    pub owner: Option<Str>,
    pub steps: Vec<Step>,
    pub span: Span,
}

/// A step of a phase.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Load { map: Option<MapRef>, span: Span },
    Gate(Ident),
    Rollback(Span),
    Manual(Str),
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// The forms of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// `col`, `alias.col`, `sys.table.col`
    Path(Vec<Ident>),
    Call {
        name: Ident,
        args: Vec<Expr>,
    },
    Index {
        lookup: Ident,
        key: Box<Expr>,
    },
    Ref {
        table: Vec<Ident>,
        args: Vec<Expr>,
    },
    Cast {
        expr: Box<Expr>,
        ty: TypeExpr,
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
}

/// A literal in an expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    Str(String),
    Integer(i64),
    /// Decimal digits as written, `_` removed: `12.50`.
    Decimal(String),
    Bool(bool),
    Null,
}

/// Prefix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Not,
    Neg,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
    Concat,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Like => "like",
            BinaryOp::Concat => "++",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }
}

impl CompareOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}
