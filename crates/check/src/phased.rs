//! Chunked and incremental loads: a `batch` keyset is a unique, non-null
//! column of the map table (E0341) and holds rows (E0346); neither `batch`
//! nor `incremental` splits a grouped map (E0342); an `incremental` column
//! grows with every change (E0343), `skew` applies to times only (E0345),
//! and a sync finds the rows it changes by the map's key (E0344).

use crate::keys::key_of;
use crate::Checker;
use cutover_diagnostics::{codes, Diagnostic};
use cutover_ir::{MapId, TypeKind};

impl Checker<'_> {
    pub(crate) fn phased(&mut self) {
        let ir = self.ir;
        for (i, m) in ir.maps.iter().enumerate() {
            let id = MapId(i as u32);
            if let Some(b) = &m.batch {
                if b.size == 0 {
                    let d = Diagnostic::new(codes::ZERO_BATCH, "`batch 0` loads nothing")
                        .primary(b.span, "zero rows per chunk")
                        .help("give the number of source rows per chunk, for example `batch 50_000 by …`");
                    self.report(d);
                }
                let table = ir.table(m.source());
                let column = ir.column(b.column);
                let unique = column.unique
                    || table.primary_key == [b.column]
                    || table.uniques.iter().any(|u| u[..] == [b.column]);
                if !unique || column.ty.nullable {
                    let why = if unique {
                        "it may be NULL"
                    } else {
                        "it is not unique"
                    };
                    let key = match table.primary_key.as_slice() {
                        [k] => format!(
                            "batch by the key: `batch {} by {}`",
                            b.size.max(1),
                            ir.column(*k).name
                        ),
                        _ => "batch by a column declared `primary key`, or `unique not null`"
                            .to_owned(),
                    };
                    let d = Diagnostic::new(
                        codes::BATCH_KEY,
                        format!(
                            "`batch by {}`: {why} in `{}`, so chunks could skip or repeat rows",
                            column.name,
                            ir.table_path(m.source())
                        ),
                    )
                    .primary(b.span, "not a unique, non-null key of the map table")
                    .secondary(column.span, "declared here")
                    .help(key);
                    self.report(d);
                }
                if !m.group_by.is_empty() {
                    self.grouped(m.span, b.span, "batch");
                }
            }
            if let Some(inc) = &m.incremental {
                if !m.group_by.is_empty() {
                    self.grouped(m.span, inc.span, "incremental");
                }
                let column = ir.column(inc.column);
                let time = matches!(
                    column.ty.kind,
                    TypeKind::Timestamp | TypeKind::Timestamptz | TypeKind::Date
                );
                let version = matches!(
                    column.ty.kind,
                    TypeKind::SmallInt
                        | TypeKind::Int
                        | TypeKind::BigInt
                        | TypeKind::Decimal { .. }
                );
                if !time && !version && column.ty.kind != TypeKind::Error {
                    let d = Diagnostic::new(
                        codes::INCREMENTAL_COLUMN_TYPE,
                        format!(
                            "`incremental by {}`: a {} column has no order of changes",
                            column.name, column.ty.kind
                        ),
                    )
                    .primary(inc.span, "not a timestamp or a version number")
                    .secondary(column.span, "declared here")
                    .help("sync by the timestamp the source sets on every change (`updated_at`), or by a version number");
                    self.report(d);
                }
                if let (Some(skew), true) = (inc.skew_span, version) {
                    let d = Diagnostic::new(
                        codes::SKEW_ON_VERSION,
                        format!("`skew` on `{}`, a version number, not a time", column.name),
                    )
                    .primary(skew, "a clock skew for a counter")
                    .help("leave `skew` out: a version number comes from a counter, not a clock");
                    self.report(d);
                }
                if key_of(ir, id).is_none() {
                    let d = Diagnostic::new(
                        codes::SYNC_NEEDS_KEY,
                        format!("`incremental` needs a key, but map `{}` has none", m.name),
                    )
                    .primary(inc.span, "cannot find the target row a change belongs to")
                    .help("mark the assignment of the target's primary key with `key`");
                    self.report(d);
                }
            }
        }
    }

    fn grouped(
        &mut self,
        map: cutover_diagnostics::Span,
        at: cutover_diagnostics::Span,
        what: &str,
    ) {
        let d = Diagnostic::new(
            codes::PHASED_GROUPED_MAP,
            format!("`{what}` on a grouped map: a part of a group would make a wrong row"),
        )
        .primary(at, "splits the source rows of a group")
        .secondary(
            cutover_diagnostics::Span::new(map.start, map.start),
            "this map groups with `group by`",
        )
        .help(format!(
            "remove `{what}`: a grouped map loads in one statement"
        ));
        self.report(d);
    }
}
