//! Schema evolution: every difference between two versions of a schema,
//! classified by what it does to the applications using it, with the SQL
//! that counts the rows a new constraint would reject (preflight), the SQL
//! that makes the change in two phases (expand, then contract) and the SQL
//! that undoes it (rollback). The scripts are PostgreSQL.
//!
//! Expand adds what the new version needs without taking anything from the
//! old one: tables, columns (nullable first), wider types, constraints
//! `NOT VALID` (enforced for new rows at once), indexes built concurrently.
//! Contract, once the applications run the new version, validates the
//! constraints against existing rows, sets `NOT NULL`, and removes what the
//! new version dropped. A dropped column or table is copied into the
//! `cutover_backup` schema first, so that rollback restores its data too.

use crate::model::{Column, ColumnType, Default, ForeignKey, Procedure, Schema, Table, View};
use crate::pgsql::{self, ident, literal};
use serde::Serialize;

/// What a change does to the applications that use the schema, from the
/// least to the most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Something new that nothing uses yet.
    Additive,
    /// Existing reads and writes behave as before.
    NonBreaking,
    /// Existing data or some writes may be rejected, or results change.
    PotentiallyBreaking,
    /// Existing reads or writes fail.
    Breaking,
}

impl Class {
    pub fn label(self) -> &'static str {
        match self {
            Class::Additive => "additive",
            Class::NonBreaking => "non-breaking",
            Class::PotentiallyBreaking => "potentially breaking",
            Class::Breaking => "breaking",
        }
    }
}

/// Where a statement goes: the stages of the forward scripts (expand, then
/// contract) and of the rollback script, in execution order. Statements of
/// all changes are gathered per stage, so a view is dropped before any
/// column under it changes and constraints come after the columns they
/// name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    DropViews,
    CreateTables,
    AddColumns,
    AlterColumns,
    AddConstraints,
    CreateViews,
    // Contract.
    Validate,
    DropConstraints,
    DropColumns,
    DropTables,
}

/// The stages of the rollback script.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Undo {
    DropViews,
    RestoreTables,
    RestoreColumns,
    DropAdded,
    AlterBack,
    RestoreConstraints,
    DropColumns,
    DropTables,
    CreateViews,
    Cleanup,
}

/// A statement and the stage it belongs to.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    #[serde(skip)]
    stage: StageKey,
    pub sql: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum StageKey {
    Forward(Stage),
    Rollback(Undo),
}

/// The query counting existing rows that a new constraint would reject.
#[derive(Clone, Debug, Serialize)]
pub struct Preflight {
    /// `true` when the query names a column the expand phase adds, so it
    /// can run only between expand and contract.
    pub after_expand: bool,
    pub sql: String,
}

/// One difference between the two schemas.
#[derive(Clone, Debug, Serialize)]
pub struct Change {
    pub class: Class,
    /// `users`, `users.email`, `view active_users`, …
    pub object: String,
    /// What changed, in a line.
    pub what: String,
    /// Why it has its class.
    pub impact: String,
    pub preflight: Option<Preflight>,
    pub forward: Vec<Step>,
    pub rollback: Vec<Step>,
}

/// The scripts, assembled from every change's statements in stage order.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Scripts {
    /// Run against the `before` schema: rows that would violate new
    /// constraints on existing columns. Each returns one count.
    pub preflight: Vec<String>,
    /// Run after expand, before contract: the same for constraints on new
    /// columns.
    pub preflight_contract: Vec<String>,
    pub expand: Vec<String>,
    pub contract: Vec<String>,
    pub rollback: Vec<String>,
}

/// The comparison of two schemas.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub before: Option<String>,
    pub after: Option<String>,
    pub changes: Vec<Change>,
    pub scripts: Scripts,
}

impl Report {
    /// The most severe class, if anything changed.
    pub fn overall(&self) -> Option<Class> {
        self.changes.iter().map(|c| c.class).max()
    }

    /// The seed checker's convention: 0 nothing that breaks, 1 potentially
    /// breaking, 2 breaking.
    pub fn exit_code(&self) -> i32 {
        match self.overall() {
            Some(Class::Breaking) => 2,
            Some(Class::PotentiallyBreaking) => 1,
            _ => 0,
        }
    }

    pub fn count(&self, class: Class) -> usize {
        self.changes.iter().filter(|c| c.class == class).count()
    }
}

/// One spelling of a check expression, so that a check compares equal to
/// itself however it was written or printed back by a catalog.
pub fn canonical_check(sql: &str) -> String {
    crate::sqltext::canonical_expr(sql)
}

fn canonical_view(sql: &str) -> String {
    crate::sqltext::canonical_query(sql)
}

const BACKUP_SCHEMA: &str = "cutover_backup";

/// Compares `before` with `after`.
pub fn compare(before: &Schema, after: &Schema) -> Report {
    let mut plan = Plan::default();
    let recreated_views = views_to_recreate(before, after);
    for t in &after.tables {
        match before.table(&t.name) {
            None => plan.table_added(t),
            Some(old) => plan.table_changed(old, t, after),
        }
    }
    for t in before
        .tables
        .iter()
        .filter(|t| after.table(&t.name).is_none())
    {
        plan.table_removed(t);
    }
    plan.on_update_function(before, after);
    plan.views(before, after, &recreated_views);
    plan.procedures(before, after);
    plan.finish(before, after)
}

#[derive(Default)]
struct Plan {
    changes: Vec<Change>,
    backups: bool,
}

/// Builds one change.
struct ChangeBuilder {
    change: Change,
}

impl ChangeBuilder {
    fn new(class: Class, object: String, what: String, impact: &str) -> ChangeBuilder {
        ChangeBuilder {
            change: Change {
                class,
                object,
                what,
                impact: impact.to_owned(),
                preflight: None,
                forward: Vec::new(),
                rollback: Vec::new(),
            },
        }
    }

    fn forward(mut self, stage: Stage, sql: impl Into<String>) -> Self {
        self.change.forward.push(Step {
            stage: StageKey::Forward(stage),
            sql: sql.into(),
        });
        self
    }

    fn rollback(mut self, stage: Undo, sql: impl Into<String>) -> Self {
        self.change.rollback.push(Step {
            stage: StageKey::Rollback(stage),
            sql: sql.into(),
        });
        self
    }

    fn preflight(mut self, sql: String, after_expand: bool) -> Self {
        self.change.preflight = Some(Preflight { after_expand, sql });
        self
    }
}

