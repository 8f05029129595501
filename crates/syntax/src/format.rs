//! `cutover fmt`: the canonical layout of a spec, keeping every comment.
//!
//! The layout is printed from the AST, so it depends only on what the spec
//! says, with four things carried over from the text: comments, whether
//! members were separated by a blank line (at most one is kept), tokens as
//! written (`1_200_000`, escapes, backticks) and which rows lists an
//! example wrote. The rules (docs/language.md, "Formatting"):
//!
//! - two spaces of indentation; one member per line; top-level items are
//!   separated by one blank line; optional `,` and `;` separators go,
//!   except after lookup entries and rows in a list;
//! - runs of columns, of assignments and of lookup entries (not separated
//!   by a blank line) align their names, `=` and `=>`; trailing comments
//!   in a run of lines align one column after the longest line;
//! - a line longer than 100 columns breaks at its outermost group first;
//!   a column definition never breaks (a line break ends it);
//! - a comment on its own line stays before the member it preceded; a
//!   comment inside an expression moves to the end of its member.
//!
//! [`print`] lays out an AST that has no text (scaffolds, tests).

use crate::ast::*;
use crate::layout::{render, width, Doc};
use cutover_diagnostics::{Diagnostic, Span};

/// The line width the layout aims for.
pub const WIDTH: usize = 100;
const INDENT: usize = 2;
/// Names wider than this are not aligned with their neighbours: one long
/// lookup key would push every `=>` of its run far to the right.
const ALIGN_LIMIT: usize = 40;
/// A width nothing reaches: lays a document out on one line.
const FLAT: usize = 1 << 30;

/// Formats a spec. Errors are the parse's diagnostics; a spec that does not
/// parse is never rewritten.
pub fn format(source: &str) -> Result<String, Vec<Diagnostic>> {
    let ast = crate::parse(source)?;
    let comments = crate::nesting::check(source).map_err(|d| vec![d])?;
    let mut p = Printer {
        src: Some(source),
        comments,
        next: 0,
    };
    Ok(p.file(&ast, source.len() as u32))
}

/// Lays out an AST in the canonical form, with tokens rendered from their
/// values.
pub fn print(ast: &Ast) -> String {
    let mut p = Printer {
        src: None,
        comments: Vec::new(),
        next: 0,
    };
    p.file(ast, 0)
}

struct Printer<'s> {
    src: Option<&'s str>,
    /// `#` comment ranges, in order; `next` is the first not yet printed.
    comments: Vec<(u32, u32)>,
    next: usize,
}

/// One member of a block, or a comment on its own line.
struct Entry {
    /// The first line without its indentation; later lines with theirs.
    text: String,
    comment: Option<String>,
    blank_before: bool,
}

/// Members whose names line up in a run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Column,
    Assign,
    LookupKeys,
}

fn pad(indent: usize) -> String {
    " ".repeat(indent)
}

impl<'s> Printer<'s> {
    // ───────────────────────── Text and comments ─────────────────────────

