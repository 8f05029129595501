//! The timeline model (docs/timeline.md): phases start when every phase
//! they come `after` has finished; a phase's `load` steps are estimated
//! from the source tables' `rows ~` and a throughput, run one after the
//! other from the phase's start; the critical path is the chain of phases
//! that ends last; the total is when it ends. For specs with `incremental`
//! maps, the initial load, the sync cycles, the final sync and the switch
//! are placed on those phases (`Phased`).

use cutover_ir::{AttrValue, CheckKind, Ir, MapId, Step, Timing};

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
    /// The load and sync steps, for specs with `incremental` maps.
    pub phased: Option<Phased>,
}

/// A stretch of the timeline, in minutes from the start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    pub start: f64,
    pub end: f64,
}

impl Window {
    pub fn minutes(&self) -> f64 {
        (self.end - self.start).max(0.0)
    }
}

/// The phased load of a spec with `incremental` maps, placed on its phases.
/// Nothing in a spec says which phase holds the switch or how long a sync
/// takes, so the places follow the steps the phases declare:
///
/// - the initial load is each synced map's load in the last phase that
///   loads it (earlier loads are rehearsals), from that phase's start to
///   the end of its estimated loads, or to the phase's end when a load of
///   it has no estimate;
/// - the final sync, the gates and the switch belong to the last phase
///   that runs an `after load` gate and ends no earlier than the loading
///   phases (else the phase that ends last): they take that phase's time
///   after the initial load (`cut`), and the switch is its end;
/// - the sync cycles run in between (`syncs`), every `sync_every`.
#[derive(Clone, Debug, PartialEq)]
pub struct Phased {
    pub load: Window,
    /// A phase of the initial load is on the critical path.
    pub load_critical: bool,
    /// From the end of the initial load to the final sync.
    pub syncs: Window,
    /// `sync_every` in minutes, when declared as one duration.
    pub every: Option<f64>,
    /// The final sync, the gates before the switch, and the switch at its end.
    pub cut: Window,
    /// The phase of the switch is on the critical path.
    pub cut_critical: bool,
    /// Gates with a `reconcile` check, in spec order.
    pub reconcile: Vec<String>,
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
    // Per phase: minutes of estimated loads, and whether every load had one.
    let mut phase_loads: Vec<(f64, bool)> = Vec::with_capacity(n);
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
        let mut estimated = true;
        for step in &p.steps {
            let maps: Vec<MapId> = match step {
                Step::Load(None) => order.to_vec(),
                Step::Load(Some(m)) => vec![*m],
                _ => continue,
            };
            for m in maps {
                let Some((rows, minutes)) = load_estimate(ir, m, rate) else {
                    estimated = false;
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
        phase_loads.push((loaded, estimated));
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
        phased: phased(ir, order, &starts, &ends, &critical, &phase_loads),
    }
}

/// The phased load on the phases (see `Phased`); None without `incremental`
/// maps or without a phase that loads one.
fn phased(
    ir: &Ir,
    order: &[MapId],
    starts: &[f64],
    ends: &[f64],
    critical: &[usize],
    phase_loads: &[(f64, bool)],
) -> Option<Phased> {
    let loads = |i: usize, m: MapId| {
        ir.phases[i].steps.iter().any(|s| match s {
            Step::Load(None) => order.contains(&m),
            Step::Load(Some(x)) => *x == m,
            _ => false,
        })
    };
    // The later of two phases: by start, then by spec order.
    let later = |a: &usize, b: &usize| starts[*a].total_cmp(&starts[*b]).then(a.cmp(b));
    let mut loading: Vec<usize> = order
        .iter()
        .filter(|m| ir.map(**m).incremental.is_some())
        .filter_map(|m| (0..ir.phases.len()).filter(|i| loads(*i, *m)).max_by(later))
        .collect();
    loading.sort_unstable();
    loading.dedup();
    let load_start = loading.iter().map(|i| starts[*i]).reduce(f64::min)?;
    let load_end = loading
        .iter()
        .map(|i| match phase_loads.get(*i) {
            Some((loaded, true)) => starts[*i] + loaded,
            _ => ends[*i],
        })
        .fold(load_start, f64::max);
    let loading_end = loading.iter().map(|i| ends[*i]).fold(0.0, f64::max);
    let after_load_gate = |i: &usize| {
        ir.phases[*i]
            .steps
            .iter()
            .any(|s| matches!(s, Step::Gate(g) if ir.gate(*g).timing == Timing::AfterLoad))
    };
    let by_end = |a: &usize, b: &usize| ends[*a].total_cmp(&ends[*b]).then(a.cmp(b));
    let cut_phase = (0..ir.phases.len())
        .filter(|i| ends[*i] >= loading_end && after_load_gate(i))
        .max_by(by_end)
        .or_else(|| (0..ir.phases.len()).max_by(by_end))?;
    let cut_start = starts[cut_phase].max(load_end);
    let every = ir
        .migration
        .attributes
        .iter()
        .find(|a| a.name == "sync_every")
        .and_then(|a| match a.values.as_slice() {
            [AttrValue::Minutes(m)] if *m > 0.0 => Some(*m),
            _ => None,
        });
    Some(Phased {
        load: Window {
            start: load_start,
            end: load_end,
        },
        load_critical: loading.iter().any(|i| critical.contains(i)),
        syncs: Window {
            start: load_end,
            end: cut_start,
        },
        every,
        cut: Window {
            start: cut_start,
            end: ends[cut_phase].max(cut_start),
        },
        cut_critical: critical.contains(&cut_phase),
        reconcile: reconciling_gates(ir).map(|g| g.name.clone()).collect(),
    })
}

/// The gates with a `reconcile` check: the reconciliation before the switch.
pub fn reconciling_gates(ir: &Ir) -> impl Iterator<Item = &cutover_ir::Gate> {
    ir.gates.iter().filter(|g| {
        g.checks
            .iter()
            .any(|c| matches!(c.kind, CheckKind::Reconcile { .. }))
    })
}

/// A name as a Mermaid task id: letters, digits and `_`.
pub fn id_part(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}