fn alter(table: &str) -> String {
    format!("ALTER TABLE {}", ident(table))
}

fn column_sql(table: &str, column: &str) -> String {
    format!("{}.{}", ident(table), ident(column))
}

/// Whether `sql` names any of `columns` (outside string literals).
fn mentions(sql: &str, columns: &[&str]) -> bool {
    words(sql).any(|w| columns.iter().any(|c| c.eq_ignore_ascii_case(&w)))
}

/// The identifiers of a SQL text, string literals skipped.
fn words(sql: &str) -> impl Iterator<Item = String> + '_ {
    let mut quoted = false;
    let mut cleaned = String::with_capacity(sql.len());
    for ch in sql.chars() {
        if ch == '\'' {
            quoted = !quoted;
            cleaned.push(' ');
        } else if quoted || !(ch.is_alphanumeric() || ch == '_') {
            cleaned.push(' ');
        } else {
            cleaned.push(ch);
        }
    }
    cleaned
        .split_whitespace()
        .map(str::to_owned)
        .collect::<Vec<_>>()
        .into_iter()
}

/// How a type change reads: widening keeps every value, narrowing may not.
enum TypeChange {
    Widening,
    Narrowing { violation: String },
    Other,
}

fn type_change(column: &str, old: &ColumnType, new: &ColumnType) -> TypeChange {
    let c = ident(column);
    let rank = |n: &str| match n {
        "smallint" => Some(1),
        "integer" => Some(2),
        "bigint" => Some(3),
        _ => None,
    };
    let limit = |n: &str| match n {
        "smallint" => Some(("-32768", "32767")),
        "integer" => Some(("-2147483648", "2147483647")),
        _ => None,
    };
    let text_like =
        |t: &ColumnType| t.name == "text" || (t.name == "varchar" && t.params.is_empty());
    match (old.name.as_str(), new.name.as_str()) {
        ("varchar", "varchar")
        | ("varchar", "text")
        | ("text", "varchar")
        | ("char", "varchar")
        | ("char", "text") => match new.params.first() {
            None => TypeChange::Widening,
            Some(&n) if !text_like(old) && old.params.first().is_some_and(|&o| o <= n) => {
                if old.name == "char" {
                    TypeChange::Other
                } else {
                    TypeChange::Widening
                }
            }
            Some(&n) => TypeChange::Narrowing {
                violation: format!("char_length({c}) > {n}"),
            },
        },
        (o, n) if rank(o).is_some() && rank(n).is_some() => {
            if rank(o) < rank(n) {
                TypeChange::Widening
            } else {
                match limit(n) {
                    Some((lo, hi)) => TypeChange::Narrowing {
                        violation: format!("{c} < {lo} OR {c} > {hi}"),
                    },
                    None => TypeChange::Other,
                }
            }
        }
        ("real", "double precision") => TypeChange::Widening,
        ("smallint" | "integer" | "bigint", "decimal") if new.params.is_empty() => {
            TypeChange::Widening
        }
        ("decimal", "decimal") => {
            let (op, os) = (
                old.params.first().copied(),
                old.params.get(1).copied().unwrap_or(0),
            );
            let (np, ns) = (
                new.params.first().copied(),
                new.params.get(1).copied().unwrap_or(0),
            );
            match (op, np) {
                (_, None) => TypeChange::Widening,
                (Some(op), Some(np))
                    if np.saturating_sub(ns) >= op.saturating_sub(os) && ns >= os =>
                {
                    TypeChange::Widening
                }
                (_, Some(np)) => TypeChange::Narrowing {
                    violation: format!(
                        "abs({c}) >= 1e{} OR {c} <> round({c}, {ns})",
                        np.saturating_sub(ns)
                    ),
                },
            }
        }
        _ => TypeChange::Other,
    }
}

impl Plan {
    fn push(&mut self, b: ChangeBuilder) {
        self.changes.push(b.change);
    }

    fn table_added(&mut self, t: &Table) {
        let mut b = ChangeBuilder::new(
            Class::Additive,
            t.name.clone(),
            format!("table `{}` added ({} columns)", t.name, t.columns.len()),
            "new; nothing reads or writes it yet",
        )
        .forward(Stage::CreateTables, pgsql::create_table(t));
        for fk in &t.foreign_keys {
            b = b
                .forward(Stage::AddConstraints, pgsql::add_foreign_key(t, fk, false))
                .rollback(
                    Undo::DropAdded,
                    format!(
                        "{} DROP CONSTRAINT {}",
                        alter(&t.name),
                        ident(&pgsql::foreign_key_name(t, fk))
                    ),
                );
        }
        for i in &t.indexes {
            // The table is new and empty: no need to build concurrently.
            b = b.forward(
                Stage::AddConstraints,
                pgsql::create_index(&t.name, i, false),
            );
        }
        for c in &t.columns {
            if c.comment.is_some() {
                b = b.forward(
                    Stage::AddConstraints,
                    pgsql::comment_on_column(&t.name, &c.name, c.comment.as_deref()),
                );
            }
            if c.on_update.is_some() {
                b = b.forward(
                    Stage::AddConstraints,
                    pgsql::create_on_update_trigger(&t.name, &c.name),
                );
            }
        }
        b = b.rollback(Undo::DropTables, format!("DROP TABLE {}", ident(&t.name)));
        self.push(b);
    }

    fn table_removed(&mut self, t: &Table) {
        self.backups = true;
        let backup = format!("{}.{}", ident(BACKUP_SCHEMA), ident(&t.name));
        let columns: Vec<String> = t.columns.iter().map(|c| ident(&c.name)).collect();
        let columns = columns.join(", ");
        let mut b = ChangeBuilder::new(
            Class::Breaking,
            t.name.clone(),
            format!("table `{}` removed", t.name),
            "every query on it fails",
        )
        .forward(
            Stage::DropTables,
            format!("CREATE SCHEMA IF NOT EXISTS {}", ident(BACKUP_SCHEMA)),
        )
        .forward(
            Stage::DropTables,
            format!("CREATE TABLE {backup} AS TABLE {}", ident(&t.name)),
        )
        .forward(Stage::DropTables, format!("DROP TABLE {}", ident(&t.name)))
        .rollback(Undo::RestoreTables, pgsql::create_table(t))
        .rollback(
            Undo::RestoreTables,
            format!(
                "INSERT INTO {} ({columns}) SELECT {columns} FROM {backup}",
                ident(&t.name)
            ),
        );
        for c in t.columns.iter().filter(|c| c.generated) {
            b = b.rollback(Undo::RestoreTables, restart_identity(&t.name, &c.name));
        }
        b = b.rollback(Undo::RestoreTables, format!("DROP TABLE {backup}"));
        for fk in &t.foreign_keys {
            b = b.rollback(
                Undo::RestoreConstraints,
                pgsql::add_foreign_key(t, fk, false),
            );
        }
        for i in &t.indexes {
            b = b.rollback(
                Undo::RestoreConstraints,
                pgsql::create_index(&t.name, i, false),
            );
        }
        for c in &t.columns {
            if c.comment.is_some() {
                b = b.rollback(
                    Undo::RestoreConstraints,
                    pgsql::comment_on_column(&t.name, &c.name, c.comment.as_deref()),
                );
            }
            if c.on_update.is_some() {
                b = b.rollback(
                    Undo::RestoreConstraints,
                    pgsql::create_on_update_trigger(&t.name, &c.name),
                );
            }
        }
        self.push(b);
    }