    fn slice(&self, span: Span) -> Option<&'s str> {
        self.src?.get(span.start as usize..span.end as usize)
    }

    /// The whole number written after the last `word` in `span`
    /// (`1_000` stays `1_000`), or `value` without a text.
    fn number_after(&self, span: Span, word: &str, value: u64) -> String {
        self.slice(span)
            .and_then(|t| t.rsplit_once(&format!("{word} ")))
            .and_then(|(_, t)| t.split_whitespace().next())
            .filter(|n| is_digits(n))
            .map_or_else(|| value.to_string(), str::to_owned)
    }

    /// A token as written, or rendered from its value without a text.
    fn token(&self, span: Span, value: impl FnOnce() -> String) -> String {
        match self.slice(span) {
            Some(t) if !t.is_empty() => t.to_owned(),
            _ => value(),
        }
    }

    fn comment_text(&self, (start, end): (u32, u32)) -> String {
        self.slice(Span::new(start, end))
            .unwrap_or("#")
            .trim_end()
            .to_owned()
    }

    /// Whether a line with nothing on it separates `from` and `to`.
    fn blank_between(&self, from: u32, to: u32) -> bool {
        let Some(text) = self.slice(Span::new(from, to.max(from))) else {
            return false;
        };
        let lines: Vec<&str> = text.split('\n').collect();
        lines.len() > 2
            && lines[1..lines.len() - 1]
                .iter()
                .any(|l| l.trim_matches([' ', '\t', '\r', '\u{FEFF}']).is_empty())
    }

    /// Whether the token before `at`, comments aside, is `[`: a list of
    /// one row stays a list (more rows are usually to come).
    fn written_as_list(&self, at: u32) -> bool {
        let Some(src) = self.src else {
            return false;
        };
        let mut end = at as usize;
        loop {
            let before = src.get(..end).unwrap_or("").trim_end();
            end = before.len();
            // Comments are sorted and disjoint, so their ends are sorted too.
            match self.comments.binary_search_by_key(&end, |c| c.1 as usize) {
                Ok(i) if (self.comments[i].0 as usize) < end => end = self.comments[i].0 as usize,
                _ => return before.ends_with('['),
            }
        }
    }

    fn same_line(&self, from: u32, to: u32) -> bool {
        self.slice(Span::new(from, to.max(from)))
            .is_some_and(|t| !t.contains(['\n', '\r']))
    }

    fn peek_comment(&self) -> Option<(u32, u32)> {
        self.comments.get(self.next).copied()
    }

    // ───────────────────────────── Blocks ──────────────────────────────

    /// Lays out the members of a block at `indent`, with the comments
    /// before, inside and after them; `end` is where the block closes.
    /// Returns whole lines, each with its indentation and line break.
    #[allow(clippy::too_many_arguments)]
    fn block<T>(
        &mut self,
        items: &[T],
        indent: usize,
        end: u32,
        separate: bool,
        span_of: impl Fn(&T) -> Span,
        align: impl Fn(&Self, &T) -> Option<(Align, usize)>,
        mut render_item: impl FnMut(&mut Self, &T, usize, usize) -> String,
    ) -> String {
        let pads = self.pads(items, &span_of, &align);
        let mut entries: Vec<Entry> = Vec::new();
        let mut last_end: Option<u32> = None;
        for (i, item) in items.iter().enumerate() {
            let span = span_of(item);
            let first_entry = entries.len();
            self.own_line_comments(span.start, &mut last_end, &mut entries);
            let blank_before = last_end.is_some_and(|e| self.blank_between(e, span.start));
            // Separated items get a blank line: the author's, wherever it
            // was, or one before the item's leading comments.
            if separate
                && i > 0
                && !blank_before
                && !entries[first_entry..].iter().any(|e| e.blank_before)
            {
                if let Some(e) = entries.get_mut(first_entry) {
                    e.blank_before = true;
                }
            }
            let blank_before = blank_before || (separate && i > 0 && entries.len() == first_entry);
            let text = render_item(self, item, indent, pads[i]);
            // Comments left inside the member, then one after it on its line.
            let next_start = items.get(i + 1).map_or(end, |n| span_of(n).start);
            let mut after = Vec::new();
            while let Some(c) = self.peek_comment() {
                let inside = c.0 < span.end;
                let trailing = c.0 < next_start && self.same_line(span.end, c.0);
                if !(inside || trailing) {
                    break;
                }
                self.next += 1;
                after.push(c);
                if !inside {
                    break;
                }
            }
            last_end = Some(after.last().map_or(span.end, |c| c.1.max(span.end)));
            let mut after = after.into_iter();
            entries.push(Entry {
                text,
                comment: after.next().map(|c| self.comment_text(c)),
                blank_before,
            });
            for c in after {
                entries.push(Entry {
                    text: self.comment_text(c),
                    comment: None,
                    blank_before: false,
                });
            }
        }
        self.own_line_comments(end, &mut last_end, &mut entries);
        lay_out_entries(entries, indent)
    }

    /// The comments not yet printed that start before `before`, each on a
    /// line of its own, after a blank line where the text had one.
    fn own_line_comments(
        &mut self,
        before: u32,
        last_end: &mut Option<u32>,
        entries: &mut Vec<Entry>,
    ) {
        while let Some(c) = self.peek_comment().filter(|c| c.0 < before) {
            self.next += 1;
            entries.push(Entry {
                text: self.comment_text(c),
                comment: None,
                blank_before: last_end.is_some_and(|e| self.blank_between(e, c.0)),
            });
            *last_end = Some(c.1);
        }
    }

    /// The width each member's name is padded to: the widest name in its
    /// run of members of one kind not separated by a blank line. Names
    /// wider than [`ALIGN_LIMIT`] stay unpadded and do not widen the run.
    fn pads<T>(
        &self,
        items: &[T],
        span_of: &impl Fn(&T) -> Span,
        align: &impl Fn(&Self, &T) -> Option<(Align, usize)>,
    ) -> Vec<usize> {
        let mut pads = vec![0; items.len()];
        let mut run_start = 0;
        let mut run: Option<Align> = None;
        for i in 0..=items.len() {
            let here = items.get(i).and_then(|it| align(self, it));
            let continues = i > 0
                && i < items.len()
                && here.map(|h| h.0) == run
                && run.is_some()
                && !self.blank_between(span_of(&items[i - 1]).end, span_of(&items[i]).start);
            if !continues {
                let widest = (run_start..i)
                    .filter_map(|j| align(self, &items[j]).map(|a| a.1))
                    .filter(|w| *w <= ALIGN_LIMIT)
                    .max()
                    .unwrap_or(0);
                for p in &mut pads[run_start..i] {
                    *p = widest;
                }
                run_start = i;
                run = here.map(|h| h.0);
            }
        }
        pads
    }

    /// `{` lines `}` or `{}` when nothing is inside.
    fn braced(head: String, body: String, indent: usize) -> String {
        if body.is_empty() {
            format!("{head} {{}}")
        } else {
            format!("{head} {{\n{body}{}}}", pad(indent))
        }
    }

    // ───────────────────────────── Items ───────────────────────────────

    fn file(&mut self, ast: &Ast, end: u32) -> String {
        self.block(
            &ast.items,
            0,
            end,
            true,
            item_span,
            |_, _| None,
            |p, item, indent, _| p.item(item, indent),
        )
    }

    fn item(&mut self, item: &Item, indent: usize) -> String {
        match item {
            Item::Migration(m) => self.migration(m, indent),
            Item::System(s) => self.system(s, indent),
            Item::Lookup(l) => self.lookup(l, indent),
            Item::Fn(f) => self.fn_def(f, indent),
            Item::Map(m) => self.map(m, indent),
            Item::Example(e) => self.example(e, indent),
            Item::Gate(g) => self.gate(g, indent),
            Item::Rollback(r) => self.rollback(r, indent),
            Item::Phase(p) => self.phase(p, indent),
            Item::DropTable(d) => {
                let tables: Vec<String> = d.tables.iter().map(|t| self.table_ref(t)).collect();
                let reason = self.string(&d.reason);
                fill_because("drop table ", &tables, &reason, indent)
            }
        }
    }

    fn migration(&mut self, m: &Migration, indent: usize) -> String {
        let head = format!("migration {}", self.string(&m.title));
        let body = self.block(
            &m.attributes,
            indent + INDENT,
            m.span.end,
            false,
            |a| a.span,
            |_, _| None,
            |p, a, _, _| {
                let values: Vec<String> = a.values.iter().map(|v| p.attr_value(v)).collect();
                format!("{} {}", p.ident(&a.name), values.join(", "))
            },
        );
        Self::braced(head, body, indent)
    }

    fn attr_value(&self, v: &AttrValue) -> String {
        match v {
            AttrValue::Str(s) => self.string(s),
            AttrValue::Ident(i) => self.ident(i),
            AttrValue::Number(n) => self.token(n.span, || n.text.clone()),
            AttrValue::Duration(d) => self.token(d.span, || d.text.clone()),
            AttrValue::Percent(p) => self.token(p.span, || p.text.clone()),
            AttrValue::Rate { text, span, .. } => self.token(*span, || text.clone()),
        }
    }

    fn system(&mut self, s: &System, indent: usize) -> String {
        let role = match s.role {
            Role::Source => "source",
            Role::Target => "target",
        };
        let head = format!("{role} {}: {}", self.ident(&s.name), self.ident(&s.dialect));
        let body = self.block(
            &s.tables,
            indent + INDENT,
            s.span.end,
            false,
            |t| t.span,
            |_, _| None,
            |p, t, indent, _| p.table(t, indent),
        );
        Self::braced(head, body, indent)
    }

    fn table(&mut self, t: &Table, indent: usize) -> String {
        let head = format!("table {}", self.ident(&t.name));
        let body = self.block(
            &t.items,
            indent + INDENT,
            t.span.end,
            false,
            table_item_span,
            |p, item| match item {
                TableItem::Column(c) => Some((Align::Column, width(&p.ident(&c.name)))),
                _ => None,
            },
            |p, item, _, name_width| p.table_item(item, name_width),
        );
        Self::braced(head, body, indent)
    }

    fn table_item(&self, item: &TableItem, name_width: usize) -> String {
        match item {
            TableItem::Column(c) => {
                let mut line = format!("{:<name_width$} {}", self.ident(&c.name), self.ty(&c.ty));
                for k in &c.constraints {
                    line.push(' ');
                    line.push_str(&self.constraint(k));
                }
                line
            }
            TableItem::PrimaryKey { columns, .. } => {
                format!("primary key ({})", self.idents(columns))
            }
            TableItem::Unique { columns, .. } => format!("unique ({})", self.idents(columns)),
            // Flat: a line break inside a table is read as the end of a member.
            TableItem::Check { expr, .. } => format!("check ({})", self.flat(expr)),
            TableItem::ForeignKey {
                columns,
                table,
                ref_columns,
                ..
            } => format!(
                "foreign key ({}) references {}({})",
                self.idents(columns),
                self.ident(table),
                self.idents(ref_columns)
            ),
            TableItem::Rows { count, span } => {
                let written = self
                    .slice(*span)
                    .and_then(|t| t.split_once('~'))
                    .map(|(_, n)| n.trim())
                    .filter(|n| is_digits(n));
                format!(
                    "rows ~ {}",
                    written.map_or_else(|| count.to_string(), str::to_owned)
                )
            }
        }
    }

    fn constraint(&self, k: &ColumnConstraint) -> String {
        match k {
            ColumnConstraint::PrimaryKey(_) => "primary key".into(),
            ColumnConstraint::NotNull(_) => "not null".into(),
            ColumnConstraint::Null(_) => "null".into(),
            ColumnConstraint::Unique(_) => "unique".into(),
            ColumnConstraint::References { table, column, .. } => {
                format!("references {}({})", self.ident(table), self.ident(column))
            }
            ColumnConstraint::Check(e) => format!("check ({})", self.flat(e)),
            ColumnConstraint::Default(e) => {
                format!("default {}", render(&self.bound(e), 0, 0, FLAT))
            }
            ColumnConstraint::Pii(_) => "pii".into(),
        }
    }

    fn ty(&self, t: &TypeExpr) -> String {
        let mut s = self.ident(&t.name);
        if !t.params.is_empty() {
            let params: Vec<String> = t
                .params
                .iter()
                .map(|(n, span)| self.token(*span, || n.to_string()))
                .collect();
            s.push('(');
            s.push_str(&params.join(", "));
            s.push(')');
        }
        if t.nullable {
            s.push('?');
        }
        s
    }

    fn lookup(&mut self, l: &Lookup, indent: usize) -> String {
        let head = format!("lookup {}", self.ident(&l.name));
        let body = self.block(
            &l.entries,
            indent + INDENT,
            l.span.end,
            false,
            |e| match e {
                LookupEntry::Pair { span, .. } | LookupEntry::Else { span, .. } => *span,
            },
            |p, e| Some((Align::LookupKeys, width(&p.lookup_keys(e)))),
            |p, e, _, keys_width| {
                let value = match e {
                    LookupEntry::Pair { value, .. } | LookupEntry::Else { value, .. } => value,
                };
                format!("{:<keys_width$} => {},", p.lookup_keys(e), p.value(value))
            },
        );
        Self::braced(head, body, indent)
    }

    fn lookup_keys(&self, e: &LookupEntry) -> String {
        match e {
            LookupEntry::Pair { keys, .. } => keys
                .iter()
                .map(|k| self.value(k))
                .collect::<Vec<_>>()
                .join(" | "),
            LookupEntry::Else { .. } => "else".into(),
        }
    }

    fn fn_def(&mut self, f: &FnDef, indent: usize) -> String {
        let params: Vec<String> = f
            .params
            .iter()
            .map(|p| format!("{}: {}", self.ident(&p.name), self.ty(&p.ty)))
            .collect();
        let head = format!(
            "fn {}({}) -> {} =",
            self.ident(&f.name),
            params.join(", "),
            self.ty(&f.ret)
        );
        let doc = Doc::group(Doc::Cat(vec![
            Doc::text(head),
            Doc::nest(INDENT, Doc::Cat(vec![Doc::Line, self.expr(&f.body)])),
        ]));
        render(&doc, indent, indent, WIDTH)
    }

    // ────────────────────────────── Maps ───────────────────────────────

    fn map(&mut self, m: &Map, indent: usize) -> String {
        let mut head = String::from("map ");
        if let Some(n) = &m.name {
            head.push_str(&self.ident(n));
            head.push_str(": ");
        }
        head.push_str(&self.table_ref(&m.source));
        if let Some(a) = &m.alias {
            head.push(' ');
            head.push_str(&self.ident(a));
        }
        let mut rest = Vec::new();
        for j in &m.joins {
            let mut join = String::new();
            if j.left {
                join.push_str("left ");
            }
            join.push_str("join ");
            join.push_str(&self.table_ref(&j.table));
            if let Some(a) = &j.alias {
                join.push(' ');
                join.push_str(&self.ident(a));
            }
            join.push_str(" on ");
            rest.push(Doc::Line);
            rest.push(Doc::Cat(vec![Doc::text(join), self.expr(&j.on)]));
        }
        rest.push(Doc::Line);
        rest.push(Doc::text(format!("-> {} {{", self.table_ref(&m.target))));
        let doc = Doc::group(Doc::Cat(vec![
            Doc::text(head),
            Doc::nest(2 * INDENT, Doc::Cat(rest)),
        ]));
        let head = render(&doc, indent, indent, WIDTH);
        let body = self.map_items(&m.items, indent + INDENT, m.span.end);
        if body.is_empty() {
            format!("{head}}}")
        } else {
            format!("{head}\n{body}{}}}", pad(indent))
        }
    }

    fn map_items(&mut self, items: &[MapItem], indent: usize, end: u32) -> String {
        self.block(
            items,
            indent,
            end,
            false,
            map_item_span,
            |p, item| match item {
                MapItem::Assign(a) => Some((Align::Assign, width(&p.assign_left(a)))),
                _ => None,
            },
            |p, item, indent, name_width| p.map_item(item, indent, name_width),
        )
    }

    fn map_item(&mut self, item: &MapItem, indent: usize, name_width: usize) -> String {
        match item {
            MapItem::Where { expr, .. } => {
                let doc = Doc::Cat(vec![Doc::text("where "), self.expr(expr)]);
                render(&doc, indent, indent, WIDTH)
            }
            MapItem::GroupBy { exprs, .. } => {
                let doc = Doc::Cat(vec![
                    Doc::text("group by "),
                    Doc::group(self.list(exprs.iter().map(|e| self.expr(e)).collect())),
                ]);
                render(&doc, indent, indent, WIDTH)
            }
            MapItem::Rule(r) => {
                let id = self.token(r.id.span, || r.id.name.clone());
                let head = format!("rule {id} {}", self.string(&r.title));
                if r.block {
                    let body = self.map_items(&r.items, indent + INDENT, r.span.end);
                    Self::braced(head, body, indent)
                } else {
                    let inner = indent + INDENT;
                    let item = r
                        .items
                        .first()
                        .map(|i| self.map_item(i, inner, 0))
                        .unwrap_or_default();
                    format!("{head}\n{}{item}", pad(inner))
                }
            }
            MapItem::Batch { size, column, span } => format!(
                "batch {} by {}",
                self.number_after(*span, "batch", *size),
                self.ident(column)
            ),
            MapItem::Incremental(inc) => {
                let mut parts = vec![Doc::text(format!(
                    "incremental by {}",
                    self.ident(&inc.column)
                ))];
                if let Some(d) = &inc.skew {
                    parts.push(Doc::Line);
                    parts.push(Doc::text(format!(
                        "skew {}",
                        self.token(d.span, || d.text.clone())
                    )));
                }
                match &inc.deletes {
                    Some(Deletes::When(e)) => {
                        parts.push(Doc::Line);
                        parts.push(Doc::Cat(vec![Doc::text("deletes when "), self.expr(e)]));
                    }
                    Some(Deletes::Missing(_)) => {
                        parts.push(Doc::Line);
                        parts.push(Doc::text("deletes missing"));
                    }
                    None => {}
                }
                let doc = Doc::group(Doc::Nest(INDENT, Box::new(Doc::Cat(parts))));
                render(&doc, indent, indent, WIDTH)
            }
            MapItem::Assign(a) => self.assignment(a, indent, name_width),
            MapItem::Drop(d) => {
                let columns: Vec<String> = d.columns.iter().map(|c| self.dotted(c)).collect();
                let reason = self.string(&d.reason);
                fill_because("drop ", &columns, &reason, indent)
            }
        }
    }

    fn assign_left(&self, a: &Assignment) -> String {
        let target = self.ident(&a.target);
        if a.key {
            format!("key {target}")
        } else {
            target
        }
    }

    fn assignment(&self, a: &Assignment, indent: usize, name_width: usize) -> String {
        let left = format!("{:<name_width$} = ", self.assign_left(a));
        let mut clauses = Vec::new();
        match &a.on_failure {
            Some(OnFailure::Reject { reason, .. }) => {
                clauses.push(Doc::Line);
                clauses.push(Doc::text(format!("else reject {}", self.string(reason))));
            }
            Some(OnFailure::Default { expr, .. }) => {
                clauses.push(Doc::Line);
                clauses.push(Doc::Cat(vec![Doc::text("else "), self.expr(expr)]));
            }
            None => {}
        }
        if let Some(reason) = &a.allow_pii {
            clauses.push(Doc::Line);
            clauses.push(Doc::text(format!("allow pii {}", self.string(reason))));
        }
        let doc = Doc::group(Doc::Cat(vec![
            Doc::text(left),
            self.expr(&a.expr),
            Doc::nest(INDENT, Doc::Cat(clauses)),
        ]));
        render(&doc, indent, indent, WIDTH)
    }

    // ──────────────────────────── Examples ─────────────────────────────

    fn example(&mut self, e: &Example, indent: usize) -> String {
        let head = format!(
            "example {} for {}",
            self.string(&e.name),
            self.map_ref(&e.map)
        );
        let body = self.block(
            &e.items,
            indent + INDENT,
            e.span.end,
            false,
            |i| match i {
                ExampleItem::Given { span, .. }
                | ExampleItem::Expect { span, .. }
                | ExampleItem::ExpectReject { span, .. } => *span,
            },
            |_, _| None,
            |p, item, indent, _| match item {
                ExampleItem::Given {
                    table, rows, span, ..
                } => {
                    let mut head = String::from("given ");
                    if !table.is_empty() {
                        head.push_str(&p.dotted(table));
                        head.push(' ');
                    }
                    p.rows(head, rows, indent, span.end)
                }
                ExampleItem::Expect { rows, span } => {
                    p.rows("expect ".into(), rows, indent, span.end)
                }
                ExampleItem::ExpectReject { rule, reason, .. } => {
                    let mut s = String::from("expect reject ");
                    if let Some(r) = rule {
                        s.push_str(&p.token(r.span, || r.name.clone()));
                        s.push(' ');
                    }
                    s.push_str(&p.string(reason));
                    s
                }
            },
        );
        Self::braced(head, body, indent)
    }

    /// One row inline, several as a list with a row per line.
    fn rows(&mut self, head: String, rows: &[Row], indent: usize, end: u32) -> String {
        match rows {
            [] => format!("{head}[]"),
            [row] if !self.written_as_list(row.span.start) => {
                let text = self.row(row, indent + width(&head));
                format!("{head}{text}")
            }
            _ => {
                let body = self.block(
                    rows,
                    indent + INDENT,
                    end,
                    false,
                    |r| r.span,
                    |_, _| None,
                    |p, row, indent, _| format!("{},", p.row(row, indent)),
                );
                format!("{head}[\n{body}{}]", pad(indent))
            }
        }
    }

    /// `{ a: 1, b: 2 }`, filled to the width with later lines aligned
    /// under the first field.
    fn row(&self, row: &Row, col: usize) -> String {
        if row.fields.is_empty() {
            return "{}".into();
        }
        let fields: Vec<String> = row
            .fields
            .iter()
            .map(|(name, v)| format!("{}: {}", self.ident(name), self.value(v)))
            .collect();
        let one_line = format!("{{ {} }}", fields.join(", "));
        if col + width(&one_line) <= WIDTH {
            return one_line;
        }
        let mut pieces: Vec<String> = fields.iter().map(|f| format!("{f},")).collect();
        if let Some(last) = pieces.last_mut() {
            last.pop();
            last.push_str(" }");
        }
        fill("{ ", &pieces, col + 2)
    }

    // ───────────────────────────── Gates ───────────────────────────────

    fn gate(&mut self, g: &Gate, indent: usize) -> String {
        let timing = match g.timing {
            Timing::BeforeLoad => "before load",
            Timing::AfterLoad => "after load",
        };
        let head = format!("gate {} {timing}", self.ident(&g.name));
        let body = self.block(
            &g.checks,
            indent + INDENT,
            g.span.end,
            false,
            |c| c.span,
            |_, _| None,
            |p, c, indent, _| p.check(c, indent),
        );
        Self::braced(head, body, indent)
    }

    fn check(&self, c: &GateCheck, indent: usize) -> String {
        let kind = match &c.kind {
            CheckKind::Unique(s) => Doc::text(format!("unique {}", self.column_set(s))),
            CheckKind::NotNull(s) => Doc::text(format!("not_null {}", self.column_set(s))),
            CheckKind::Fk { column, to } => Doc::text(match to {
                Some(to) => format!("fk {} -> {}", self.column_set(column), self.column_set(to)),
                None => format!("fk {} resolves", self.column_set(column)),
            }),
            CheckKind::Checksum {
                source,
                target,
                columns,
            } => Doc::text(format!(
                "checksum {} -> {} on {}",
                self.table_ref(source),
                self.table_ref(target),
                self.idents(columns)
            )),
            CheckKind::Sample { rows, map } => {
                let written = self
                    .slice(c.span)
                    .and_then(|t| t.strip_prefix("sample"))
                    .and_then(|t| t.split_whitespace().next())
                    .filter(|n| is_digits(n));
                let mut s = format!(
                    "sample {} recompute",
                    written.map_or_else(|| rows.to_string(), str::to_owned)
                );
                if let Some(m) = map {
                    s.push_str(" for ");
                    s.push_str(&self.map_ref(m));
                }
                Doc::text(s)
            }
            CheckKind::Reconcile { map, show } => {
                let mut s = format!("reconcile {}", self.map_ref(map));
                if let Some(n) = show {
                    s.push_str(" show ");
                    s.push_str(&self.number_after(c.span, "show", *n));
                }
                Doc::text(s)
            }
            CheckKind::AssertRows { table, predicate } => Doc::Cat(vec![
                Doc::text(format!("assert {}: ", self.table_ref(table))),
                self.expr(predicate),
            ]),
            CheckKind::AssertMetric(m) => {
                Doc::Cat(vec![Doc::text("assert "), self.metric_compare(m)])
            }
            CheckKind::Count(m) => self.metric_compare(m),
        };
        let mut options = String::new();
        match c.warn {
            Some((true, _)) => options.push_str(" warn"),
            Some((false, _)) => options.push_str(" error"),
            None => {}
        }
        match &c.tolerance {
            Some(Tolerance::Percent(p)) => {
                options.push_str(" tolerance ");
                options.push_str(&self.token(p.span, || p.text.clone()));
            }
            Some(Tolerance::Rows { count, span }) => {
                options.push_str(" tolerance ");
                options.push_str(&self.token(*span, || count.to_string()));
            }
            None => {}
        }
        let doc = Doc::Cat(vec![kind, Doc::text(options)]);
        render(&doc, indent, indent, WIDTH)
    }

    fn column_set(&self, s: &ColumnSet) -> String {
        match s.columns.as_slice() {
            [one] => format!("{}.{}", self.table_ref(&s.table), self.ident(one)),
            many => format!("{}({})", self.table_ref(&s.table), self.idents(many)),
        }
    }

    fn metric_compare(&self, m: &MetricCompare) -> Doc {
        Doc::Cat(vec![
            self.metric_sum(&m.left),
            Doc::text(format!(" {} ", m.op.symbol())),
            self.metric_sum(&m.right),
        ])
    }

    fn metric_sum(&self, s: &MetricSum) -> Doc {
        let mut parts = Vec::new();
        for (i, (plus, m)) in s.terms.iter().enumerate() {
            if i > 0 {
                parts.push(Doc::text(if *plus { " + " } else { " - " }));
            }
            parts.push(match m {
                Metric::Count {
                    table,
                    filter: None,
                    ..
                } => Doc::text(format!("count {}", self.table_ref(table))),
                Metric::Count {
                    table,
                    filter: Some(f),
                    ..
                } => Doc::Cat(vec![
                    Doc::text(format!("count({} where ", self.table_ref(table))),
                    self.expr(f),
                    Doc::text(")"),
                ]),
                Metric::Rejected { table, .. } => {
                    Doc::text(format!("rejected {}", self.table_ref(table)))
                }
                Metric::Constant { value, span } => {
                    Doc::text(self.token(*span, || value.to_string()))
                }
            });
        }
        Doc::Cat(parts)
    }

    fn rollback(&mut self, r: &Rollback, indent: usize) -> String {
        let body = self.block(
            &r.items,
            indent + INDENT,
            r.span.end,
            false,
            |i| match i {
                RollbackItem::GateFails { span, .. } | RollbackItem::Metric { span, .. } => *span,
                RollbackItem::Strategy(name) => name.span,
            },
            |_, _| None,
            |p, item, indent, _| match item {
                RollbackItem::GateFails { gate, .. } => {
                    format!("when gate {} fails", p.ident(gate))
                }
                RollbackItem::Metric {
                    left, op, right, ..
                } => {
                    let right = match right {
                        Threshold::Percent(pc) => Doc::text(p.token(pc.span, || pc.text.clone())),
                        Threshold::Metric(m) => p.metric_sum(m),
                    };
                    let doc = Doc::Cat(vec![
                        Doc::text("when "),
                        p.metric_sum(left),
                        Doc::text(format!(" {} ", op.symbol())),
                        right,
                    ]);
                    render(&doc, indent, indent, WIDTH)
                }
                RollbackItem::Strategy(name) => format!("strategy {}", p.ident(name)),
            },
        );
        Self::braced("rollback".into(), body, indent)
    }

    fn phase(&mut self, ph: &Phase, indent: usize) -> String {
        let mut head = format!(
            "phase {} {} {}",
            self.ident(&ph.name),
            self.string(&ph.title),
            self.token(ph.duration.span, || ph.duration.text.clone())
        );
        if !ph.after.is_empty() {
            head.push_str(" after ");
            head.push_str(&self.idents(&ph.after));
        }
        if let Some(o) = &ph.owner {
            head.push_str(" owner ");
            head.push_str(&self.string(o));
        }
        if ph.steps.is_empty() {
            return head;
        }
        let body = self.block(
            &ph.steps,
            indent + INDENT,
            ph.span.end,
            false,
            |s| match s {
                Step::Load { span, .. } | Step::Rollback(span) => *span,
                Step::Gate(name) => name.span,
                Step::Manual(s) => s.span,
            },
            |_, _| None,
            |p, step, _, _| match step {
                Step::Load { map: None, .. } => "load".into(),
                Step::Load { map: Some(m), .. } => format!("load {}", p.map_ref(m)),
                Step::Gate(name) => format!("gate {}", p.ident(name)),
                Step::Rollback(_) => "rollback".into(),
                Step::Manual(s) => p.string(s),
            },
        );
        Self::braced(head, body, indent)
    }

    // ─────────────────────────── Expressions ───────────────────────────

    fn expr(&self, e: &Expr) -> Doc {
        self.expr_at(e, 0)
    }

    /// An expression in a context that binds at `min`: parenthesised when
    /// its own operator binds more loosely.
    fn expr_at(&self, e: &Expr, min: u8) -> Doc {
        let doc = self.expr_inner(e);
        if precedence(e) < min {
            Doc::Cat(vec![Doc::text("("), doc, Doc::text(")")])
        } else {
            doc
        }
    }

    fn flat(&self, e: &Expr) -> String {
        render(&self.expr(e), 0, 0, FLAT)
    }

    fn expr_inner(&self, e: &Expr) -> Doc {
        match &e.kind {
            ExprKind::Literal(l) => Doc::text(self.token(e.span, || literal_text(l))),
            ExprKind::Path(parts) => Doc::text(self.dotted(parts)),
            ExprKind::Call { name, args } => self.call(self.ident(name), args),
            ExprKind::Index { lookup, key } => Doc::Cat(vec![
                Doc::text(format!("{}[", self.ident(lookup))),
                self.expr(key),
                Doc::text("]"),
            ]),
            ExprKind::Ref { table, args } => self.call(format!("ref {}", self.dotted(table)), args),
            ExprKind::Cast { expr, ty } => Doc::Cat(vec![
                Doc::text("cast("),
                self.expr(expr),
                Doc::text(format!(" as {})", self.ty(ty))),
            ]),
            ExprKind::Case {
                subject,
                whens,
                otherwise,
            } => {
                let mut head = vec![Doc::text("case")];
                if let Some(s) = subject {
                    head.push(Doc::text(" "));
                    head.push(self.expr(s));
                }
                let mut arms = Vec::new();
                for (w, t) in whens {
                    arms.push(Doc::Line);
                    arms.push(Doc::text("when "));
                    arms.push(self.expr(w));
                    arms.push(Doc::text(" then "));
                    arms.push(self.expr(t));
                }
                if let Some(o) = otherwise {
                    arms.push(Doc::Line);
                    arms.push(Doc::text("else "));
                    arms.push(self.expr(o));
                }
                head.push(Doc::nest(INDENT, Doc::Cat(arms)));
                head.push(Doc::Line);
                head.push(Doc::text("end"));
                Doc::group(Doc::Cat(head))
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => Doc::group(Doc::Cat(vec![
                Doc::text("if "),
                self.expr(cond),
                Doc::nest(
                    INDENT,
                    Doc::Cat(vec![
                        Doc::Line,
                        Doc::text("then "),
                        self.expr(then),
                        Doc::Line,
                        Doc::text("else "),
                        self.expr(otherwise),
                    ]),
                ),
            ])),
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => match &operand.kind {
                ExprKind::Binary {
                    op: BinaryOp::Like,
                    lhs,
                    rhs,
                } => Doc::Cat(vec![
                    self.expr_at(lhs, COMPARE),
                    Doc::text(" not like "),
                    self.expr_at(rhs, COMPARE + 1),
                ]),
                _ => Doc::Cat(vec![Doc::text("not "), self.expr_at(operand, NOT)]),
            },
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => Doc::Cat(vec![Doc::text("-"), self.expr_at(operand, NEG)]),
            ExprKind::Binary { op, .. } => {
                let level = binary_precedence(*op);
                let mut tail = Vec::new();
                let first = self.chain(e, level, &mut tail);
                let mut parts = Vec::new();
                for (op, operand) in tail.into_iter().rev() {
                    parts.push(Doc::Line);
                    parts.push(Doc::text(format!("{} ", op.symbol())));
                    parts.push(self.expr_at(operand, level + 1));
                }
                Doc::group(Doc::Cat(vec![
                    self.expr_at(first, level),
                    Doc::nest(INDENT, Doc::Cat(parts)),
                ]))
            }
            ExprKind::IsNull { operand, negated } => Doc::Cat(vec![
                self.expr_at(operand, COMPARE),
                Doc::text(if *negated { " is not null" } else { " is null" }),
            ]),
            ExprKind::Between {
                operand,
                low,
                high,
                negated,
            } => Doc::Cat(vec![
                self.expr_at(operand, COMPARE),
                Doc::text(if *negated {
                    " not between "
                } else {
                    " between "
                }),
                self.bound(low),
                Doc::text(" and "),
                self.bound(high),
            ]),
            ExprKind::In {
                operand,
                list,
                negated,
            } => Doc::Cat(vec![
                self.expr_at(operand, COMPARE),
                Doc::text(if *negated { " not in " } else { " in " }),
                self.call(String::new(), list),
            ]),
        }
    }

    /// Collects a left-leaning run of operators of one precedence level:
    /// returns its first operand and pushes the others, last first.
    fn chain<'e>(&self, e: &'e Expr, level: u8, tail: &mut Vec<(BinaryOp, &'e Expr)>) -> &'e Expr {
        let mut e = e;
        while let ExprKind::Binary { op, lhs, rhs } = &e.kind {
            if binary_precedence(*op) != level {
                break;
            }
            tail.push((*op, rhs));
            e = lhs;
        }
        e
    }

    /// `name(a, b)`: breaks after `(` and between arguments.
    fn call(&self, name: String, args: &[Expr]) -> Doc {
        let docs = args.iter().map(|a| self.expr(a)).collect();
        Doc::Cat(vec![
            Doc::text(format!("{name}(")),
            self.list_broken(docs),
            Doc::text(")"),
        ])
    }

    fn list_broken(&self, docs: Vec<Doc>) -> Doc {
        if docs.is_empty() {
            return Doc::Cat(Vec::new());
        }
        Doc::group(Doc::Cat(vec![
            Doc::nest(INDENT, Doc::Cat(vec![Doc::SoftLine, self.list(docs)])),
            Doc::SoftLine,
        ]))
    }

    fn list(&self, docs: Vec<Doc>) -> Doc {
        let mut parts = Vec::new();
        for (i, d) in docs.into_iter().enumerate() {
            if i > 0 {
                parts.push(Doc::text(","));
                parts.push(Doc::Line);
            }
            parts.push(d);
        }
        Doc::Cat(parts)
    }

    /// A bound of `between` or a column default: an operand, negated at
    /// most once; anything else in parentheses.
    fn bound(&self, e: &Expr) -> Doc {
        match &e.kind {
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } if precedence(operand) == PRIMARY => {
                Doc::Cat(vec![Doc::text("-"), self.expr_inner(operand)])
            }
            _ if precedence(e) == PRIMARY => self.expr_inner(e),
            _ => Doc::Cat(vec![Doc::text("("), self.expr(e), Doc::text(")")]),
        }
    }

    // ───────────────────────────── Tokens ──────────────────────────────

    fn ident(&self, i: &Ident) -> String {
        self.token(i.span, || ident_text(&i.name))
    }

    fn idents(&self, ids: &[Ident]) -> String {
        ids.iter()
            .map(|i| self.ident(i))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn dotted(&self, ids: &[Ident]) -> String {
        ids.iter()
            .map(|i| self.ident(i))
            .collect::<Vec<_>>()
            .join(".")
    }

    fn table_ref(&self, t: &TableRef) -> String {
        format!("{}.{}", self.ident(&t.system), self.ident(&t.table))
    }

    fn map_ref(&self, m: &MapRef) -> String {
        match m {
            MapRef::Tables { source, target, .. } => {
                format!("{} -> {}", self.table_ref(source), self.table_ref(target))
            }
            MapRef::Name(n) => self.ident(n),
        }
    }

    fn string(&self, s: &Str) -> String {
        self.token(s.span, || quote(&s.value))
    }

    fn value(&self, v: &Value) -> String {
        self.token(v.span, || match &v.kind {
            ValueKind::Str(s) => quote(s),
            ValueKind::Number(n) => n.clone(),
            ValueKind::Bool(b) => b.to_string(),
            ValueKind::Null => "null".into(),
        })
    }
}

/// Pads and aligns trailing comments, then writes the lines.
fn lay_out_entries(mut entries: Vec<Entry>, indent: usize) -> String {
    let last_line_width = |e: &Entry| match e.text.rsplit_once('\n') {
        Some((_, last)) => width(last),
        None => indent + width(&e.text),
    };
    let mut start = 0;
    while start < entries.len() {
        let mut end = start + 1;
        while end < entries.len() && !entries[end].blank_before {
            end += 1;
        }
        let column = entries[start..end]
            .iter()
            .filter(|e| e.comment.is_some())
            .map(last_line_width)
            .max()
            .map(|w| w + 2);
        if let Some(column) = column {
            for e in &mut entries[start..end] {
                if let Some(c) = e.comment.take() {
                    let spaces = column - last_line_width(e);
                    e.text = format!("{}{}{c}", e.text, pad(spaces));
                }
            }
        }
        start = end;
    }
    let mut out = String::new();
    for e in entries {
        if e.blank_before {
            out.push('\n');
        }
        out.push_str(&pad(indent));
        out.push_str(&e.text);
        out.push('\n');
    }
    out
}

/// `drop a, b because "…"` on one line, or the names filled to the width
/// and the reason on a line of its own.
fn fill_because(head: &str, names: &[String], reason: &str, indent: usize) -> String {
    let one_line = format!("{head}{} because {reason}", names.join(", "));
    if indent + width(&one_line) <= WIDTH {
        return one_line;
    }
    let mut pieces: Vec<String> = names.iter().map(|n| format!("{n},")).collect();
    if let Some(last) = pieces.last_mut() {
        last.pop();
    }
    let out = fill(head, &pieces, indent + width(head));
    format!("{out}\n{}because {reason}", pad(indent + INDENT))
}

/// `head` and the pieces, as many to a line as fit in the width; later
/// lines start at column `cont`.
fn fill(head: &str, pieces: &[String], cont: usize) -> String {
    let mut out = String::from(head);
    let mut line_width = cont;
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            if line_width + 1 + width(piece) > WIDTH {
                out.push('\n');
                out.push_str(&pad(cont));
                line_width = cont;
            } else {
                out.push(' ');
                line_width += 1;
            }
        }
        out.push_str(piece);
        line_width += width(piece);
    }
    out
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '_')
}

