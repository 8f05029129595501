//! DDL scripts read into the model: what a person writes, or what
//! `pg_dump --schema-only` and SQLite's `.schema` print.
//!
//! Decisions the model does not dictate:
//!
//! - `generated` is set by identity columns (`GENERATED … AS IDENTITY`, also
//!   added later by `ALTER TABLE … ADD GENERATED`, as pg_dump writes it),
//!   serial types, a `nextval(…)` default (serial as pg_dump writes it; the
//!   default is then not kept), computed columns (`GENERATED ALWAYS AS
//!   (…)`), SQLite's `AUTOINCREMENT`, and SQLite's `INTEGER PRIMARY KEY`
//!   outside `WITHOUT ROWID` tables: that column is the rowid, which SQLite
//!   fills when an insert leaves it out, so it is filled by the database as
//!   much as MySQL's auto_increment.
//! - An index on expressions is skipped when it is not unique (it only
//!   speeds queries up); a unique one, or a unique partial index, is an
//!   error, since the model would either lose a constraint or state a wider
//!   one. A non-unique partial index is kept on its columns.
//! - Functions and procedures are kept when their language is `sql` and
//!   their body a string (`AS $$ … $$`); those in other languages
//!   (`plpgsql`, trigger functions) are skipped: their bodies are not SQL a
//!   reader of the model could use.
//! - Statements that change no schema object the model holds are ignored:
//!   `SET`, `SELECT`, transactions, `GRANT`/`REVOKE`, schemas, extensions,
//!   sequences, triggers, `… OWNER TO`, comments on anything but columns,
//!   SQLite's `PRAGMA`. Other statements the reader does not know (types,
//!   domains, rules, `ALTER TABLE … RENAME`) are errors naming the statement.
//! - A partition (`CREATE TABLE … PARTITION OF`) is skipped: its rows are
//!   its parent table's, and the parent is what a migration reads.
//! - Names keep their last part (`public.users` → `users`); unquoted names
//!   are lower-cased in both dialects (SQLite compares names without case).

mod script;

use crate::model::{self, ColumnType, ImportError, Schema};
use script::{at, Source, Statement};
use sqlparser::ast::{
    self as sql, AlterColumnOperation, AlterTableOperation, ColumnOption, CreateFunctionBody,
    ObjectName, ObjectNamePart, ObjectType, ReferentialAction, SelectItem, SetExpr,
    TableConstraint, TableFactor,
};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Token};

/// The SQL dialect a script is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

/// Reads a DDL script. Errors name the statement and carry its line and
/// column.
pub fn read(sql: &str, dialect: Dialect) -> Result<Schema, ImportError> {
    let parser_dialect: Box<dyn sqlparser::dialect::Dialect> = match dialect {
        Dialect::Postgres => Box::new(sqlparser::dialect::PostgreSqlDialect {}),
        Dialect::Sqlite => Box::new(sqlparser::dialect::SQLiteDialect {}),
    };
    let (text, statements) = script::statements(sql, parser_dialect.as_ref())?;
    let source = Source::new(&text);
    let mut reader = Reader {
        dialect,
        source: &source,
        schema: Schema::default(),
    };
    for statement in &statements {
        if ignored(statement) {
            continue;
        }
        let mut parser =
            Parser::new(parser_dialect.as_ref()).with_tokens_with_locations(statement.for_parser());
        let parsed = parser
            .parse_statement()
            .and_then(|s| parser.expect_token(&Token::EOF).map(|_| s))
            .map_err(|e| parse_error(&e.to_string(), statement, &source))?;
        reader.statement(&parsed, statement)?;
    }
    reader.finish()
}

/// A parse error with the location sqlparser puts in its message, or the
/// statement's start.
fn parse_error(message: &str, statement: &Statement, source: &Source<'_>) -> ImportError {
    let message = message
        .strip_prefix("sql parser error: ")
        .unwrap_or(message);
    let (message, location) = match message.rsplit_once(" at Line: ") {
        Some((text, place)) => {
            let mut numbers = place
                .split(", Column: ")
                .map(|n| n.trim().parse::<u64>().ok());
            match (numbers.next().flatten(), numbers.next().flatten()) {
                (Some(line), Some(column)) => (text, Location { line, column }),
                _ => (message, statement.start()),
            }
        }
        None => (message, statement.start()),
    };
    ImportError {
        message: format!("{message} (in `{}`)", statement.head(source)),
        at: at(location),
    }
}