    fn table_changed(&mut self, old: &Table, new: &Table, after: &Schema) {
        let added: Vec<&str> = new
            .columns
            .iter()
            .filter(|c| old.column(&c.name).is_none())
            .map(|c| c.name.as_str())
            .collect();
        for c in &new.columns {
            match old.column(&c.name) {
                None => self.column_added(new, c),
                Some(o) => self.column_changed(new, o, c),
            }
        }
        for c in old.columns.iter().filter(|c| new.column(&c.name).is_none()) {
            self.column_removed(old, c, after);
        }
        self.primary_key(old, new);
        self.unique(old, new, &added);
        self.checks(old, new, &added);
        self.foreign_keys(old, new, &added);
        self.indexes(old, new, &added);
    }

    fn column_added(&mut self, t: &Table, c: &Column) {
        let object = format!("{}.{}", t.name, c.name);
        let needs_value = !c.nullable && c.default.is_none() && !c.generated;
        let mut b = if needs_value {
            ChangeBuilder::new(
                Class::Breaking,
                object,
                format!("column `{}` {} NOT NULL added without a default", c.name, c.ty),
                "inserts that omit it fail, and every existing row needs a value before NOT NULL holds",
            )
            // Run once the column exists and the backfill is done.
            .preflight(
                format!(
                    "SELECT count(*) AS violating FROM {} WHERE {} IS NULL",
                    ident(&t.name),
                    ident(&c.name)
                ),
                true,
            )
            .forward(
                Stage::AddColumns,
                format!(
                    "{} ADD COLUMN {}",
                    alter(&t.name),
                    pgsql::column_definition(&Column {
                        nullable: true,
                        ..c.clone()
                    })
                ),
            )
            .forward(
                Stage::Validate,
                format!(
                    "{} ALTER COLUMN {} SET NOT NULL",
                    alter(&t.name),
                    ident(&c.name)
                ),
            )
        } else {
            ChangeBuilder::new(
                Class::Additive,
                object,
                format!(
                    "column `{}` {}{} added",
                    c.name,
                    c.ty,
                    if c.nullable { "" } else { " NOT NULL" }
                ),
                if c.nullable {
                    "new and nullable; existing reads and writes are unaffected"
                } else {
                    "new, with a default for existing rows and inserts that omit it"
                },
            )
            .forward(
                Stage::AddColumns,
                format!(
                    "{} ADD COLUMN {}",
                    alter(&t.name),
                    pgsql::column_definition(c)
                ),
            )
        };
        if c.comment.is_some() {
            b = b.forward(
                Stage::AlterColumns,
                pgsql::comment_on_column(&t.name, &c.name, c.comment.as_deref()),
            );
        }
        if c.on_update.is_some() {
            b = b
                .forward(
                    Stage::AddConstraints,
                    pgsql::create_on_update_trigger(&t.name, &c.name),
                )
                .rollback(
                    Undo::DropAdded,
                    pgsql::drop_on_update_trigger(&t.name, &c.name),
                );
        }
        b = b.rollback(
            Undo::DropColumns,
            format!("{} DROP COLUMN {}", alter(&t.name), ident(&c.name)),
        );
        self.push(b);
    }