const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const COMPARE: u8 = 4;
const CONCAT: u8 = 5;
const ADD: u8 = 6;
const MUL: u8 = 7;
const NEG: u8 = 8;
const PRIMARY: u8 = 9;

/// The grammar's binding levels (crates/syntax/src/lower.rs, `PRATT`).
fn binary_precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => OR,
        BinaryOp::And => AND,
        BinaryOp::Eq
        | BinaryOp::Ne
        | BinaryOp::Lt
        | BinaryOp::Le
        | BinaryOp::Gt
        | BinaryOp::Ge
        | BinaryOp::Like => COMPARE,
        BinaryOp::Concat => CONCAT,
        BinaryOp::Add | BinaryOp::Sub => ADD,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => MUL,
    }
}

/// How tightly an expression binds as it is printed. `if` has no closing
/// word, so as an operand it always takes parentheses.
fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary { op, .. } => binary_precedence(*op),
        ExprKind::Unary {
            op: UnaryOp::Not,
            operand,
        } => match operand.kind {
            ExprKind::Binary {
                op: BinaryOp::Like, ..
            } => COMPARE,
            _ => NOT,
        },
        ExprKind::Unary {
            op: UnaryOp::Neg, ..
        } => NEG,
        ExprKind::IsNull { .. } | ExprKind::Between { .. } | ExprKind::In { .. } => COMPARE,
        ExprKind::If { .. } => 0,
        _ => PRIMARY,
    }
}

