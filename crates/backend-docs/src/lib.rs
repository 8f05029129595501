//! Cutover's document backend: `runbook.md`, the plan a team prints and
//! follows on cutover night and reviews in a pull request, and
//! `mapping.csv`, the field mapping for spreadsheets. Handlebars templates
//! (strict mode, `templates/`) render a view model built from the IR
//! (`view`); the templates never see the IR itself.

pub mod csv;
pub mod text;
pub mod timeline;
pub mod view;

use handlebars::Handlebars;

/// Where a spec came from, for the headers.
pub use view::Source;

/// A generated file: its path under the build directory and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    pub path: String,
    pub text: String,
}

/// Every template, by name: the runbook and one partial per section.
pub const TEMPLATES: [(&str, &str); 11] = [
    ("runbook", include_str!("../templates/runbook.md.hbs")),
    ("summary", include_str!("../templates/summary.md.hbs")),
    ("scope", include_str!("../templates/scope.md.hbs")),
    ("mapping", include_str!("../templates/mapping.md.hbs")),
    ("rules", include_str!("../templates/rules.md.hbs")),
    ("gates", include_str!("../templates/gates.md.hbs")),
    ("rollback", include_str!("../templates/rollback.md.hbs")),
    ("timeline", include_str!("../templates/timeline.md.hbs")),
    ("checklist", include_str!("../templates/checklist.md.hbs")),
    ("risks", include_str!("../templates/risks.md.hbs")),
    (
        "communication",
        include_str!("../templates/communication.md.hbs"),
    ),
];

/// A template that does not compile or render: a bug of Cutover's, never
/// of the spec.
#[derive(Debug)]
pub struct TemplateError(pub String);

/// The registry with every template, strict (a missing field is an error)
/// and without HTML escaping (the view model escapes for Markdown).
pub fn registry() -> Result<Handlebars<'static>, TemplateError> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    for (name, text) in TEMPLATES {
        hb.register_template_string(name, text)
            .map_err(|e| TemplateError(format!("template {name}: {e}")))?;
    }
    Ok(hb)
}

/// `runbook.md` and `mapping.csv`. `throughput` is a measured rate (rows
/// per second, from a rehearsal) that overrides the spec's own.
pub fn build(
    ir: &cutover_ir::Ir,
    src: &Source<'_>,
    throughput: Option<f64>,
) -> Result<Vec<File>, TemplateError> {
    let model = view::runbook(ir, src, throughput);
    let hb = registry()?;
    let runbook = hb
        .render("runbook", &model)
        .map_err(|e| TemplateError(format!("runbook: {e}")))?;
    Ok(vec![
        File {
            path: "runbook.md".into(),
            text: tidy(&runbook),
        },
        File {
            path: "mapping.csv".into(),
            text: csv::mapping_csv(&model.mapping),
        },
    ])
}

/// Blank lines the templates leave around their blocks folded to one, and
/// one newline at the end.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() && blank > 0 {
            out.push('\n');
        }
        blank = 0;
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_compiles() {
        let hb = super::registry().expect("templates");
        for (name, _) in super::TEMPLATES {
            assert!(hb.has_template(name), "{name}");
        }
    }
}