    fn column_removed(&mut self, t: &Table, c: &Column, after: &Schema) {
        self.backups = true;
        let backup = format!(
            "{}.{}",
            ident(BACKUP_SCHEMA),
            ident(&format!("{}__{}", t.name, c.name))
        );
        let restore_key = if t.primary_key.is_empty() || t.primary_key.contains(&c.name) {
            None
        } else {
            Some(&t.primary_key)
        };
        let mut b = ChangeBuilder::new(
            Class::Breaking,
            format!("{}.{}", t.name, c.name),
            format!("column `{}` removed", c.name),
            "queries and inserts naming it fail",
        );
        if let Some(key) = restore_key {
            let mut kept: Vec<String> = key.iter().map(|k| ident(k)).collect();
            kept.push(ident(&c.name));
            b = b
                .forward(
                    Stage::DropColumns,
                    format!("CREATE SCHEMA IF NOT EXISTS {}", ident(BACKUP_SCHEMA)),
                )
                .forward(
                    Stage::DropColumns,
                    format!(
                        "CREATE TABLE {backup} AS SELECT {} FROM {}",
                        kept.join(", "),
                        ident(&t.name)
                    ),
                );
        }
        b = b.forward(
            Stage::DropColumns,
            format!("{} DROP COLUMN {}", alter(&t.name), ident(&c.name)),
        );
        if let Some(v) = after.views.iter().find(|v| {
            mentions(&v.definition, &[c.name.as_str()])
                && mentions(&v.definition, &[t.name.as_str()])
        }) {
            b.change
                .impact
                .push_str(&format!("; view `{}` still names it", v.name));
        }
        // Rollback: the column back (nullable, no default, so restored values
        // are not overwritten), its values from the backup, then its rules.
        b = b.rollback(
            Undo::RestoreColumns,
            format!(
                "{} ADD COLUMN {}",
                alter(&t.name),
                pgsql::column_definition(&Column {
                    nullable: true,
                    default: None,
                    generated: false,
                    ..c.clone()
                })
            ),
        );
        if let Some(key) = restore_key {
            let join: Vec<String> = key
                .iter()
                .map(|k| format!("{} = b.{}", column_sql(&t.name, k), ident(k)))
                .collect();
            // User triggers (ON UPDATE) stay quiet: restoring a column is not
            // an update of the row.
            b = b
                .rollback(
                    Undo::RestoreColumns,
                    format!("{} DISABLE TRIGGER USER", alter(&t.name)),
                )
                .rollback(
                    Undo::RestoreColumns,
                    format!(
                        "UPDATE {} SET {} = b.{} FROM {backup} b WHERE {}",
                        ident(&t.name),
                        ident(&c.name),
                        ident(&c.name),
                        join.join(" AND ")
                    ),
                )
                .rollback(
                    Undo::RestoreColumns,
                    format!("{} ENABLE TRIGGER USER", alter(&t.name)),
                )
                .rollback(Undo::RestoreColumns, format!("DROP TABLE {backup}"));
        } else {
            b.change.impact.push_str(
                "; the table has no primary key to restore values by, so rollback restores the column empty",
            );
        }
        if c.generated {
            b = b.rollback(
                Undo::RestoreColumns,
                format!(
                    "{} ALTER COLUMN {} ADD GENERATED BY DEFAULT AS IDENTITY",
                    alter(&t.name),
                    ident(&c.name)
                ),
            );
            b = b.rollback(Undo::RestoreColumns, restart_identity(&t.name, &c.name));
        }
        if !c.nullable {
            b = b.rollback(
                Undo::RestoreColumns,
                format!(
                    "{} ALTER COLUMN {} SET NOT NULL",
                    alter(&t.name),
                    ident(&c.name)
                ),
            );
        }
        if let Some(d) = c.default.as_ref().filter(|_| !c.generated) {
            b = b.rollback(
                Undo::RestoreColumns,
                format!(
                    "{} ALTER COLUMN {} SET DEFAULT {}",
                    alter(&t.name),
                    ident(&c.name),
                    pgsql::default_sql(d)
                ),
            );
        }
        if c.comment.is_some() {
            b = b.rollback(
                Undo::RestoreColumns,
                pgsql::comment_on_column(&t.name, &c.name, c.comment.as_deref()),
            );
        }
        if c.on_update.is_some() {
            b = b
                .forward(
                    Stage::DropConstraints,
                    pgsql::drop_on_update_trigger(&t.name, &c.name),
                )
                .rollback(
                    Undo::RestoreConstraints,
                    pgsql::create_on_update_trigger(&t.name, &c.name),
                );
        }
        self.push(b);
    }

    fn column_changed(&mut self, t: &Table, old: &Column, new: &Column) {
        let object = format!("{}.{}", t.name, new.name);
        let col = ident(&new.name);
        if old.ty != new.ty {
            let using = format!(
                "{} ALTER COLUMN {col} TYPE {} USING {col}::{}",
                alter(&t.name),
                new.ty,
                new.ty
            );
            let back = format!(
                "{} ALTER COLUMN {col} TYPE {} USING {col}::{}",
                alter(&t.name),
                old.ty,
                old.ty
            );
            let what = format!("column `{}` type {} → {}", new.name, old.ty, new.ty);
            let b = match type_change(&new.name, &old.ty, &new.ty) {
                TypeChange::Widening => ChangeBuilder::new(
                    Class::NonBreaking,
                    object.clone(),
                    what,
                    "widened: every existing value fits",
                ),
                TypeChange::Narrowing { violation } => ChangeBuilder::new(
                    Class::PotentiallyBreaking,
                    object.clone(),
                    what,
                    "narrowed: existing values that do not fit make the change fail",
                )
                .preflight(
                    format!(
                        "SELECT count(*) AS violating FROM {} WHERE {violation}",
                        ident(&t.name)
                    ),
                    false,
                ),
                TypeChange::Other => ChangeBuilder::new(
                    Class::Breaking,
                    object.clone(),
                    what,
                    "a different type: reads, writes and comparisons change meaning",
                ),
            };
            self.push(
                b.forward(Stage::AlterColumns, using)
                    .rollback(Undo::AlterBack, back),
            );
        }
        if old.nullable && !new.nullable {
            let check = pgsql::not_null_check_name(&t.name, &new.name);
            self.push(
                ChangeBuilder::new(
                    Class::PotentiallyBreaking,
                    object.clone(),
                    format!("column `{}` becomes NOT NULL", new.name),
                    "existing NULLs make it fail; writes of NULL are rejected",
                )
                .preflight(
                    format!(
                        "SELECT count(*) AS violating FROM {} WHERE {col} IS NULL",
                        ident(&t.name)
                    ),
                    false,
                )
                // A validated CHECK lets SET NOT NULL skip its full scan
                // under a lock; the check is dropped once NOT NULL holds.
                .forward(
                    Stage::AddConstraints,
                    format!(
                        "{} ADD CONSTRAINT {} CHECK ({col} IS NOT NULL) NOT VALID",
                        alter(&t.name),
                        ident(&check)
                    ),
                )
                .forward(
                    Stage::Validate,
                    format!("{} VALIDATE CONSTRAINT {}", alter(&t.name), ident(&check)),
                )
                .forward(
                    Stage::Validate,
                    format!("{} ALTER COLUMN {col} SET NOT NULL", alter(&t.name)),
                )
                .forward(
                    Stage::Validate,
                    format!("{} DROP CONSTRAINT {}", alter(&t.name), ident(&check)),
                )
                .rollback(
                    Undo::DropAdded,
                    format!("{} ALTER COLUMN {col} DROP NOT NULL", alter(&t.name)),
                ),
            );
        } else if !old.nullable && new.nullable {
            self.push(
                ChangeBuilder::new(
                    Class::NonBreaking,
                    object.clone(),
                    format!("column `{}` becomes nullable", new.name),
                    "writes as before; readers must expect NULL",
                )
                .forward(
                    Stage::AlterColumns,
                    format!("{} ALTER COLUMN {col} DROP NOT NULL", alter(&t.name)),
                )
                .rollback(
                    Undo::RestoreConstraints,
                    format!("{} ALTER COLUMN {col} SET NOT NULL", alter(&t.name)),
                ),
            );
        }
        if old.generated != new.generated {
            let (class, what, impact) = if new.generated {
                (
                    Class::NonBreaking,
                    format!("column `{}` becomes generated (identity)", new.name),
                    "inserts may now omit it",
                )
            } else {
                (
                    Class::PotentiallyBreaking,
                    format!("column `{}` is no longer generated", new.name),
                    "inserts that omit it fail",
                )
            };
            let add = vec![
                format!("{} ALTER COLUMN {col} DROP DEFAULT", alter(&t.name)),
                format!(
                    "{} ALTER COLUMN {col} ADD GENERATED BY DEFAULT AS IDENTITY",
                    alter(&t.name)
                ),
                restart_identity(&t.name, &new.name),
            ];
            let drop = format!("{} ALTER COLUMN {col} DROP IDENTITY", alter(&t.name));
            let mut b = ChangeBuilder::new(class, object.clone(), what, impact);
            if new.generated {
                for s in add {
                    b = b.forward(Stage::AlterColumns, s);
                }
                b = b.rollback(Undo::AlterBack, drop);
            } else {
                b = b.forward(Stage::AlterColumns, drop);
                for s in add.into_iter().skip(1) {
                    b = b.rollback(Undo::AlterBack, s);
                }
            }
            self.push(b);
        }
        let (od, nd) = (
            old.default.as_ref().filter(|_| !old.generated),
            new.default.as_ref().filter(|_| !new.generated),
        );
        if !same_default(od, nd) {
            let set = |d: Option<&Default>| match d {
                Some(d) => format!(
                    "{} ALTER COLUMN {col} SET DEFAULT {}",
                    alter(&t.name),
                    pgsql::default_sql(d)
                ),
                None => format!("{} ALTER COLUMN {col} DROP DEFAULT", alter(&t.name)),
            };
            let show =
                |d: Option<&Default>| d.map_or_else(|| "none".to_owned(), pgsql::default_sql);
            let (class, impact) = if nd.is_none() && !new.nullable {
                (Class::PotentiallyBreaking, "inserts that omit it fail")
            } else {
                (Class::NonBreaking, "affects only inserts that omit it")
            };
            self.push(
                ChangeBuilder::new(
                    class,
                    object.clone(),
                    format!("column `{}` default {} → {}", new.name, show(od), show(nd)),
                    impact,
                )
                .forward(Stage::AlterColumns, set(nd))
                .rollback(Undo::AlterBack, set(od)),
            );
        }
        if old.on_update.is_some() != new.on_update.is_some() {
            let create = pgsql::create_on_update_trigger(&t.name, &new.name);
            let drop = pgsql::drop_on_update_trigger(&t.name, &new.name);
            let b = ChangeBuilder::new(
                Class::NonBreaking,
                object.clone(),
                format!(
                    "column `{}` {} ON UPDATE CURRENT_TIMESTAMP",
                    new.name,
                    if new.on_update.is_some() {
                        "gains"
                    } else {
                        "loses"
                    }
                ),
                "updates set the time by themselves, or must set it",
            );
            self.push(if new.on_update.is_some() {
                b.forward(Stage::AddConstraints, create)
                    .rollback(Undo::DropAdded, drop)
            } else {
                b.forward(Stage::DropConstraints, drop)
                    .rollback(Undo::RestoreConstraints, create)
            });
        }
        if old.comment != new.comment {
            self.push(
                ChangeBuilder::new(
                    Class::NonBreaking,
                    object,
                    format!("column `{}` comment changed", new.name),
                    "documentation only",
                )
                .forward(
                    Stage::AlterColumns,
                    pgsql::comment_on_column(&t.name, &new.name, new.comment.as_deref()),
                )
                .rollback(
                    Undo::AlterBack,
                    pgsql::comment_on_column(&t.name, &new.name, old.comment.as_deref()),
                ),
            );
        }
    }