fn item_span(item: &Item) -> Span {
    match item {
        Item::Migration(x) => x.span,
        Item::System(x) => x.span,
        Item::Lookup(x) => x.span,
        Item::Fn(x) => x.span,
        Item::Map(x) => x.span,
        Item::Example(x) => x.span,
        Item::Gate(x) => x.span,
        Item::Rollback(x) => x.span,
        Item::Phase(x) => x.span,
        Item::DropTable(x) => x.span,
    }
}

fn table_item_span(item: &TableItem) -> Span {
    match item {
        TableItem::Column(c) => c.span,
        TableItem::PrimaryKey { span, .. }
        | TableItem::Unique { span, .. }
        | TableItem::Check { span, .. }
        | TableItem::ForeignKey { span, .. }
        | TableItem::Rows { span, .. } => *span,
    }
}

fn map_item_span(item: &MapItem) -> Span {
    match item {
        MapItem::Where { span, .. }
        | MapItem::GroupBy { span, .. }
        | MapItem::Batch { span, .. } => *span,
        MapItem::Incremental(i) => i.span,
        MapItem::Rule(r) => r.span,
        MapItem::Assign(a) => a.span,
        MapItem::Drop(d) => d.span,
    }
}

/// The words that must be quoted to be names (the grammar's `keyword`).
const RESERVED: [&str; 19] = [
    "and", "as", "between", "case", "cast", "else", "end", "false", "if", "in", "is", "like",
    "not", "null", "or", "ref", "then", "true", "when",
];

/// A name, in backticks unless it is a plain ASCII word that is not
/// reserved (plain Unicode words are quoted too: always valid, if wordy).
fn ident_text(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.contains(&name);
    if plain {
        name.to_owned()
    } else {
        format!("`{}`", name.replace('`', "``"))
    }
}

/// A string literal with the escapes the grammar reads; other control
/// characters as `\u{…}`.
pub fn quote(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn literal_text(l: &Literal) -> String {
    match l {
        Literal::Str(s) => quote(s),
        Literal::Integer(n) => n.to_string(),
        Literal::Decimal(d) => d.clone(),
        Literal::Bool(b) => b.to_string(),
        Literal::Null => "null".into(),
    }
}