/// Whether a statement changes nothing the model holds (see the module
/// documentation).
fn ignored(s: &Statement) -> bool {
    let words = s.leading_words(4);
    let word = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    let n = s.tokens.len();
    let owner_to = n >= 3 && s.is_word(n - 3, "OWNER") && s.is_word(n - 2, "TO");
    match word(0) {
        "SET" | "RESET" | "SELECT" | "BEGIN" | "START" | "COMMIT" | "END" | "ROLLBACK"
        | "SAVEPOINT" | "RELEASE" | "GRANT" | "REVOKE" | "PRAGMA" | "ANALYZE" | "VACUUM" => true,
        "CREATE" => {
            let mut i = 1;
            if word(1) == "OR" && word(2) == "REPLACE" {
                i = 3;
            }
            if matches!(word(i), "TEMP" | "TEMPORARY" | "CONSTRAINT") {
                i += 1;
            }
            matches!(word(i), "SCHEMA" | "EXTENSION" | "SEQUENCE" | "TRIGGER")
        }
        "ALTER" => owner_to || matches!(word(1), "SEQUENCE" | "SCHEMA" | "DEFAULT" | "EXTENSION"),
        "COMMENT" => word(1) == "ON" && word(2) != "COLUMN",
        "DROP" => matches!(word(1), "SEQUENCE" | "SCHEMA" | "EXTENSION" | "TRIGGER"),
        _ => false,
    }
}

/// A name part as the database folds it.
fn name(ident: &sql::Ident) -> String {
    match ident.quote_style {
        None => ident.value.to_lowercase(),
        Some(_) => ident.value.clone(),
    }
}