    fn primary_key(&mut self, old: &Table, new: &Table) {
        if old.primary_key == new.primary_key {
            return;
        }
        let (name, old_name) = (
            ident(&pgsql::primary_key_name(new)),
            ident(&pgsql::primary_key_name(old)),
        );
        let add = |name: &str, key: &[String]| {
            format!(
                "{} ADD CONSTRAINT {name} PRIMARY KEY ({})",
                alter(&new.name),
                key.iter().map(|k| ident(k)).collect::<Vec<_>>().join(", ")
            )
        };
        let drop = |name: &str| format!("{} DROP CONSTRAINT {name}", alter(&new.name));
        let mut b = ChangeBuilder::new(
            Class::Breaking,
            new.name.clone(),
            format!(
                "primary key ({}) → ({})",
                old.primary_key.join(", "),
                new.primary_key.join(", ")
            ),
            "the identity of rows changes: upserts, joins and foreign keys on the old key break",
        );
        if !new.primary_key.is_empty() {
            b = b.preflight(duplicates(&new.name, &new.primary_key, true), false);
        }
        if !old.primary_key.is_empty() {
            b = b.forward(Stage::AddConstraints, drop(&old_name));
        }
        if !new.primary_key.is_empty() {
            b = b
                .forward(Stage::AddConstraints, add(&name, &new.primary_key))
                .rollback(Undo::DropAdded, drop(&name));
        }
        if !old.primary_key.is_empty() {
            b = b.rollback(Undo::RestoreConstraints, add(&old_name, &old.primary_key));
        }
        self.push(b);
    }

    fn unique(&mut self, old: &Table, new: &Table, added: &[&str]) {
        for u in new.unique.iter().filter(|u| !old.unique.contains(u)) {
            let name = pgsql::unique_name(new, u);
            let new_columns = u.iter().any(|c| added.contains(&c.as_str()));
            let cols = u.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
            self.push(
                ChangeBuilder::new(
                    Class::PotentiallyBreaking,
                    new.name.clone(),
                    format!("unique ({}) added", u.join(", ")),
                    "existing duplicates make it fail; duplicate writes are rejected",
                )
                .preflight(duplicates(&new.name, u, false), new_columns)
                // Built concurrently so writes go on, then attached.
                .forward(
                    Stage::AddConstraints,
                    format!(
                        "CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({cols})",
                        ident(&name),
                        ident(&new.name)
                    ),
                )
                .forward(
                    Stage::AddConstraints,
                    format!(
                        "{} ADD CONSTRAINT {} UNIQUE USING INDEX {}",
                        alter(&new.name),
                        ident(&name),
                        ident(&name)
                    ),
                )
                .rollback(
                    Undo::DropAdded,
                    format!("{} DROP CONSTRAINT {}", alter(&new.name), ident(&name)),
                ),
            );
        }
        for u in old.unique.iter().filter(|u| !new.unique.contains(u)) {
            let name = ident(&pgsql::unique_name(old, u));
            let cols = u.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
            self.push(
                ChangeBuilder::new(
                    Class::PotentiallyBreaking,
                    old.name.clone(),
                    format!("unique ({}) removed", u.join(", ")),
                    "duplicates become possible; `ON CONFLICT` on these columns fails",
                )
                .forward(
                    Stage::DropConstraints,
                    format!("{} DROP CONSTRAINT {name}", alter(&old.name)),
                )
                .rollback(
                    Undo::RestoreConstraints,
                    format!("{} ADD CONSTRAINT {name} UNIQUE ({cols})", alter(&old.name)),
                ),
            );
        }
    }

