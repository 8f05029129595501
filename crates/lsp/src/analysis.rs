//! What the server answers, computed from a document's text and its IR:
//! the symbol under a byte offset, its hover text, where it is declared,
//! and the names that complete a prefix. No IO here.

use cutover_ir::{
    Builtin, ColumnId, Const, Expr, ExprKind, FnId, Func, Ir, LookupId, MapId, Role, SystemId,
    TableId,
};

/// What a position names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Symbol {
    System(SystemId),
    Table(TableId),
    Column(ColumnId),
    Lookup(LookupId),
    Fn(FnId),
    Builtin(Builtin),
    Map(MapId),
    Gate(usize),
    Phase(usize),
}

fn contains(span: cutover_diagnostics::Span, offset: usize) -> bool {
    (span.start as usize) <= offset && offset < (span.end as usize).max(span.start as usize + 1)
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The dotted name around `offset` (`crm.accounts.email`), its start, and
/// how many of its segments reach the offset (hovering `crm` in
/// `crm.accounts` means the system).
fn dotted_at(text: &str, offset: usize) -> Option<(usize, Vec<&str>)> {
    let offset = offset.min(text.len());
    if !text.is_char_boundary(offset) {
        return None;
    }
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c) || *c == '.')
        .last()
        .map_or(offset, |(i, _)| i);
    let end = text[offset..]
        .char_indices()
        .find(|(_, c)| !is_word(*c))
        .map_or(text.len(), |(i, _)| offset + i);
    let whole = &text[start..end];
    if whole.is_empty() {
        return None;
    }
    // The segments up to the one the offset is in.
    let upto = offset - start;
    let mut parts = Vec::new();
    let mut at = 0;
    for seg in whole.split('.') {
        parts.push(seg);
        if at + seg.len() >= upto {
            break;
        }
        at += seg.len() + 1;
    }
    parts.retain(|p| !p.is_empty());
    (!parts.is_empty()).then_some((start, parts))
}

fn table_named(ir: &Ir, system: &str, table: &str) -> Option<TableId> {
    ir.tables
        .iter()
        .position(|t| t.name == table && ir.system(t.system).name == system)
        .map(|i| TableId(i as u32))
}

fn column_named(ir: &Ir, table: TableId, name: &str) -> Option<ColumnId> {
    ir.table(table)
        .columns
        .iter()
        .copied()
        .find(|c| ir.column(*c).name == name)
}

/// The innermost expression symbol at `offset`.
fn in_expr(e: &Expr, offset: usize) -> Option<Symbol> {
    if !contains(e.span, offset) {
        return None;
    }
    for child in e.children() {
        if let Some(s) = in_expr(child, offset) {
            return Some(s);
        }
    }
    match &e.kind {
        ExprKind::Column { column, .. } => Some(Symbol::Column(*column)),
        ExprKind::Lookup { lookup, .. } => Some(Symbol::Lookup(*lookup)),
        ExprKind::Call {
            func: Func::User(f),
            ..
        } => Some(Symbol::Fn(*f)),
        ExprKind::Call {
            func: Func::Builtin(b),
            ..
        } => Some(Symbol::Builtin(*b)),
        ExprKind::Ref { table, .. } => Some(Symbol::Table(*table)),
        _ => None,
    }
}

/// Every expression of the spec whose columns a reader can point at.
fn expressions(ir: &Ir) -> Vec<&Expr> {
    let mut out = Vec::new();
    for m in &ir.maps {
        out.extend(m.expressions());
    }
    for t in &ir.tables {
        out.extend(t.checks.iter());
    }
    for c in &ir.columns {
        out.extend(c.default.iter());
        out.extend(c.checks.iter());
    }
    for f in &ir.fns {
        out.push(&f.body);
    }
    out
}

/// The symbol at `offset`, if it names one.
pub fn symbol_at(text: &str, ir: &Ir, offset: usize) -> Option<Symbol> {
    // The word must be under the cursor, not just the expression.
    let (_, parts) = dotted_at(text, offset)?;
    for e in expressions(ir) {
        if let Some(s) = in_expr(e, offset) {
            if name_of(ir, s).is_some_and(|n| parts.last() == Some(&n.as_str())) {
                return Some(s);
            }
        }
    }
    for m in &ir.maps {
        for a in &m.assignments {
            if contains(a.target_span, offset) {
                return Some(Symbol::Column(a.target));
            }
        }
    }
    resolve_name(ir, &parts, offset)
}