/// The last part of a qualified name.
fn last(object: &ObjectName) -> String {
    match object.0.last() {
        Some(ObjectNamePart::Identifier(i)) => name(i),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// A column type: `CHARACTER VARYING(20)`, `TIMESTAMP(6) WITH TIME ZONE`,
/// `INT[]` read from sqlparser's spelling of it.
fn column_type(ty: &sql::DataType) -> (ColumnType, bool) {
    let text = ty.to_string();
    let (text, array) = match text.strip_suffix("[]") {
        Some(element) => (element.to_owned(), true),
        None => (text, false),
    };
    let (mut name, mut params) = (text.clone(), Vec::new());
    if let (Some(open), Some(close)) = (text.find('('), text.rfind(')')) {
        if open < close {
            name = format!("{} {}", &text[..open], &text[close + 1..]);
            params = text[open + 1..close]
                .split(',')
                .filter_map(|p| p.trim().parse::<u32>().ok())
                .collect();
        }
    }
    let serial = ColumnType::is_serial(&name);
    let mut ty = ColumnType::canonical(&name, params);
    if array {
        ty.name.push_str("[]");
    }
    (ty, serial)
}

fn on_delete(action: Option<ReferentialAction>) -> Option<String> {
    match action {
        None | Some(ReferentialAction::NoAction) => None,
        Some(a) => Some(a.to_string().to_uppercase()),
    }
}

/// A default, or None with `generated` when the default is a sequence.
fn default(expr: &sql::Expr) -> (Option<model::Default>, bool) {
    let text = expr.to_string();
    if text.to_ascii_lowercase().starts_with("nextval(") {
        (None, true)
    } else {
        (Some(model::Default::from_sql(&text)), false)
    }
}

/// The column names of a key; an expression in one is an error.
fn key_columns(
    columns: &[sql::IndexColumn],
    what: &str,
    at_: &Statement,
) -> Result<Vec<String>, ImportError> {
    columns
        .iter()
        .map(|c| match &c.column.expr {
            sql::Expr::Identifier(i) => Ok(name(i)),
            other => Err(ImportError {
                message: format!("{what} on the expression `{other}`: only columns can be read"),
                at: at(at_.start()),
            }),
        })
        .collect()
}

struct Reader<'s> {
    dialect: Dialect,
    source: &'s Source<'s>,
    schema: Schema,
}

impl Reader<'_> {
    fn error(&self, s: &Statement, message: impl Into<String>) -> ImportError {
        ImportError {
            message: format!("{} (in `{}`)", message.into(), s.head(self.source)),
            at: at(s.start()),
        }
    }

    fn table_index(&self, table: &str, s: &Statement) -> Result<usize, ImportError> {
        self.schema
            .tables
            .iter()
            .position(|t| t.name == table)
            .ok_or_else(|| {
                self.error(
                    s,
                    format!("table `{table}` is not created earlier in the script"),
                )
            })
    }

    fn table_mut(&mut self, table: &str, s: &Statement) -> Result<&mut model::Table, ImportError> {
        let i = self.table_index(table, s)?;
        Ok(&mut self.schema.tables[i])
    }

    fn statement(&mut self, parsed: &sql::Statement, s: &Statement) -> Result<(), ImportError> {
        match parsed {
            sql::Statement::CreateTable(create) => self.create_table(create, s),
            sql::Statement::CreateIndex(create) => self.create_index(create, s),
            sql::Statement::CreateView(create) => self.create_view(create, s),
            sql::Statement::CreateFunction(create) => self.create_function(create, s),
            sql::Statement::AlterTable(alter) => self.alter_table(alter, s),
            sql::Statement::Comment {
                object_type: sql::CommentObject::Column,
                object_name,
                comment,
                ..
            } => {
                let parts: Vec<String> = object_name
                    .0
                    .iter()
                    .filter_map(|p| p.as_ident().map(name))
                    .collect();
                let [.., table, column] = parts.as_slice() else {
                    return Err(self.error(s, "COMMENT ON COLUMN needs `table.column`"));
                };
                let column = column.clone();
                // The model keeps no comments on a view's columns.
                if self.schema.views.iter().any(|v| &v.name == table) {
                    return Ok(());
                }
                let t = self.table_mut(table, s)?;
                let Some(c) = t.columns.iter_mut().find(|c| c.name == column) else {
                    return Err(self.error(s, format!("`{table}` has no column `{column}`")));
                };
                c.comment = comment.clone();
                Ok(())
            }
            sql::Statement::Comment { .. } => Ok(()),
            sql::Statement::Drop {
                object_type, names, ..
            } => {
                let names: Vec<String> = names.iter().map(last).collect();
                match object_type {
                    ObjectType::Table => self.schema.tables.retain(|t| !names.contains(&t.name)),
                    ObjectType::View | ObjectType::MaterializedView => {
                        self.schema.views.retain(|v| !names.contains(&v.name))
                    }
                    ObjectType::Index => {
                        for t in &mut self.schema.tables {
                            t.indexes.retain(|i| !names.contains(&i.name));
                        }
                    }
                    _ => {}
                }
                Ok(())
            }
            sql::Statement::DropFunction(drop) => {
                let names: Vec<String> = drop.func_desc.iter().map(|f| last(&f.name)).collect();
                self.schema.procedures.retain(|p| !names.contains(&p.name));
                Ok(())
            }
            // Data statements change no schema object.
            sql::Statement::Insert(_)
            | sql::Statement::Update(_)
            | sql::Statement::Delete(_)
            | sql::Statement::Query(_) => Ok(()),
            _ => Err(self.error(s, "this statement is not one the DDL reader can read")),
        }
    }

    fn create_table(
        &mut self,
        create: &sql::CreateTable,
        s: &Statement,
    ) -> Result<(), ImportError> {
        let table_name = last(&create.name);
        // SQLite's own tables (`sqlite_sequence`), which `.schema` prints.
        if self.dialect == Dialect::Sqlite && table_name.starts_with("sqlite_") {
            return Ok(());
        }
        // A partition's rows are its parent's (see the module documentation).
        if create.partition_of.is_some() {
            return Ok(());
        }
        if create.query.is_some() || create.like.is_some() || create.clone.is_some() {
            return Err(self.error(
                s,
                format!("`{table_name}` takes its columns from another table or a query"),
            ));
        }
        if self.schema.table(&table_name).is_some() {
            if create.if_not_exists {
                return Ok(());
            }
            return Err(self.error(s, format!("table `{table_name}` is created twice")));
        }
        let mut table = model::Table {
            name: table_name,
            ..model::Table::default()
        };
        let mut integer_declared = Vec::new();
        for def in &create.columns {
            if matches!(def.data_type, sql::DataType::Integer(None)) {
                integer_declared.push(name(&def.name));
            }
            self.add_column(&mut table, def, s)?;
        }
        for constraint in &create.constraints {
            self.add_constraint(&mut table, constraint, s)?;
        }
        table.checks.extend(s.checks(self.source));
        // SQLite's rowid alias (see the module documentation).
        if self.dialect == Dialect::Sqlite
            && !create.without_rowid
            && table.primary_key.len() == 1
            && integer_declared.contains(&table.primary_key[0])
        {
            let key = table.primary_key[0].clone();
            if let Some(c) = table.columns.iter_mut().find(|c| c.name == key) {
                c.generated = true;
            }
        }
        settle_keys(&mut table);
        self.schema.tables.push(table);
        Ok(())
    }

    fn add_column(
        &self,
        table: &mut model::Table,
        def: &sql::ColumnDef,
        s: &Statement,
    ) -> Result<(), ImportError> {
        let column_name = name(&def.name);
        if table.column(&column_name).is_some() {
            return Err(self.error(
                s,
                format!("`{}` has two columns `{column_name}`", table.name),
            ));
        }
        let (ty, serial) = column_type(&def.data_type);
        let mut column = model::Column {
            name: column_name.clone(),
            ty,
            nullable: true,
            default: None,
            generated: serial,
            on_update: None,
            comment: None,
        };
        for option in &def.options {
            let single = std::slice::from_ref(&column_name);
            let key = match &option.option {
                ColumnOption::PrimaryKey(_) => Some(model::ConstraintKey::PrimaryKey),
                ColumnOption::Unique(_) => Some(model::ConstraintKey::Unique(single)),
                ColumnOption::ForeignKey(_) => Some(model::ConstraintKey::ForeignKey(single)),
                _ => None,
            };
            record_name(table, key, option.name.as_ref());
            match &option.option {
                ColumnOption::Null => column.nullable = true,
                ColumnOption::NotNull => column.nullable = false,
                ColumnOption::Default(expr) => {
                    let (d, sequence) = default(expr);
                    column.default = d;
                    column.generated |= sequence;
                }
                ColumnOption::PrimaryKey(_) => table.primary_key = vec![column_name.clone()],
                ColumnOption::Unique(_) => push_unique(table, vec![column_name.clone()]),
                ColumnOption::ForeignKey(fk) => table.foreign_keys.push(model::ForeignKey {
                    columns: vec![column_name.clone()],
                    table: last(&fk.foreign_table),
                    ref_columns: fk.referred_columns.iter().map(name).collect(),
                    on_delete: on_delete(fk.on_delete),
                }),
                // Read from the text by `Statement::checks`.
                ColumnOption::Check(_) => {}
                ColumnOption::Generated { .. } | ColumnOption::Identity(_) => {
                    column.generated = true
                }
                ColumnOption::DialectSpecific(tokens) if tokens.iter().any(is_autoincrement) => {
                    column.generated = true
                }
                ColumnOption::Comment(text) => column.comment = Some(text.clone()),
                ColumnOption::OnUpdate(expr) => column.on_update = Some(expr.to_string()),
                // Collations, character sets, storage options: nothing the
                // model holds.
                _ => {}
            }
        }
        table.columns.push(column);
        Ok(())
    }

    fn add_constraint(
        &self,
        table: &mut model::Table,
        constraint: &TableConstraint,
        s: &Statement,
    ) -> Result<(), ImportError> {
        match constraint {
            TableConstraint::PrimaryKey(pk) => {
                table.primary_key = key_columns(&pk.columns, "a primary key", s)?;
                record_name(
                    table,
                    Some(model::ConstraintKey::PrimaryKey),
                    pk.name.as_ref(),
                );
            }
            TableConstraint::Unique(u) => {
                let columns = key_columns(&u.columns, "a unique constraint", s)?;
                let key = model::ConstraintKey::Unique(&columns);
                let recorded = u
                    .name
                    .as_ref()
                    .map(|n| (model::constraint_key(key), name(n)));
                push_unique(table, columns.clone());
                if let Some((key, n)) = recorded {
                    table.constraint_names.insert(key, n);
                }
            }
            TableConstraint::ForeignKey(fk) => {
                let columns: Vec<String> = fk.columns.iter().map(name).collect();
                let key = model::ConstraintKey::ForeignKey(&columns);
                if let Some(n) = &fk.name {
                    table
                        .constraint_names
                        .insert(model::constraint_key(key), name(n));
                }
                table.foreign_keys.push(model::ForeignKey {
                    columns,
                    table: last(&fk.foreign_table),
                    ref_columns: fk.referred_columns.iter().map(name).collect(),
                    on_delete: on_delete(fk.on_delete),
                });
            }
            // Read from the text by `Statement::checks`.
            TableConstraint::Check(_) => {}
            other => {
                return Err(self.error(
                    s,
                    format!("the constraint `{other}` is not one the model holds"),
                ))
            }
        }
        for key in &table.primary_key {
            if table.column(key).is_none() {
                return Err(self.error(
                    s,
                    format!(
                        "primary key column `{key}` is not a column of `{}`",
                        table.name
                    ),
                ));
            }
        }
        Ok(())
    }

    fn create_index(
        &mut self,
        create: &sql::CreateIndex,
        s: &Statement,
    ) -> Result<(), ImportError> {
        let table_name = last(&create.table_name);
        let mut columns = Vec::new();
        for c in &create.columns {
            match &c.column.expr {
                sql::Expr::Identifier(i) => columns.push(name(i)),
                other if create.unique => {
                    return Err(self.error(
                        s,
                        format!("a unique index on the expression `{other}` is a constraint the model cannot hold"),
                    ))
                }
                // Speeds queries up only (see the module documentation).
                _ => return Ok(()),
            }
        }
        if create.unique && create.predicate.is_some() {
            return Err(self.error(
                s,
                "a unique partial index is a constraint the model cannot hold",
            ));
        }
        let index_name = match &create.name {
            Some(n) => last(n),
            // PostgreSQL's name for an unnamed index.
            None => format!("{table_name}_{}_idx", columns.join("_")),
        };
        let table = self.table_mut(&table_name, s)?;
        for c in &columns {
            if table.column(c).is_none() {
                let message = format!("`{table_name}` has no column `{c}`");
                return Err(self.error(s, message));
            }
        }
        table.indexes.push(model::Index {
            name: index_name,
            columns,
            unique: create.unique,
        });
        Ok(())
    }

    fn create_view(&mut self, create: &sql::CreateView, s: &Statement) -> Result<(), ImportError> {
        let view_name = last(&create.name);
        let columns = if create.columns.is_empty() {
            self.output_names(&create.query, s)?
        } else {
            create.columns.iter().map(|c| name(&c.name)).collect()
        };
        let definition = s
            .after_as(self.source)
            .ok_or_else(|| self.error(s, "a view without `AS query`"))?;
        self.schema.views.retain(|v| v.name != view_name);
        self.schema.views.push(model::View {
            name: view_name,
            definition,
            columns,
        });
        Ok(())
    }

    /// A query's output column names: an alias, else a column's last name
    /// part, else a function's name; `*` stands for the columns of the
    /// tables it covers.
    fn output_names(&self, query: &sql::Query, s: &Statement) -> Result<Vec<String>, ImportError> {
        let mut body = query.body.as_ref();
        loop {
            match body {
                SetExpr::SetOperation { left, .. } => body = left,
                SetExpr::Query(q) => body = q.body.as_ref(),
                _ => break,
            }
        }
        let SetExpr::Select(select) = body else {
            return Err(self.error(s, "cannot tell the view's columns: give them a list"));
        };
        // (alias or name, table) for each table in FROM.
        let mut tables = Vec::new();
        for from in &select.from {
            for factor in
                std::iter::once(&from.relation).chain(from.joins.iter().map(|j| &j.relation))
            {
                if let TableFactor::Table {
                    name: table, alias, ..
                } = factor
                {
                    let table = last(table);
                    let alias = alias.as_ref().map_or(table.clone(), |a| name(&a.name));
                    tables.push((alias, table));
                }
            }
        }
        let columns_of = |alias: Option<&str>| -> Result<Vec<String>, ImportError> {
            let mut out = Vec::new();
            for (a, t) in &tables {
                if alias.is_some_and(|alias| alias != a) {
                    continue;
                }
                let Some(table) = self.schema.table(t) else {
                    return Err(self.error(
                        s,
                        format!("cannot tell the columns of `*`: `{t}` is not created earlier"),
                    ));
                };
                out.extend(table.columns.iter().map(|c| c.name.clone()));
            }
            Ok(out)
        };
        let mut names = Vec::new();
        for item in &select.projection {
            match item {
                SelectItem::ExprWithAlias { alias, .. } => names.push(name(alias)),
                SelectItem::UnnamedExpr(e) => names.push(output_name(e)),
                SelectItem::Wildcard(_) => names.extend(columns_of(None)?),
                SelectItem::QualifiedWildcard(kind, _) => {
                    let alias = match kind {
                        sql::SelectItemQualifiedWildcardKind::ObjectName(n) => last(n),
                        sql::SelectItemQualifiedWildcardKind::Expr(e) => e.to_string(),
                    };
                    names.extend(columns_of(Some(&alias))?);
                }
                SelectItem::ExprWithAliases { aliases, .. } => {
                    names.extend(aliases.iter().map(name))
                }
            }
        }
        Ok(names)
    }

    fn create_function(
        &mut self,
        create: &sql::CreateFunction,
        s: &Statement,
    ) -> Result<(), ImportError> {
        let is_sql = create
            .language
            .as_ref()
            .is_some_and(|l| l.value.eq_ignore_ascii_case("sql"));
        if !is_sql {
            // Not SQL (see the module documentation).
            return Ok(());
        }
        let body = match &create.function_body {
            Some(CreateFunctionBody::AsBeforeOptions { body, .. })
            | Some(CreateFunctionBody::AsAfterOptions(body)) => match body {
                sql::Expr::Value(v) => match &v.value {
                    sql::Value::DollarQuotedString(d) => Some(d.value.clone()),
                    sql::Value::SingleQuotedString(t) => Some(t.clone()),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        let Some(body) = body else {
            return Err(self.error(
                s,
                "only a function body written as a string (`AS $$ … $$`) can be read",
            ));
        };
        let parameters = create
            .args
            .iter()
            .flatten()
            .map(|a| {
                let mut text = String::new();
                if let Some(mode) = &a.mode {
                    text.push_str(&mode.to_string().to_lowercase());
                    text.push(' ');
                }
                if let Some(n) = &a.name {
                    text.push_str(&name(n));
                    text.push(' ');
                }
                text.push_str(&a.data_type.to_string().to_lowercase());
                if let Some(d) = &a.default_expr {
                    text.push_str(&format!(" DEFAULT {d}"));
                }
                text
            })
            .collect();
        let procedure_name = last(&create.name);
        self.schema.procedures.retain(|p| p.name != procedure_name);
        self.schema.procedures.push(model::Procedure {
            name: procedure_name,
            parameters,
            definition: body.trim().to_owned(),
        });
        Ok(())
    }

    fn alter_table(&mut self, alter: &sql::AlterTable, s: &Statement) -> Result<(), ImportError> {
        let table_name = last(&alter.name);
        for op in &alter.operations {
            match op {
                // pg_dump writes `ALTER TABLE view OWNER TO` for views too.
                AlterTableOperation::OwnerTo { .. }
                | AlterTableOperation::EnableRowLevelSecurity
                | AlterTableOperation::DisableRowLevelSecurity
                | AlterTableOperation::ForceRowLevelSecurity
                | AlterTableOperation::NoForceRowLevelSecurity
                | AlterTableOperation::EnableTrigger { .. }
                | AlterTableOperation::DisableTrigger { .. }
                | AlterTableOperation::ReplicaIdentity { .. }
                | AlterTableOperation::ValidateConstraint { .. } => {}
                AlterTableOperation::AddConstraint { constraint, .. } => {
                    let i = self.table_index(&table_name, s)?;
                    let mut table = std::mem::take(&mut self.schema.tables[i]);
                    let result = self.add_constraint(&mut table, constraint, s);
                    settle_keys(&mut table);
                    self.schema.tables[i] = table;
                    result?;
                }
                AlterTableOperation::AddColumn { column_def, .. } => {
                    let i = self.table_index(&table_name, s)?;
                    let mut table = std::mem::take(&mut self.schema.tables[i]);
                    let result = self.add_column(&mut table, column_def, s);
                    settle_keys(&mut table);
                    self.schema.tables[i] = table;
                    result?;
                }
                AlterTableOperation::AlterColumn { column_name, op } => {
                    let column_name = name(column_name);
                    let table = self.table_mut(&table_name, s)?;
                    let Some(c) = table.columns.iter_mut().find(|c| c.name == column_name) else {
                        return Err(
                            self.error(s, format!("`{table_name}` has no column `{column_name}`"))
                        );
                    };
                    match op {
                        AlterColumnOperation::SetNotNull => c.nullable = false,
                        AlterColumnOperation::DropNotNull => c.nullable = true,
                        AlterColumnOperation::SetDefault { value } => {
                            let (d, sequence) = default(value);
                            c.default = d;
                            c.generated |= sequence;
                        }
                        AlterColumnOperation::DropDefault => c.default = None,
                        AlterColumnOperation::SetDataType { data_type, .. } => {
                            c.ty = column_type(data_type).0
                        }
                        AlterColumnOperation::AddGenerated { .. } => c.generated = true,
                    }
                }
                AlterTableOperation::DropColumn { column_names, .. } => {
                    let names: Vec<String> = column_names.iter().map(name).collect();
                    let table = self.table_mut(&table_name, s)?;
                    table.columns.retain(|c| !names.contains(&c.name));
                }
                other => {
                    return Err(self.error(
                        s,
                        format!(
                            "`ALTER TABLE … {other}` is not an operation the DDL reader can read"
                        ),
                    ))
                }
            }
        }
        if alter.operations.iter().any(|op| {
            matches!(
                op,
                AlterTableOperation::AddConstraint { .. } | AlterTableOperation::AddColumn { .. }
            )
        }) {
            let checks = s.checks(self.source);
            self.table_mut(&table_name, s)?.checks.extend(checks);
        }
        Ok(())
    }

    /// Foreign keys written `REFERENCES t` name `t`'s primary key; they are
    /// resolved once every table is read.
    fn finish(mut self) -> Result<Schema, ImportError> {
        let keys: Vec<(String, Vec<String>)> = self
            .schema
            .tables
            .iter()
            .map(|t| (t.name.clone(), t.primary_key.clone()))
            .collect();
        for t in &mut self.schema.tables {
            for fk in &mut t.foreign_keys {
                if fk.ref_columns.is_empty() {
                    match keys.iter().find(|(name, _)| name == &fk.table) {
                        Some((_, key)) if !key.is_empty() => fk.ref_columns = key.clone(),
                        _ => {
                            return Err(ImportError {
                                message: format!(
                                    "`{}` references `{}` without columns, and the script gives `{}` no primary key",
                                    t.name, fk.table, fk.table
                                ),
                                at: "end of script".to_owned(),
                            })
                        }
                    }
                }
            }
        }
        Ok(self.schema)
    }
}

/// The output name of an unaliased projection, as PostgreSQL gives it.
fn output_name(e: &sql::Expr) -> String {
    match e {
        sql::Expr::Identifier(i) => name(i),
        sql::Expr::CompoundIdentifier(parts) => parts.last().map(name).unwrap_or_default(),
        sql::Expr::Function(f) => last(&f.name),
        sql::Expr::Cast { expr, .. } | sql::Expr::Nested(expr) => output_name(expr),
        _ => "?column?".to_owned(),
    }
}

fn is_autoincrement(t: &Token) -> bool {
    matches!(t, Token::Word(w) if w.value.eq_ignore_ascii_case("AUTOINCREMENT"))
}

/// Keeps a constraint's own name (`CONSTRAINT accounts_email_uq UNIQUE`),
/// so that scripts drop it by that name.
fn record_name(
    table: &mut model::Table,
    key: Option<model::ConstraintKey<'_>>,
    given: Option<&sqlparser::ast::Ident>,
) {
    if let (Some(key), Some(given)) = (key, given) {
        table
            .constraint_names
            .insert(model::constraint_key(key), name(given));
    }
}

fn push_unique(table: &mut model::Table, columns: Vec<String>) {
    if !table.unique.contains(&columns) {
        table.unique.push(columns);
    }
}

/// A primary key column is never null.
fn settle_keys(table: &mut model::Table) {
    for c in &mut table.columns {
        if table.primary_key.contains(&c.name) {
            c.nullable = false;
        }
    }
}

#[cfg(test)]
mod tests;
