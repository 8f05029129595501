//! Every map of a spec, in load order, as a load into empty target tables
//! runs them: a target row whose foreign key finds no row loaded into the
//! parent table is rejected (its parent was rejected, or never existed),
//! so nothing fails as a whole and nothing is lost.

use crate::map::{MapOutput, Rejection, Rows};
use crate::value::key_text;
use crate::Engine;
use cutover_ir::{ForeignKey, Ir, MapId, TableId};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A foreign key of the target, the positions of its columns in a target
/// row, and the keys loaded into its parent table so far.
type ParentCheck<'a> = (&'a ForeignKey, Vec<usize>, HashSet<Vec<String>>);

/// The reason a row is quarantined when its foreign key has no parent row.
pub fn parent_missing(ir: &Ir, fk: &ForeignKey) -> String {
    let cols: Vec<&str> = fk
        .columns
        .iter()
        .map(|c| ir.column(*c).name.as_str())
        .collect();
    format!(
        "`{}`: no row of {} has this key (its parent row was not loaded)",
        cols.join("`, `"),
        ir.table_path(fk.table)
    )
}

impl Engine<'_> {
    /// Runs the maps in `order` (parents first) over the source tables'
    /// rows. A target row whose foreign key (other than to its own table)
    /// finds no row loaded into the parent so far is moved to `rejected`,
    /// with every source row it came from, after all other failures.
    pub fn run_migration(
        &self,
        order: &[MapId],
        inputs: &BTreeMap<TableId, Rows>,
    ) -> Vec<(MapId, MapOutput)> {
        let ir = self.ir;
        let mut loaded: HashMap<TableId, Rows> = HashMap::new();
        let mut outputs = Vec::new();
        for &m in order {
            let map = ir.map(m);
            let ins: Vec<Rows> = map
                .sources
                .iter()
                .map(|s| inputs.get(&s.table).cloned().unwrap_or_default())
                .collect();
            let mut out = self.run_map(m, &ins);
            let target = ir.table(map.target);
            let position = |t: TableId, c| ir.table(t).columns.iter().position(|x| *x == c);
            let mut checks: Vec<ParentCheck<'_>> = Vec::new();
            for fk in target.foreign_keys.iter().filter(|f| f.table != map.target) {
                let parent: Vec<usize> = fk
                    .ref_columns
                    .iter()
                    .filter_map(|c| position(fk.table, *c))
                    .collect();
                let child: Vec<usize> = fk
                    .columns
                    .iter()
                    .filter_map(|c| position(map.target, *c))
                    .collect();
                let keys: HashSet<Vec<String>> = loaded
                    .get(&fk.table)
                    .map(|rows| {
                        rows.iter()
                            .filter_map(|r| parent.iter().map(|p| key_text(&r[*p])).collect())
                            .collect()
                    })
                    .unwrap_or_default();
                checks.push((fk, child, keys));
            }
            if !checks.is_empty() {
                let rows = std::mem::take(&mut out.rows);
                let sources = std::mem::take(&mut out.sources);
                for (row, from) in rows.into_iter().zip(sources) {
                    let missing = checks.iter().find(|(_, child, keys)| {
                        let key: Option<Vec<String>> =
                            child.iter().map(|c| key_text(&row[*c])).collect();
                        key.is_some_and(|k| !keys.contains(&k))
                    });
                    match missing {
                        None => {
                            out.rows.push(row);
                            out.sources.push(from);
                        }
                        Some((fk, _, _)) => {
                            let first = fk.columns[0];
                            let rule = map
                                .assignments
                                .iter()
                                .find(|a| a.target == first)
                                .and_then(|a| a.rule)
                                .and_then(|r| map.rules.get(r))
                                .map(|r| r.id.clone());
                            for i in from {
                                out.rejected.push(Rejection {
                                    row: i,
                                    rule: rule.clone(),
                                    column: Some(first),
                                    reason: parent_missing(ir, fk),
                                });
                            }
                        }
                    }
                }
            }
            loaded
                .entry(map.target)
                .or_default()
                .extend(out.rows.iter().cloned());
            outputs.push((m, out));
        }
        outputs
    }
}
