//! The summary as text for people: a line per item, `+` added, `-`
//! removed, `~` changed, details indented under their item, and whether a
//! change tightens or loosens the migration.

use crate::{
    Effect, FieldChange, GateDiff, LookupDiff, MapDiff, Named, Section, Summary, TableDiff,
};
use std::fmt::Write;

impl Summary {
    /// One line per change; empty when nothing changed.
    pub fn to_text(&self) -> String {
        let mut out = Out::default();
        for c in &self.migration {
            out.line(0, '~', &field("migration", c));
        }
        section(&mut out, "table", &self.tables, None, |out, t| {
            for c in &t.changes {
                out.line(1, '~', &field("", c));
            }
            for c in &t.columns_added {
                out.line(1, '+', &format!("column {c}"));
            }
            for c in &t.columns_removed {
                out.line(1, '-', &format!("column {c}"));
            }
            named(out, "column ", &t.columns_changed);
        });
        section(&mut out, "lookup", &self.lookups, None, |out, l| {
            for e in &l.entries_added {
                out.line(1, '+', &format!("{} => {}", e.key, e.value));
            }
            for e in &l.entries_removed {
                out.line(1, '-', &format!("{} => {}", e.key, e.value));
            }
            for e in &l.entries_changed {
                out.line(1, '~', &format!("{} => {} → {}", e.key, e.old, e.new));
            }
            for c in &l.changes {
                out.line(1, '~', &field("", c));
            }
        });
        section(&mut out, "fn", &self.fns, None, |out, f| {
            for c in &f.changes {
                out.line(1, '~', &field("", c));
            }
        });
        section(&mut out, "map", &self.maps, None, |out, m| {
            for c in &m.changes {
                out.line(1, '~', &field("", c));
            }
            for a in &m.columns_added {
                out.line(1, '+', &assigned(a));
            }
            for a in &m.columns_removed {
                out.line(1, '-', &assigned(a));
            }
            named(out, "", &m.columns_changed);
            for d in &m.drops_added {
                out.line(
                    1,
                    '+',
                    &format!("drop {} because {}", d.column, quoted(&d.reason)),
                );
            }
            for d in &m.drops_removed {
                out.line(
                    1,
                    '-',
                    &format!("drop {} because {}", d.column, quoted(&d.reason)),
                );
            }
            named(out, "drop ", &m.drops_changed);
        });
        for (sign, names) in [('+', &self.examples.added), ('-', &self.examples.removed)] {
            for e in names {
                out.line(0, sign, &format!("example {}", quoted(e)));
            }
        }
        for e in &self.examples.changed {
            out.line(0, '~', &format!("example {}", quoted(e)));
        }
        section(
            &mut out,
            "gate",
            &self.gates,
            Some((Effect::Tightened, Effect::Loosened)),
            |out, g| {
                for c in &g.changes {
                    out.line(1, '~', &field("", c));
                }
                for c in &g.checks_added {
                    out.line(1, '+', &format!("{c}{}", effect(Some(Effect::Tightened))));
                }
                for c in &g.checks_removed {
                    out.line(1, '-', &format!("{c}{}", effect(Some(Effect::Loosened))));
                }
                named(out, "", &g.checks_changed);
            },
        );
        let r = &self.rollback;
        if !r.is_empty() {
            out.line(0, '~', "rollback");
            for t in &r.triggers_added {
                out.line(1, '+', &format!("{t}{}", effect(Some(Effect::Tightened))));
            }
            for t in &r.triggers_removed {
                out.line(1, '-', &format!("{t}{}", effect(Some(Effect::Loosened))));
            }
            named(&mut out, "", &r.triggers_changed);
            for c in &r.changes {
                out.line(1, '~', &field("", c));
            }
        }
        section(&mut out, "phase", &self.phases, None, |out, p| {
            for c in &p.changes {
                out.line(1, '~', &field("", c));
            }
        });
        out.0
    }
}

#[derive(Default)]
struct Out(String);

impl Out {
    fn line(&mut self, depth: usize, sign: char, text: &str) {
        let _ = writeln!(self.0, "{}{sign} {text}", "    ".repeat(depth));
    }
}

/// Added and removed items by name, then each changed one with the lines
/// `details` writes under it.
fn section<T: Item>(
    out: &mut Out,
    kind: &str,
    s: &Section<T>,
    effects: Option<(Effect, Effect)>,
    details: impl Fn(&mut Out, &T),
) {
    for a in &s.added {
        out.line(
            0,
            '+',
            &format!("{kind} {a}{}", effect(effects.map(|e| e.0))),
        );
    }
    for r in &s.removed {
        out.line(
            0,
            '-',
            &format!("{kind} {r}{}", effect(effects.map(|e| e.1))),
        );
    }
    for c in &s.changed {
        out.line(0, '~', &format!("{kind} {}", c.name()));
        details(out, c);
    }
}

/// A changed item of a section.
trait Item {
    fn name(&self) -> &str;
}

macro_rules! items {
    ($($t:ty),*) => {$(
        impl Item for $t {
            fn name(&self) -> &str {
                &self.name
            }
        }
    )*};
}

items!(TableDiff, LookupDiff, Named, MapDiff, GateDiff);

fn named(out: &mut Out, prefix: &str, items: &[Named]) {
    for n in items {
        for c in &n.changes {
            out.line(1, '~', &field(&format!("{prefix}{}", n.name), c));
        }
    }
}

/// `subject field: old → new (effect)`
fn field(subject: &str, c: &FieldChange) -> String {
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_owned());
    let head = [subject, c.field.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "{head}: {} → {}{}",
        show(&c.old),
        show(&c.new),
        effect(c.effect)
    )
}

fn effect(e: Option<Effect>) -> &'static str {
    match e {
        Some(Effect::Tightened) => " (tightened)",
        Some(Effect::Loosened) => " (loosened)",
        None => "",
    }
}

fn assigned(a: &crate::Assigned) -> String {
    match &a.on_failure {
        Some(f) => format!("{} = {} else {f}", a.column, a.transform),
        None => format!("{} = {}", a.column, a.transform),
    }
}

fn quoted(s: &str) -> String {
    crate::text::quoted(s)
}
