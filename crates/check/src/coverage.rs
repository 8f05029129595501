//! Nothing silently lost: every target column is assigned or defaulted
//! (E0310), every source column is used or dropped with a reason (E0311), no
//! column is assigned twice (E0312), every source table is mapped or dropped
//! (E0313), and a dropped column is not also used (E0314).

use crate::facts::columns_read;
use crate::Checker;
use cutover_diagnostics::{codes, Diagnostic};
use cutover_ir::{ColumnId, Role, TableId};
use std::collections::{BTreeSet, HashMap};

impl Checker<'_> {
    pub(crate) fn coverage(&mut self) {
        let ir = self.ir;
        // Columns read or dropped per source table, over every map: a
        // column carried by one map need not be dropped by another.
        let mut read: BTreeSet<ColumnId> = BTreeSet::new();
        let mut dropped: BTreeSet<ColumnId> = BTreeSet::new();
        let mut mapped_tables: BTreeSet<TableId> = BTreeSet::new();
        for map in &ir.maps {
            let mut used: BTreeSet<(u32, ColumnId)> = BTreeSet::new();
            for e in map.expressions() {
                columns_read(e, &mut used);
            }
            // A batch keyset and a sync watermark are read by the load.
            used.extend(map.batch.as_ref().map(|b| (0, b.column)));
            used.extend(map.incremental.as_ref().map(|i| (0, i.column)));
            for s in &map.sources {
                mapped_tables.insert(s.table);
            }
            for d in &map.drops {
                if used.contains(&(d.source, d.column)) {
                    let diag = Diagnostic::new(codes::DROPPED_BUT_USED, format!("`{}` is dropped, but this map uses it", ir.column(d.column).name))
                        .primary(d.span, "dropped here")
                        .help("remove it from `drop`, or stop using it; a column is either carried or dropped");
                    self.report(diag);
                }
                dropped.insert(d.column);
            }
            read.extend(used.iter().map(|(_, c)| *c));

            // Each target column assigned at most once.
            let mut seen: HashMap<ColumnId, cutover_diagnostics::Span> = HashMap::new();
            for a in &map.assignments {
                if let Some(first) = seen.get(&a.target) {
                    let diag = Diagnostic::new(codes::ASSIGNED_TWICE, format!("`{}` is assigned twice in this map", ir.column(a.target).name))
                        .primary(a.target_span, "assigned again here")
                        .secondary(*first, "first assigned here")
                        .help("keep one assignment; combine the logic with `case` or `coalesce` if both were meant");
                    self.report(diag);
                } else {
                    seen.insert(a.target, a.target_span);
                }
            }
            // Every target column assigned or defaulted.
            let missing: Vec<ColumnId> = ir
                .table(map.target)
                .columns
                .iter()
                .copied()
                .filter(|c| !seen.contains_key(c) && ir.column(*c).default.is_none())
                .collect();
            if !missing.is_empty() {
                let names = crate::quoted_columns(ir, &missing);
                let mut diag = Diagnostic::new(
                    codes::UNASSIGNED_TARGET,
                    format!("{} of `{}` {} neither assigned nor defaulted", names, ir.table_path(map.target), if missing.len() == 1 { "is" } else { "are" }),
                )
                .primary(map_header(map), format!("this map leaves {} without a value", names))
                .help("assign each column (`col = expr`, or `col = null` for a deliberate NULL), or give it a `default` in the target table");
                for c in &missing {
                    diag = diag.secondary(ir.column(*c).span, "declared here");
                }
                self.report(diag);
            }
        }

        // Every column of a mapped source table is read or dropped.
        for (i, table) in ir.tables.iter().enumerate() {
            let id = TableId(i as u32);
            if ir.system(table.system).role != Role::Source {
                continue;
            }
            if mapped_tables.contains(&id) {
                if let Some(d) = ir.dropped_tables.iter().find(|d| d.table == id) {
                    let diag = Diagnostic::new(codes::DROPPED_BUT_USED, format!("`{}` is dropped, but a map reads it", ir.table_path(id)))
                        .primary(d.span, "dropped here")
                        .help("remove it from `drop table`, or remove the maps that read it; a table is either migrated or dropped");
                    self.report(diag);
                }
            }
            if !mapped_tables.contains(&id) {
                if !ir.dropped_tables.iter().any(|d| d.table == id) {
                    let diag = Diagnostic::new(
                        codes::UNMAPPED_TABLE,
                        format!(
                            "source table `{}` is neither mapped nor dropped",
                            ir.table_path(id)
                        ),
                    )
                    .primary(table.name_span, "no map reads this table")
                    .help(format!(
                        "write a `map {} -> …`, or `drop table {} because \"…\"`",
                        ir.table_path(id),
                        ir.table_path(id)
                    ));
                    self.report(diag);
                }
                continue;
            }
            for c in table
                .columns
                .iter()
                .copied()
                .filter(|c| !read.contains(c) && !dropped.contains(c))
            {
                let col = ir.column(c);
                let diag = Diagnostic::new(
                    codes::SOURCE_COLUMN_LOST,
                    format!(
                        "source column `{}` is neither used nor dropped",
                        ir.column_path(c)
                    ),
                )
                .primary(col.span, "no map reads this column")
                .help(format!(
                    "use it in a map reading `{}`, or add `drop {} because \"…\"` to one",
                    ir.table_path(id),
                    col.name
                ));
                self.report(diag);
            }
        }
    }
}

/// The span to label a whole map: its header up to the body.
pub(crate) fn map_header(map: &cutover_ir::Map) -> cutover_diagnostics::Span {
    map.sources.first().map_or(map.span, |s| s.span)
}