    fn checks(&mut self, old: &Table, new: &Table, added: &[&str]) {
        let has = |t: &Table, check: &str| {
            let canonical = canonical_check(check);
            t.checks.iter().any(|c| canonical_check(c) == canonical)
        };
        for check in new.checks.iter().filter(|c| !has(old, c)) {
            let name = ident(&pgsql::check_name(new, check));
            self.push(
                ChangeBuilder::new(
                    Class::PotentiallyBreaking,
                    new.name.clone(),
                    format!("check `{check}` added"),
                    "existing rows that violate it make it fail; such writes are rejected",
                )
                .preflight(
                    format!(
                        "SELECT count(*) AS violating FROM {} WHERE ({check}) IS FALSE",
                        ident(&new.name)
                    ),
                    mentions(check, added),
                )
                .forward(
                    Stage::AddConstraints,
                    format!(
                        "{} ADD CONSTRAINT {name} CHECK ({check}) NOT VALID",
                        alter(&new.name)
                    ),
                )
                .forward(
                    Stage::Validate,
                    format!("{} VALIDATE CONSTRAINT {name}", alter(&new.name)),
                )
                .rollback(
                    Undo::DropAdded,
                    format!("{} DROP CONSTRAINT {name}", alter(&new.name)),
                ),
            );
        }
        for check in old.checks.iter().filter(|c| !has(new, c)) {
            let name = ident(&pgsql::check_name(old, check));
            self.push(
                ChangeBuilder::new(
                    Class::NonBreaking,
                    old.name.clone(),
                    format!("check `{check}` removed"),
                    "writes it rejected are accepted",
                )
                .forward(
                    Stage::DropConstraints,
                    format!("{} DROP CONSTRAINT {name}", alter(&old.name)),
                )
                .rollback(
                    Undo::RestoreConstraints,
                    format!("{} ADD CONSTRAINT {name} CHECK ({check})", alter(&old.name)),
                ),
            );
        }
    }

    fn foreign_keys(&mut self, old: &Table, new: &Table, added: &[&str]) {
        let same_key = |a: &ForeignKey, b: &ForeignKey| {
            a.columns == b.columns && a.table == b.table && a.ref_columns == b.ref_columns
        };
        for fk in &new.foreign_keys {
            let name = ident(&pgsql::foreign_key_name(new, fk));
            let drop = format!("{} DROP CONSTRAINT {name}", alter(&new.name));
            match old.foreign_keys.iter().find(|o| same_key(o, fk)) {
                Some(o) if o.on_delete == fk.on_delete => {}
                Some(o) => self.push(
                    ChangeBuilder::new(
                        Class::PotentiallyBreaking,
                        new.name.clone(),
                        format!(
                            "foreign key ({}) ON DELETE {} → {}",
                            fk.columns.join(", "),
                            o.on_delete.as_deref().unwrap_or("NO ACTION"),
                            fk.on_delete.as_deref().unwrap_or("NO ACTION")
                        ),
                        "deleting a referenced row behaves differently",
                    )
                    .forward(Stage::AddConstraints, drop.clone())
                    .forward(
                        Stage::AddConstraints,
                        pgsql::add_foreign_key(new, fk, false),
                    )
                    .rollback(Undo::AlterBack, drop)
                    .rollback(Undo::AlterBack, pgsql::add_foreign_key(new, o, false)),
                ),
                None => {
                    let orphan = fk
                        .columns
                        .iter()
                        .zip(&fk.ref_columns)
                        .map(|(c, r)| format!("p.{} = c.{}", ident(r), ident(c)))
                        .collect::<Vec<_>>()
                        .join(" AND ");
                    let present = fk
                        .columns
                        .iter()
                        .map(|c| format!("c.{} IS NOT NULL", ident(c)))
                        .collect::<Vec<_>>()
                        .join(" AND ");
                    let names: Vec<&str> = fk.columns.iter().map(String::as_str).collect();
                    self.push(
                        ChangeBuilder::new(
                            Class::PotentiallyBreaking,
                            new.name.clone(),
                            format!(
                                "foreign key ({}) → {}({}) added",
                                fk.columns.join(", "),
                                fk.table,
                                fk.ref_columns.join(", ")
                            ),
                            "existing orphans make it fail; writes of unknown references are rejected",
                        )
                        .preflight(
                            format!(
                                "SELECT count(*) AS violating FROM {} c WHERE {present} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {orphan})",
                                ident(&new.name),
                                ident(&fk.table)
                            ),
                            names.iter().any(|n| added.contains(n)),
                        )
                        .forward(Stage::AddConstraints, pgsql::add_foreign_key(new, fk, true))
                        .forward(
                            Stage::Validate,
                            format!("{} VALIDATE CONSTRAINT {name}", alter(&new.name)),
                        )
                        .rollback(Undo::DropAdded, drop),
                    );
                }
            }
        }
        for fk in old
            .foreign_keys
            .iter()
            .filter(|o| !new.foreign_keys.iter().any(|n| same_key(o, n)))
        {
            let name = ident(&pgsql::foreign_key_name(old, fk));
            self.push(
                ChangeBuilder::new(
                    Class::NonBreaking,
                    old.name.clone(),
                    format!(
                        "foreign key ({}) → {}({}) removed",
                        fk.columns.join(", "),
                        fk.table,
                        fk.ref_columns.join(", ")
                    ),
                    "references are no longer checked",
                )
                .forward(
                    Stage::DropConstraints,
                    format!("{} DROP CONSTRAINT {name}", alter(&old.name)),
                )
                .rollback(
                    Undo::RestoreConstraints,
                    pgsql::add_foreign_key(old, fk, false),
                ),
            );
        }
    }