/// The short name a symbol is written with.
fn name_of(ir: &Ir, s: Symbol) -> Option<String> {
    Some(match s {
        Symbol::System(id) => ir.system(id).name.clone(),
        Symbol::Table(id) => ir.table(id).name.clone(),
        Symbol::Column(id) => ir.column(id).name.clone(),
        Symbol::Lookup(id) => ir.lookup(id).name.clone(),
        Symbol::Fn(id) => ir.func(id).name.clone(),
        Symbol::Builtin(b) => b.name().to_owned(),
        Symbol::Map(id) => ir.map(id).name.clone(),
        Symbol::Gate(i) => ir.gates.get(i)?.name.clone(),
        Symbol::Phase(i) => ir.phases.get(i)?.name.clone(),
    })
}

/// A dotted name resolved by itself: `system`, `system.table`,
/// `system.table.column`, a declared name, or a column of the map the
/// offset is in.
fn resolve_name(ir: &Ir, parts: &[&str], offset: usize) -> Option<Symbol> {
    match parts {
        [system, table, column, ..] => {
            let t = table_named(ir, system, table)?;
            column_named(ir, t, column).map(Symbol::Column)
        }
        [first, second] => {
            if let Some(t) = table_named(ir, first, second) {
                return Some(Symbol::Table(t));
            }
            // `alias.column` inside a map.
            let m = ir.maps.iter().find(|m| contains(m.span, offset))?;
            let src = m.sources.iter().find(|s| s.alias == *first)?;
            column_named(ir, src.table, second).map(Symbol::Column)
        }
        [name] => {
            let name = *name;
            if let Some(i) = ir.systems.iter().position(|s| s.name == name) {
                return Some(Symbol::System(SystemId(i as u32)));
            }
            if let Some(i) = ir.lookups.iter().position(|l| l.name == name) {
                return Some(Symbol::Lookup(LookupId(i as u32)));
            }
            if let Some(i) = ir.fns.iter().position(|f| f.name == name) {
                return Some(Symbol::Fn(FnId(i as u32)));
            }
            if let Some(i) = ir.maps.iter().position(|m| m.named && m.name == name) {
                return Some(Symbol::Map(MapId(i as u32)));
            }
            if let Some(i) = ir.gates.iter().position(|g| g.name == name) {
                return Some(Symbol::Gate(i));
            }
            if let Some(i) = ir.phases.iter().position(|p| p.name == name) {
                return Some(Symbol::Phase(i));
            }
            // A column declaration, or a bare column inside a map.
            if let Some(c) = ir
                .columns
                .iter()
                .position(|c| c.name == name && contains(c.span, offset))
            {
                return Some(Symbol::Column(ColumnId(c as u32)));
            }
            let m = ir.maps.iter().find(|m| contains(m.span, offset))?;
            m.sources
                .iter()
                .map(|s| s.table)
                .chain([m.target])
                .find_map(|t| column_named(ir, t, name))
                .map(Symbol::Column)
        }
        [] => None,
    }
}

fn constant(c: &Const) -> String {
    match c {
        Const::Text(t) => format!("{t:?}"),
        Const::Int(i) => i.to_string(),
        Const::Decimal(d) => d.clone(),
        Const::Bool(b) => b.to_string(),
        Const::Null => "null".into(),
    }
}

