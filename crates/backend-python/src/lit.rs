//! Python literals (calls, tuples, dicts) laid out as `ruff format` lays
//! them out: on one line if it fits, else a call's arguments on one
//! indented line, else one item per line with a trailing comma.

use crate::expr::{width, LINE};

#[derive(Clone, Debug)]
pub enum Lit {
    /// Text that is never split: a name, a string, a number.
    Atom(String),
    /// `head(items…)`
    Call(String, Vec<Lit>),
    /// `(items…)`, with the trailing comma of a 1-tuple.
    Tuple(Vec<Lit>),
    /// `{key: value, …}`
    Dict(Vec<(String, Lit)>),
    /// `[items…]`
    List(Vec<Lit>),
}

impl Lit {
    fn parts(&self) -> (String, Vec<(String, &Lit)>, &'static str) {
        match self {
            Lit::Atom(_) => (String::new(), Vec::new(), ""),
            Lit::Call(head, items) => (
                format!("{head}("),
                items.iter().map(|i| (String::new(), i)).collect(),
                ")",
            ),
            Lit::Tuple(items) => (
                "(".into(),
                items.iter().map(|i| (String::new(), i)).collect(),
                ")",
            ),
            Lit::List(items) => (
                "[".into(),
                items.iter().map(|i| (String::new(), i)).collect(),
                "]",
            ),
            Lit::Dict(items) => (
                "{".into(),
                items.iter().map(|(k, v)| (format!("{k}: "), v)).collect(),
                "}",
            ),
        }
    }

    /// On one line.
    pub fn inline(&self) -> String {
        if let Lit::Atom(a) = self {
            return a.clone();
        }
        let (open, items, close) = self.parts();
        let mut body: Vec<String> = items
            .iter()
            .map(|(k, v)| format!("{k}{}", v.inline()))
            .collect();
        if matches!(self, Lit::Tuple(_)) && body.len() == 1 {
            body[0].push(',');
        }
        format!("{open}{}{close}", body.join(", "))
    }

    /// `lead` + the literal + `trail`, at `depth`, as lines.
    pub fn lines(&self, depth: usize, lead: &str, trail: &str) -> Vec<String> {
        let pad = "    ".repeat(depth);
        let one = format!("{pad}{lead}{}{trail}", self.inline());
        if width(&one) <= LINE || matches!(self, Lit::Atom(_)) {
            return vec![one];
        }
        let (open, items, close) = self.parts();
        let mut out = vec![format!("{pad}{lead}{open}")];
        let inner_pad = "    ".repeat(depth + 1);
        let mut hug: Vec<String> = items
            .iter()
            .map(|(k, v)| format!("{k}{}", v.inline()))
            .collect();
        if matches!(self, Lit::Tuple(_)) && hug.len() == 1 {
            hug[0].push(',');
        }
        let hugged = format!("{inner_pad}{}", hug.join(", "));
        // A call's arguments may share one line; a split collection
        // (tuple, list, dict) gets one item per line and a trailing comma.
        let collection = !matches!(self, Lit::Call(..));
        if !collection && !items.is_empty() && width(&hugged) <= LINE {
            out.push(hugged);
        } else {
            for (k, v) in items {
                out.extend(v.lines(depth + 1, &k, ","));
            }
        }
        out.push(format!("{pad}{close}{trail}"));
        out
    }

    pub fn statement(&self, depth: usize, lead: &str) -> Vec<String> {
        self.lines(depth, lead, "")
    }
}