    fn indexes(&mut self, old: &Table, new: &Table, added: &[&str]) {
        for i in &new.indexes {
            let previous = old.indexes.iter().find(|o| o.name == i.name);
            if previous == Some(i) {
                continue;
            }
            let (class, impact) = if i.unique && !previous.is_some_and(|p| p.unique) {
                (
                    Class::PotentiallyBreaking,
                    "unique: existing duplicates make it fail; duplicate writes are rejected",
                )
            } else if previous.is_some() {
                (Class::NonBreaking, "performance only")
            } else {
                (Class::Additive, "performance only")
            };
            let what = match previous {
                Some(p) => format!(
                    "index `{}` ({}) → ({}){}",
                    i.name,
                    p.columns.join(", "),
                    i.columns.join(", "),
                    if i.unique { " unique" } else { "" }
                ),
                None => format!(
                    "{}index `{}` ({}) added",
                    if i.unique { "unique " } else { "" },
                    i.name,
                    i.columns.join(", ")
                ),
            };
            let mut b = ChangeBuilder::new(class, new.name.clone(), what, impact);
            if i.unique {
                let names: Vec<&str> = i.columns.iter().map(String::as_str).collect();
                b = b.preflight(
                    duplicates(&new.name, &i.columns, false),
                    names.iter().any(|n| added.contains(n)),
                );
            }
            if let Some(p) = previous {
                b = b
                    .forward(Stage::AddConstraints, pgsql::drop_index(p, true))
                    .rollback(Undo::AlterBack, pgsql::drop_index(i, true))
                    .rollback(Undo::AlterBack, pgsql::create_index(&old.name, p, true));
            } else {
                b = b.rollback(Undo::DropAdded, pgsql::drop_index(i, true));
            }
            self.push(b.forward(
                Stage::AddConstraints,
                pgsql::create_index(&new.name, i, true),
            ));
        }
        for i in old
            .indexes
            .iter()
            .filter(|o| !new.indexes.iter().any(|n| n.name == o.name))
        {
            self.push(
                ChangeBuilder::new(
                    Class::NonBreaking,
                    old.name.clone(),
                    format!("index `{}` ({}) removed", i.name, i.columns.join(", ")),
                    if i.unique {
                        "duplicates become possible; queries may be slower"
                    } else {
                        "queries may be slower"
                    },
                )
                .forward(Stage::DropConstraints, pgsql::drop_index(i, true))
                .rollback(
                    Undo::RestoreConstraints,
                    pgsql::create_index(&old.name, i, true),
                ),
            );
        }
    }

    /// The trigger function behind `ON UPDATE` exists while some column
    /// needs it.
    fn on_update_function(&mut self, before: &Schema, after: &Schema) {
        let uses = |s: &Schema| {
            s.tables
                .iter()
                .any(|t| t.columns.iter().any(|c| c.on_update.is_some()))
        };
        let (was, is) = (uses(before), uses(after));
        if was == is {
            return;
        }
        let b = ChangeBuilder::new(
            Class::NonBreaking,
            "cutover_set_now()".to_owned(),
            format!(
                "trigger function for ON UPDATE CURRENT_TIMESTAMP {}",
                if is { "added" } else { "removed" }
            ),
            "serves the ON UPDATE columns' triggers",
        );
        self.push(if is {
            b.forward(Stage::AlterColumns, pgsql::SET_NOW_FUNCTION)
                .rollback(Undo::Cleanup, pgsql::DROP_SET_NOW_FUNCTION)
        } else {
            b.forward(Stage::DropTables, pgsql::DROP_SET_NOW_FUNCTION)
                .rollback(Undo::RestoreTables, pgsql::SET_NOW_FUNCTION)
        });
    }

    fn views(&mut self, before: &Schema, after: &Schema, recreated: &[String]) {
        for v in &after.views {
            match before.views.iter().find(|o| o.name == v.name) {
                None => self.push(
                    ChangeBuilder::new(
                        Class::Additive,
                        format!("view {}", v.name),
                        format!("view `{}` added", v.name),
                        "new; nothing reads it yet",
                    )
                    .forward(Stage::CreateViews, pgsql::create_view(v))
                    .rollback(Undo::DropViews, pgsql::drop_view(v)),
                ),
                Some(o) if same_view(o, v) => {
                    if recreated.contains(&v.name) {
                        self.push(
                            ChangeBuilder::new(
                                Class::NonBreaking,
                                format!("view {}", v.name),
                                format!("view `{}` recreated around changes to its tables", v.name),
                                "PostgreSQL refuses to change a column's type under a view",
                            )
                            .forward(Stage::DropViews, pgsql::drop_view(o))
                            .forward(Stage::CreateViews, pgsql::create_view(v))
                            .rollback(Undo::DropViews, pgsql::drop_view(v))
                            .rollback(Undo::CreateViews, pgsql::create_view(o)),
                        );
                    }
                }
                Some(o) => {
                    let appended =
                        v.columns.len() > o.columns.len() && v.columns.starts_with(&o.columns);
                    let (class, impact) = if appended {
                        (
                            Class::NonBreaking,
                            "columns appended; existing ones unchanged",
                        )
                    } else if v.columns == o.columns {
                        (
                            Class::PotentiallyBreaking,
                            "same columns, different query: rows may differ",
                        )
                    } else {
                        (Class::Breaking, "columns removed, renamed or reordered")
                    };
                    let mut what = format!("view `{}` changed", v.name);
                    if appended {
                        what.push_str(&format!(
                            " (columns added: {})",
                            v.columns[o.columns.len()..].join(", ")
                        ));
                    }
                    self.push(
                        ChangeBuilder::new(class, format!("view {}", v.name), what, impact)
                            .forward(Stage::DropViews, pgsql::drop_view(o))
                            .forward(Stage::CreateViews, pgsql::create_view(v))
                            .rollback(Undo::DropViews, pgsql::drop_view(v))
                            .rollback(Undo::CreateViews, pgsql::create_view(o)),
                    );
                }
            }
        }
        for o in before
            .views
            .iter()
            .filter(|o| !after.views.iter().any(|v| v.name == o.name))
        {
            self.push(
                ChangeBuilder::new(
                    Class::Breaking,
                    format!("view {}", o.name),
                    format!("view `{}` removed", o.name),
                    "every query on it fails",
                )
                .forward(Stage::DropViews, pgsql::drop_view(o))
                .rollback(Undo::CreateViews, pgsql::create_view(o)),
            );
        }
    }