/// Markdown describing a symbol.
pub fn hover(text: &str, ir: &Ir, s: Symbol, functions_doc: &str) -> String {
    let slice = |span: cutover_diagnostics::Span| -> String {
        text.get(span.start as usize..span.end as usize)
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    match s {
        Symbol::System(id) => {
            let sys = ir.system(id);
            let role = match sys.role {
                Role::Source => "source",
                Role::Target => "target",
            };
            format!(
                "**{role}** `{}`: {}, {} tables",
                sys.name,
                sys.dialect.name(),
                sys.tables.len()
            )
        }
        Symbol::Table(id) => {
            let t = ir.table(id);
            let mut out = format!(
                "**table** `{}`: {} columns",
                ir.table_path(id),
                t.columns.len()
            );
            if let Some(rows) = t.rows {
                out.push_str(&format!(", rows ~ {rows}"));
            }
            if !t.primary_key.is_empty() {
                let pk: Vec<&str> = t
                    .primary_key
                    .iter()
                    .map(|c| ir.column(*c).name.as_str())
                    .collect();
                out.push_str(&format!(", primary key ({})", pk.join(", ")));
            }
            out
        }
        Symbol::Column(id) => {
            let c = ir.column(id);
            let mut out = format!(
                "**column** `{}`: `{}`{}",
                ir.column_path(id),
                c.ty.kind,
                if c.ty.nullable {
                    ", nullable"
                } else {
                    ", not null"
                }
            );
            if c.primary_key {
                out.push_str(", primary key");
            }
            if c.unique {
                out.push_str(", unique");
            }
            if c.pii {
                out.push_str(", **pii**");
            }
            if let Some(r) = c.references {
                out.push_str(&format!(", references `{}`", ir.column_path(r)));
            }
            if let Some(d) = &c.default {
                out.push_str(&format!(", default `{}`", slice(d.span)));
            }
            out
        }
        Symbol::Lookup(id) => {
            let l = ir.lookup(id);
            let mut out = format!(
                "**lookup** `{}`: `{}` → `{}`, {} entries{}\n",
                l.name,
                l.key_type.kind,
                l.value_type.kind,
                l.entries.len(),
                if l.otherwise.is_some() {
                    " (total)"
                } else {
                    " (partial)"
                }
            );
            const SHOWN: usize = 20;
            for e in l.entries.iter().take(SHOWN) {
                let keys: Vec<String> = e.keys.iter().map(|(k, _)| constant(k)).collect();
                out.push_str(&format!(
                    "\n    {} => {}",
                    keys.join(" | "),
                    constant(&e.value)
                ));
            }
            if l.entries.len() > SHOWN {
                out.push_str(&format!("\n    … {} more", l.entries.len() - SHOWN));
            }
            if let Some(o) = &l.otherwise {
                out.push_str(&format!("\n    else => {}", constant(o)));
            }
            out
        }
        Symbol::Fn(id) => {
            let f = ir.func(id);
            let params: Vec<String> = f
                .params
                .iter()
                .map(|p| {
                    format!(
                        "{}: {}{}",
                        p.name,
                        p.ty.kind,
                        if p.ty.nullable { "?" } else { "" }
                    )
                })
                .collect();
            format!(
                "**fn** `{}({}) -> {}`",
                f.name,
                params.join(", "),
                f.ret.kind
            )
        }
        Symbol::Builtin(b) => builtin_doc(functions_doc, b.name())
            .unwrap_or_else(|| format!("**{}**: a built-in function", b.name())),
        Symbol::Map(id) => {
            let m = ir.map(id);
            format!(
                "**map** `{}`: `{}` → `{}`, {} assignments, {} dropped columns",
                m.name,
                ir.table_path(m.source()),
                ir.table_path(m.target),
                m.assignments.len(),
                m.drops.len()
            )
        }
        Symbol::Gate(i) => {
            let g = &ir.gates[i];
            let blocking = g.checks.iter().filter(|c| !c.warn).count();
            format!(
                "**gate** `{}`: {} checks ({blocking} blocking)",
                g.name,
                g.checks.len()
            )
        }
        Symbol::Phase(i) => {
            let p = &ir.phases[i];
            let after: Vec<&str> = p.after.iter().map(|a| ir.phase(*a).name.as_str()).collect();
            let mut out = format!(
                "**phase** `{}` \"{}\": {} minutes",
                p.name, p.title, p.minutes
            );
            if !after.is_empty() {
                out.push_str(&format!(", after {}", after.join(", ")));
            }
            if let Some(o) = &p.owner {
                out.push_str(&format!(", owner {o}"));
            }
            out
        }
    }
}

/// The signature paragraph of `### name` in docs/functions.md.
fn builtin_doc(doc: &str, name: &str) -> Option<String> {
    let heading = format!("### {name}\n");
    let at = doc.find(&heading)? + heading.len();
    let rest = doc[at..].trim_start_matches('\n');
    let paragraph = rest.split("\n\n").next()?;
    Some(paragraph.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Where a symbol is declared: a byte range of its name.
pub fn definition(text: &str, ir: &Ir, s: Symbol) -> Option<(usize, usize)> {
    let named = |span: cutover_diagnostics::Span, name: &str| -> Option<(usize, usize)> {
        let (start, end) = (span.start as usize, span.end as usize);
        let body = text.get(start..end)?;
        // The first whole-word occurrence of the name in the declaration.
        let mut from = 0;
        while let Some(i) = body[from..].find(name) {
            let at = from + i;
            let before = body[..at].chars().next_back();
            let after = body[at + name.len()..].chars().next();
            if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
                return Some((start + at, start + at + name.len()));
            }
            from = at + name.len();
        }
        Some((start, start))
    };
    match s {
        Symbol::System(id) => {
            let sp = ir.system(id).name_span;
            Some((sp.start as usize, sp.end as usize))
        }
        Symbol::Table(id) => {
            let sp = ir.table(id).name_span;
            Some((sp.start as usize, sp.end as usize))
        }
        Symbol::Column(id) => {
            let c = ir.column(id);
            named(c.span, &c.name)
        }
        Symbol::Lookup(id) => named(ir.lookup(id).span, &ir.lookup(id).name),
        Symbol::Fn(id) => named(ir.func(id).span, &ir.func(id).name),
        Symbol::Map(id) => named(ir.map(id).span, &ir.map(id).name),
        Symbol::Gate(i) => ir.gates.get(i).and_then(|g| named(g.span, &g.name)),
        Symbol::Phase(i) => ir.phases.get(i).and_then(|p| named(p.span, &p.name)),
        Symbol::Builtin(_) => None,
    }
}

/// A completion: the text to insert, its kind, a detail line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    System,
    Table,
    Column,
}

/// Table and column names for the prefix before `offset`: after
/// `system.` that system's tables, after `system.table.` (or a map's
/// `alias.`) its columns, otherwise every table and, inside a map, the
/// columns of its sources and target.
pub fn complete(text: &str, ir: &Ir, offset: usize) -> Vec<Completion> {
    let offset = offset.min(text.len());
    let before = match text.get(..offset) {
        Some(b) => b,
        None => return Vec::new(),
    };
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c) || *c == '.')
        .last()
        .map_or(offset, |(i, _)| i);
    let typed = &before[start..];
    let qualifier: Vec<&str> = match typed.rfind('.') {
        Some(dot) => typed[..dot].split('.').collect(),
        None => Vec::new(),
    };
    let columns_of = |t: TableId| -> Vec<Completion> {
        ir.table(t)
            .columns
            .iter()
            .map(|c| {
                let col = ir.column(*c);
                Completion {
                    label: col.name.clone(),
                    kind: CompletionKind::Column,
                    detail: format!("{} {}", ir.column_path(*c), col.ty),
                }
            })
            .collect()
    };
    let in_map = ir.maps.iter().find(|m| contains(m.span, offset));
    match qualifier.as_slice() {
        [system] => {
            if let Some(m) = in_map {
                if let Some(s) = m.sources.iter().find(|s| s.alias == *system) {
                    return columns_of(s.table);
                }
            }
            ir.tables
                .iter()
                .enumerate()
                .filter(|(_, t)| ir.system(t.system).name == *system)
                .map(|(i, t)| Completion {
                    label: t.name.clone(),
                    kind: CompletionKind::Table,
                    detail: format!("table {}", ir.table_path(TableId(i as u32))),
                })
                .collect()
        }
        [system, table] => table_named(ir, system, table)
            .map(columns_of)
            .unwrap_or_default(),
        [] => {
            let mut out: Vec<Completion> = ir
                .systems
                .iter()
                .map(|s| Completion {
                    label: s.name.clone(),
                    kind: CompletionKind::System,
                    detail: format!("{} system", s.dialect.name()),
                })
                .collect();
            out.extend((0..ir.tables.len()).map(|i| {
                let path = ir.table_path(TableId(i as u32));
                Completion {
                    label: path.clone(),
                    kind: CompletionKind::Table,
                    detail: format!("table {path}"),
                }
            }));
            if let Some(m) = in_map {
                let mut seen: Vec<TableId> = Vec::new();
                for t in m.sources.iter().map(|s| s.table).chain([m.target]) {
                    if !seen.contains(&t) {
                        seen.push(t);
                        out.extend(columns_of(t));
                    }
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_names_stop_at_the_segment_under_the_offset() {
        let t = "x = crm.accounts.email + 1";
        let at = |needle: &str| t.find(needle).expect("needle");
        assert_eq!(dotted_at(t, at("crm")).map(|p| p.1), Some(vec!["crm"]));
        assert_eq!(
            dotted_at(t, at("accounts") + 2).map(|p| p.1),
            Some(vec!["crm", "accounts"])
        );
        assert_eq!(
            dotted_at(t, at("email") + 4).map(|p| p.1),
            Some(vec!["crm", "accounts", "email"])
        );
        assert_eq!(dotted_at(t, at("+")).map(|p| p.1), None);
    }

    #[test]
    fn builtin_docs_are_the_signature_paragraph() {
        let doc = "### lpad\n\n`lpad(text, n: int) -> text`; pads.\nMore.\n\nExamples.\n";
        assert_eq!(
            builtin_doc(doc, "lpad").as_deref(),
            Some("`lpad(text, n: int) -> text`; pads. More.")
        );
        assert_eq!(builtin_doc(doc, "rpad"), None);
    }
}
