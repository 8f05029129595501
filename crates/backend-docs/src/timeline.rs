//! The timeline model (docs/timeline.md): phases start when every phase
//! they come `after` has finished; a phase's `load` steps are estimated
//! from the source tables' `rows ~` and a throughput, run one after the
//! other from the phase's start; the critical path is the chain of phases
//! that ends last; the total is when it ends.

use cutover_ir::{Ir, MapId, Step};

/// Where the throughput figure comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Throughput {
    /// `throughput N/s` in the migration header.
    Declared(f64),
    /// Measured by a rehearsal and passed to `build`.
    Measured(f64),
    None,
}

impl Throughput {
    pub fn rows_per_second(&self) -> Option<f64> {
        match self {
            Throughput::Declared(r) | Throughput::Measured(r) if *r > 0.0 => Some(*r),
            _ => None,
        }
    }
}

/// One bar of the chart: a phase, or the estimated load of a map in one.
#[derive(Clone, Debug)]
pub struct Item {
    pub id: String,
    pub title: String,
    /// Minutes from the start of the first phase.
    pub start: f64,
    pub minutes: f64,
    pub after: Vec<String>,
    pub owner: Option<String>,
    pub critical: bool,
    /// The phase a load estimate belongs to.
    pub phase: Option<String>,
    /// Rows read, for a load estimate.
    pub rows: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct Timeline {
    /// Phases in spec order, each followed by its load estimates.
    pub items: Vec<Item>,
    pub total: f64,
    /// Phase names on the critical path, first to last.
    pub critical_path: Vec<String>,
    /// Minutes to load every map at the throughput (None without one, or
    /// when a table has no `rows ~`).
    pub load_minutes: Option<f64>,
    /// Phases whose load estimate is longer than the phase.
    pub overruns: Vec<(String, f64, f64)>,
    /// Maps whose source table has no `rows ~`.
    pub unestimated: Vec<String>,
}

/// The minutes a map's load takes at `per_second`, from its first source
/// table's `rows ~`.
pub fn load_estimate(ir: &Ir, map: MapId, per_second: Option<f64>) -> Option<(u64, f64)> {
    let rows = ir.table(ir.map(map).source()).rows?;
    let rate = per_second?;
    Some((rows, rows as f64 / rate / 60.0))
}

pub fn timeline(ir: &Ir, order: &[MapId], throughput: &Throughput) -> Timeline {
    let rate = throughput.rows_per_second();
    let mut ends: Vec<f64> = Vec::with_capacity(ir.phases.len());
    let mut starts: Vec<f64> = Vec::with_capacity(ir.phases.len());
    // Phases may name later phases in `after`: settle starts until stable
    // (the checker refuses cycles, E0108; the bound guards anyway).
    let n = ir.phases.len();
    starts.resize(n, 0.0);
    ends.resize(n, 0.0);
    for _ in 0..=n {
        let mut changed = false;
        for (i, p) in ir.phases.iter().enumerate() {
            let start = p
                .after
                .iter()
                .map(|a| ends.get(a.index()).copied().unwrap_or(0.0))
                .fold(0.0, f64::max);
            let end = start + p.minutes;
            if start != starts[i] || end != ends[i] {
                starts[i] = start;
                ends[i] = end;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let total = ends.iter().copied().fold(0.0, f64::max);
    // Back from the phase that ends last, through the predecessor that
    // ends when it starts.
    let mut critical: Vec<usize> = Vec::new();
    if let Some(last) = (0..n).rev().max_by(|a, b| ends[*a].total_cmp(&ends[*b])) {
        let mut at = Some(last);
        while let Some(i) = at {
            if critical.contains(&i) {
                break;
            }
            critical.push(i);
            at = ir.phases[i]
                .after
                .iter()
                .map(|a| a.index())
                .filter(|a| *a < n && (ends[*a] - starts[i]).abs() < 1e-9)
                .min();
        }
    }
    critical.reverse();

    let mut items = Vec::new();
    let mut overruns = Vec::new();
    for (i, p) in ir.phases.iter().enumerate() {
        items.push(Item {
            id: p.name.clone(),
            title: p.title.clone(),
            start: starts[i],
            minutes: p.minutes,
            after: p
                .after
                .iter()
                .map(|a| ir.phases[a.index()].name.clone())
                .collect(),
            owner: p.owner.clone(),
            critical: critical.contains(&i),
            phase: None,
            rows: None,
        });
        let mut at = starts[i];
        let mut loaded = 0.0;
        for step in &p.steps {
            let maps: Vec<MapId> = match step {
                Step::Load(None) => order.to_vec(),
                Step::Load(Some(m)) => vec![*m],
                _ => continue,
            };
            for m in maps {
                let Some((rows, minutes)) = load_estimate(ir, m, rate) else {
                    continue;
                };
                items.push(Item {
                    id: format!("{}_load_{}", p.name, id_part(&ir.map(m).name)),
                    title: format!("Load {}", ir.map(m).name),
                    start: at,
                    minutes,
                    after: Vec::new(),
                    owner: p.owner.clone(),
                    critical: critical.contains(&i),
                    phase: Some(p.name.clone()),
                    rows: Some(rows),
                });
                at += minutes;
                loaded += minutes;
            }
        }
        if loaded > p.minutes {
            overruns.push((p.name.clone(), loaded, p.minutes));
        }
    }
    let mut unestimated = Vec::new();
    let mut load_minutes = Some(0.0);
    for m in order {
        match load_estimate(ir, *m, rate) {
            Some((_, minutes)) => load_minutes = load_minutes.map(|t| t + minutes),
            None => {
                if ir.table(ir.map(*m).source()).rows.is_none() {
                    unestimated.push(ir.map(*m).name.clone());
                }
                load_minutes = None;
            }
        }
    }
    Timeline {
        items,
        total,
        critical_path: critical
            .iter()
            .map(|i| ir.phases[*i].name.clone())
            .collect(),
        load_minutes,
        overruns,
        unestimated,
    }
}

/// A name as a Mermaid task id: letters, digits and `_`.
pub fn id_part(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}