    fn procedures(&mut self, before: &Schema, after: &Schema) {
        for p in &after.procedures {
            match before.procedures.iter().find(|o| o.name == p.name) {
                None => self.push(
                    ChangeBuilder::new(
                        Class::Additive,
                        format!("procedure {}", p.name),
                        format!("procedure `{}` added", p.name),
                        "new; nothing calls it yet",
                    )
                    .forward(Stage::CreateViews, pgsql::create_procedure(p))
                    .rollback(Undo::DropViews, pgsql::drop_procedure(p)),
                ),
                Some(o) if same_procedure(o, p) => {}
                Some(o) => {
                    let (class, impact) = if same_parameters(o, p) {
                        (Class::PotentiallyBreaking, "same signature, different body")
                    } else {
                        (Class::Breaking, "calls with the old parameters fail")
                    };
                    self.push(
                        ChangeBuilder::new(
                            class,
                            format!("procedure {}", p.name),
                            format!("procedure `{}` changed", p.name),
                            impact,
                        )
                        .forward(Stage::DropViews, pgsql::drop_procedure(o))
                        .forward(Stage::CreateViews, pgsql::create_procedure(p))
                        .rollback(Undo::DropViews, pgsql::drop_procedure(p))
                        .rollback(Undo::CreateViews, pgsql::create_procedure(o)),
                    );
                }
            }
        }
        for o in before
            .procedures
            .iter()
            .filter(|o| !after.procedures.iter().any(|p| p.name == o.name))
        {
            self.push(
                ChangeBuilder::new(
                    Class::Breaking,
                    format!("procedure {}", o.name),
                    format!("procedure `{}` removed", o.name),
                    "every call fails",
                )
                .forward(Stage::DropTables, pgsql::drop_procedure(o))
                .rollback(Undo::CreateViews, pgsql::create_procedure(o)),
            );
        }
    }

    fn finish(self, before: &Schema, after: &Schema) -> Report {
        let mut scripts = Scripts::default();
        let mut forward: Vec<&Step> = self.changes.iter().flat_map(|c| &c.forward).collect();
        let mut rollback: Vec<&Step> = self.changes.iter().flat_map(|c| &c.rollback).collect();
        forward.sort_by_key(|s| s.stage);
        rollback.sort_by_key(|s| s.stage);
        let mut seen = std::collections::HashSet::new();
        for step in forward {
            // A view recreated for two changes is dropped and created once.
            if !seen.insert(step.sql.clone()) {
                continue;
            }
            match step.stage {
                StageKey::Forward(s) if s >= Stage::Validate => {
                    scripts.contract.push(step.sql.clone());
                }
                _ => scripts.expand.push(step.sql.clone()),
            }
        }
        seen.clear();
        for step in rollback {
            if seen.insert(step.sql.clone()) {
                scripts.rollback.push(step.sql.clone());
            }
        }
        if self.backups {
            scripts
                .rollback
                .push(format!("DROP SCHEMA IF EXISTS {}", ident(BACKUP_SCHEMA)));
        }
        for change in &self.changes {
            if let Some(p) = &change.preflight {
                let labelled = format!(
                    "SELECT {} AS change, ({}) AS violating",
                    literal(&format!("{}: {}", change.object, change.what)),
                    p.sql
                );
                if p.after_expand {
                    scripts.preflight_contract.push(labelled);
                } else {
                    scripts.preflight.push(labelled);
                }
            }
        }
        Report {
            before: before.name.clone(),
            after: after.name.clone(),
            changes: self.changes,
            scripts,
        }
    }
}

/// The query counting rows in groups that share a value of `columns`
/// (rows with a NULL in them never collide, as in SQL), and for a primary
/// key also the rows with NULLs.
fn duplicates(table: &str, columns: &[String], key: bool) -> String {
    let cols = columns
        .iter()
        .map(|c| ident(c))
        .collect::<Vec<_>>()
        .join(", ");
    let present = columns
        .iter()
        .map(|c| format!("{} IS NOT NULL", ident(c)))
        .collect::<Vec<_>>()
        .join(" AND ");
    let dup = format!(
        "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {} WHERE {present} GROUP BY {cols} HAVING count(*) > 1) d",
        ident(table)
    );
    if key {
        format!(
            "SELECT ({dup}) + (SELECT count(*) FROM {} WHERE NOT ({present})) AS violating",
            ident(table)
        )
    } else {
        format!("SELECT ({dup}) AS violating")
    }
}

/// Sets an identity column's sequence past the largest value, so that
/// restored or existing rows are not collided with.
fn restart_identity(table: &str, column: &str) -> String {
    format!(
        "SELECT setval(pg_get_serial_sequence({}, {}), coalesce(max({}), 0) + 1, false) FROM {}",
        literal(&ident(table)),
        literal(column),
        ident(column),
        ident(table)
    )
}

fn same_default(a: Option<&Default>, b: Option<&Default>) -> bool {
    match (a, b) {
        (Some(Default::Sql(x)), Some(Default::Sql(y))) => canonical_check(x) == canonical_check(y),
        // Catalogs print numbers and booleans their own way.
        (Some(Default::Number(x)), Some(Default::Text(y)))
        | (Some(Default::Text(y)), Some(Default::Number(x))) => x == y,
        (a, b) => a == b,
    }
}

fn same_view(a: &View, b: &View) -> bool {
    a.columns == b.columns && canonical_view(&a.definition) == canonical_view(&b.definition)
}

fn same_parameters(a: &Procedure, b: &Procedure) -> bool {
    let norm = |p: &Procedure| -> Vec<String> {
        p.parameters
            .iter()
            .map(|s| {
                s.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_ascii_lowercase()
            })
            .collect()
    };
    norm(a) == norm(b)
}

fn same_procedure(a: &Procedure, b: &Procedure) -> bool {
    let body = |p: &Procedure| {
        p.definition
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    same_parameters(a, b) && body(a) == body(b)
}

/// Views that stay the same but must be dropped and created again because
/// a column under them changes type or goes away (PostgreSQL refuses
/// both while the view exists).
fn views_to_recreate(before: &Schema, after: &Schema) -> Vec<String> {
    let mut touched: Vec<&str> = Vec::new();
    for old in &before.tables {
        let Some(new) = after.table(&old.name) else {
            continue;
        };
        let altered = old.columns.iter().any(|c| match new.column(&c.name) {
            None => true,
            Some(n) => n.ty != c.ty,
        });
        if altered {
            touched.push(&old.name);
        }
    }
    before
        .views
        .iter()
        .filter(|v| mentions(&v.definition, &touched))
        .map(|v| v.name.clone())
        .collect()
}
