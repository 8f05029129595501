//! Typed IR expressions as Python statements over `cutover_runtime` (`rt`).
//!
//! A failure is a raised `rt.Fail` whose message is the evaluator's, so it
//! propagates as `?` does in the evaluator; the map function turns it into
//! a rejection. Evaluation order and short-circuits follow
//! `cutover_eval::Engine::eval` exactly: `and`/`or`/`coalesce`/`case`/`in`
//! and `fn` calls skip what the evaluator skips.
//!
//! Code is emitted already in `ruff format`'s layout: an expression whose
//! line would pass [`LINE`] columns has its operands moved into temporaries
//! first (in evaluation order, so the first failure is still the
//! evaluator's), and short-circuits become `if` statements. Constants are
//! folded by the evaluator and named once at module level.

use cutover_eval::{walk, Engine, Value};
use cutover_ir::{
    BinaryOp, Builtin, ColumnId, Const, Expr, ExprKind, Func, Ir, TableId, TypeKind, UnaryOp,
};
use std::cell::{Cell, RefCell};

/// `ruff format`'s default line length.
pub const LINE: usize = 88;

/// Room kept for what leads a value's line: `return ` or `t12 = `.
const HEAD: usize = 8;

/// A construct the Python backend cannot generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported(pub String);

/// How column references read: `row["col"]` for the first source,
/// `row["alias.col"]` for joined ones; in a group, through `group[0]`.
#[derive(Clone, Copy)]
pub enum Rows<'a> {
    /// One joined row, a dict named `row`.
    Row(&'a [String]),
    /// A group of joined rows, a list named `group`.
    Group(&'a [String]),
    /// Inside a `fn` body: parameters are `p0`, `p1`, …
    Params,
    /// Inside a key function: these columns are its parameters `k0`, `k1`, …
    Bound(&'a [ColumnId]),
}

/// Statements of a function body, indented.
#[derive(Default)]
pub struct Block {
    pub lines: Vec<String>,
    /// Indentation level (4 spaces each).
    pub depth: usize,
}

impl Block {
    pub fn new(depth: usize) -> Block {
        Block {
            lines: Vec::new(),
            depth,
        }
    }

    pub fn push(&mut self, line: impl AsRef<str>) {
        self.lines
            .push(format!("{}{}", "    ".repeat(self.depth), line.as_ref()));
    }

    /// Room for an expression on a line `lead` starts at this depth.
    fn room(&self, lead: usize) -> usize {
        LINE.saturating_sub(self.depth * 4 + lead)
    }

    pub fn nested(&self) -> Block {
        Block::new(self.depth + 1)
    }

    pub fn append(&mut self, other: Block) {
        self.lines.extend(other.lines);
    }

    /// Statements one level deeper, written by `f`.
    pub fn within(&mut self, f: impl FnOnce(&mut Block)) {
        let mut inner = self.nested();
        f(&mut inner);
        self.append(inner);
    }
}

/// A compiled expression: Python text, and whether it is an atom (a name,
/// constant or row read: cannot fail, costs nothing to repeat).
#[derive(Clone, Debug)]
pub struct Code {
    pub text: String,
    pub atom: bool,
    /// The text is an operator expression (`x is None`) that needs
    /// parentheses inside another expression.
    pub bare: bool,
}

impl Code {
    fn atom(text: impl Into<String>) -> Code {
        Code {
            text: text.into(),
            atom: true,
            bare: false,
        }
    }

    fn call(text: String) -> Code {
        Code {
            text,
            atom: false,
            bare: false,
        }
    }

    /// The text to embed inside another expression.
    fn inner(&self) -> String {
        if self.bare {
            format!("({})", self.text)
        } else {
            self.text.clone()
        }
    }
}

/// Compiles expressions of one module; collects its constants.
pub struct Py<'a> {
    ir: &'a Ir,
    engine: Engine<'a>,
    /// Module-level constants: (name, Python expression).
    pub constants: RefCell<Vec<(String, String)>>,
    temps: Cell<usize>,
    /// Tables whose key function (for `ref`) the module must define.
    pub keys_used: RefCell<Vec<TableId>>,
}

/// Display width as `ruff format` counts it: East Asian wide characters
/// take two columns.
pub fn width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let o = c as u32;
            let wide = (0x1100..=0x115f).contains(&o)
                || (0x2e80..=0xa4cf).contains(&o)
                || (0xac00..=0xd7a3).contains(&o)
                || (0xf900..=0xfaff).contains(&o)
                || (0xfe30..=0xfe4f).contains(&o)
                || (0xff00..=0xff60).contains(&o)
                || (0xffe0..=0xffe6).contains(&o)
                || (0x1f300..=0x1f64f).contains(&o)
                || (0x20000..=0x3fffd).contains(&o);
            if wide {
                2
            } else {
                1
            }
        })
        .sum()
}

/// A Python string literal as `ruff format` writes it: double quotes,
/// unless single quotes need fewer escapes; escapes for control and
/// non-printing characters only, so non-ASCII text stays readable.
pub fn string(s: &str) -> String {
    let doubles = s.matches('"').count();
    let singles = s.matches('\'').count();
    let quote = if doubles > singles { '\'' } else { '"' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control()
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{200b}'..='\u{200f}'
                ) =>
            {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// A type as the runtime spells it.
pub fn ty(kind: TypeKind) -> String {
    string(&kind.to_string())
}

/// `head(args…)` laid out as `ruff format` does when it is the value of a
/// statement starting with `lead` (`x = `, `return `): on one line if it
/// fits, else the arguments on one indented line, else one per line.
pub fn call_lines(b: &mut Block, lead: &str, head: &str, args: &[String]) {
    call_lines_then(b, lead, head, args, "");
}

/// [`call_lines`] with `tail` after the closing parenthesis (` from None`).
pub fn call_lines_then(b: &mut Block, lead: &str, head: &str, args: &[String], tail: &str) {
    let one = format!("{lead}{head}({}){tail}", args.join(", "));
    if width(&one) + b.depth * 4 <= LINE {
        b.push(one);
        return;
    }
    b.push(format!("{lead}{head}("));
    let joined = args.join(", ");
    let inner = b.nested();
    if width(&joined) + inner.depth * 4 <= LINE && !args.is_empty() {
        b.push(format!("    {joined}"));
    } else {
        for a in args {
            b.push(format!("    {a},"));
        }
    }
    b.push(format!("){tail}"));
}

impl<'a> Py<'a> {
    pub fn new(ir: &'a Ir) -> Py<'a> {
        // Folding never reads the clock.
        let epoch = chrono::NaiveDate::from_ymd_opt(2000, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        Py {
            ir,
            engine: Engine::new(ir, epoch),
            constants: RefCell::new(Vec::new()),
            temps: Cell::new(0),
            keys_used: RefCell::new(Vec::new()),
        }
    }

    fn temp(&self) -> String {
        let n = self.temps.get();
        self.temps.set(n + 1);
        format!("t{n}")
    }

    /// Starts a new function: temporaries are local to it.
    pub fn reset_temps(&self) {
        self.temps.set(0);
    }

    /// A module constant holding `value` of type `kind` (or the literal
    /// itself for booleans, integers and short texts).
    pub fn constant(&self, value: &Value, kind: TypeKind) -> String {
        let Some(text) = value.to_text() else {
            return "None".into();
        };
        match (value, kind) {
            (Value::Bool(b), _) => return if *b { "True".into() } else { "False".into() },
            (Value::Int(i), k) if k.is_integer() => return i.to_string(),
            (Value::Text(_), k) if k.is_text() && width(&text) <= 40 => return string(&text),
            _ => {}
        }
        let expr = if matches!(value, Value::Text(_)) && kind.is_text() {
            string(&text)
        } else {
            format!("rt.cast({}, {})", string(&text), ty(kind))
        };
        self.named(expr)
    }

    /// `e` as a value: statements it needs go to `b`.
    pub fn expr(&self, e: &Expr, rows: Rows<'_>, b: &mut Block) -> Result<Code, Unsupported> {
        if is_constant(e) {
            return Ok(match self.engine.eval_constant(e) {
                Ok(v) => Code::atom(self.constant(&v, e.ty.kind)),
                // A constant that always fails fails where it is used.
                Err(f) => Code::call(format!("rt.fail({})", string(&f.0))),
            });
        }
        let ir = self.ir;
        match &e.kind {
            ExprKind::Literal(c) => Ok(Code::atom(self.literal(c, e.ty.kind))),
            ExprKind::Column { source, column } => {
                Ok(Code::atom(self.column(*source, *column, rows)))
            }
            ExprKind::Param(i) => Ok(Code::atom(format!("p{i}"))),
            ExprKind::Call { func, args } => self.call(*func, args, e.ty.kind, rows, b),
            ExprKind::Lookup { lookup, key } => {
                let l = &ir.lookups[lookup.0 as usize];
                let table = lookup_name(&l.name);
                // Text keys are the table's keys as they are; others go
                // through rt.lookup_key (1.50 finds the entry of 1.5).
                let raw = raw_keys(l);
                if let Some(c) = &l.otherwise {
                    // A total lookup: the table never holds NULL as a key.
                    let otherwise = self.literal(c, l.value_type.kind);
                    return self.strict(&[key], rows, b, |a| {
                        if raw {
                            format!("{table}.get({}, {otherwise})", a[0])
                        } else {
                            format!("{table}.get(rt.lookup_key({}), {otherwise})", a[0])
                        }
                    });
                }
                let helper = if raw { "_lookup_text" } else { "_lookup" };
                let name = string(&l.name);
                self.strict(&[key], rows, b, |a| {
                    format!("{helper}({table}, {}, {name})", a[0])
                })
            }
            ExprKind::Ref { table, args } => {
                {
                    let mut used = self.keys_used.borrow_mut();
                    if !used.contains(table) {
                        used.push(*table);
                    }
                }
                let name = key_function(ir, *table);
                let parts: Vec<&Expr> = args.iter().collect();
                self.strict(&parts, rows, b, |a| format!("{name}({})", a.join(", ")))
            }
            ExprKind::Cast { expr, to } => {
                let t = ty(to.kind);
                self.strict(&[expr], rows, b, |a| format!("rt.cast({}, {t})", a[0]))
            }
            ExprKind::Case {
                subject,
                whens,
                otherwise,
            } => self.case(e, subject.as_deref(), whens, otherwise.as_deref(), rows, b),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let c = self.expr(cond, rows, b)?;
                let c = self.fit(b, c, 12);
                let r = self.temp();
                b.push(format!("if {} is True:", c.inner()));
                let mut yes = b.nested();
                let v = self.typed(then, e.ty.kind, rows, &mut yes)?;
                self.assign(&mut yes, &r, &v);
                b.append(yes);
                b.push("else:");
                let mut no = b.nested();
                let v = self.typed(otherwise, e.ty.kind, rows, &mut no)?;
                self.assign(&mut no, &r, &v);
                b.append(no);
                Ok(Code::atom(r))
            }
            ExprKind::Unary { op, operand } => match op {
                UnaryOp::Not => self.strict(&[operand], rows, b, |a| format!("_not3({})", a[0])),
                UnaryOp::Neg => {
                    let t = ty(e.ty.kind);
                    self.strict(&[operand], rows, b, |a| format!("rt.negate({}, {t})", a[0]))
                }
            },
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, e.ty.kind, rows, b),
            ExprKind::IsNull { operand, negated } => {
                let not = if *negated { "not " } else { "" };
                let mut c =
                    self.strict(&[operand], rows, b, |a| format!("{} is {not}None", a[0]))?;
                c.bare = true;
                Ok(c)
            }
            ExprKind::Between {
                operand,
                low,
                high,
                negated,
            } => {
                // All three are evaluated, in order, the operand once.
                let mut parts = Vec::new();
                for x in [operand, low, high] {
                    let c = self.expr(x, rows, b)?;
                    parts.push(if c.atom { c } else { self.hoist(b, &c) });
                }
                let (v, lo, hi) = (&parts[0].text, &parts[1].text, &parts[2].text);
                let ge = format!("rt.compare(\">=\", {v}, {lo})");
                let le = format!("rt.compare(\"<=\", {v}, {hi})");
                let mut text = format!("_and3({ge}, {le})");
                if width(&text) + 7 > b.room(HEAD) {
                    let (g, l) = (self.temp(), self.temp());
                    b.push(format!("{g} = {ge}"));
                    b.push(format!("{l} = {le}"));
                    text = format!("_and3({g}, {l})");
                }
                Ok(Code::call(if *negated {
                    format!("_not3({text})")
                } else {
                    text
                }))
            }
            ExprKind::In {
                operand,
                list,
                negated,
            } => self.in_list(operand, list, *negated, rows, b),
            ExprKind::Error => Err(Unsupported("an expression that did not compile".into())),
        }
    }

    /// `target = value` (parentheses of an operator expression dropped, as
    /// `ruff format` drops them).
    pub fn assign(&self, b: &mut Block, target: &str, value: &Code) {
        b.push(format!("{target} = {}", value.text));
    }

    /// The value in a temporary: an atom from now on.
    fn hoist(&self, b: &mut Block, value: &Code) -> Code {
        let t = self.temp();
        self.assign(b, &t, value);
        Code::atom(t)
    }

    /// A strict construct: every part evaluated, in order, then combined by
    /// `build`. Parts that needed statements of their own are evaluated in
    /// order with the ones before them; a result too long for one line has
    /// its parts moved into temporaries.
    fn strict(
        &self,
        parts: &[&Expr],
        rows: Rows<'_>,
        b: &mut Block,
        build: impl Fn(&[String]) -> String,
    ) -> Result<Code, Unsupported> {
        let mut codes: Vec<Code> = Vec::with_capacity(parts.len());
        for p in parts {
            let mut sub = Block::new(b.depth);
            let c = self.expr(p, rows, &mut sub)?;
            if !sub.lines.is_empty() {
                for prev in codes.iter_mut().filter(|c| !c.atom) {
                    *prev = self.hoist(b, prev);
                }
                b.append(sub);
            }
            codes.push(c);
        }
        let texts: Vec<String> = codes.iter().map(Code::inner).collect();
        let text = build(&texts);
        // `return ` or `tNN = ` leads the line the value may end up on.
        if width(&text) <= b.room(HEAD) {
            return Ok(Code::call(text));
        }
        for c in codes.iter_mut().filter(|c| !c.atom) {
            *c = self.hoist(b, c);
        }
        let texts: Vec<String> = codes.iter().map(Code::inner).collect();
        let text = build(&texts);
        if width(&text) <= b.room(HEAD) {
            return Ok(Code::call(text));
        }
        // Still too long: long strings become module constants.
        for c in codes.iter_mut() {
            if c.atom && (c.text.starts_with('"') || c.text.starts_with('\'')) && c.text.len() > 8 {
                *c = Code::atom(self.named(c.text.clone()));
            }
        }
        let texts: Vec<String> = codes.iter().map(Code::inner).collect();
        Ok(Code::call(build(&texts)))
    }

    /// A module constant for a Python expression.
    fn named(&self, expr: String) -> String {
        let mut constants = self.constants.borrow_mut();
        if let Some((name, _)) = constants.iter().find(|(_, e)| *e == expr) {
            return name.clone();
        }
        let name = format!("_C{}", constants.len());
        constants.push((name.clone(), expr));
        name
    }

    /// `code` ready to sit in a line of `extra` more columns: in a
    /// temporary when the line would be too long.
    fn fit(&self, b: &mut Block, code: Code, extra: usize) -> Code {
        if code.atom || width(&code.text) + extra <= b.room(0) {
            code
        } else {
            self.hoist(b, &code)
        }
    }

    /// A `case`/`if` branch in the type of the whole expression.
    fn typed(
        &self,
        e: &Expr,
        kind: TypeKind,
        rows: Rows<'_>,
        b: &mut Block,
    ) -> Result<Code, Unsupported> {
        if e.ty.kind == kind || kind.is_text() {
            return self.expr(e, rows, b);
        }
        let t = ty(kind);
        self.strict(&[e], rows, b, |a| format!("rt.cast({}, {t})", a[0]))
    }

    fn case(
        &self,
        e: &Expr,
        subject: Option<&Expr>,
        whens: &[(Expr, Expr)],
        otherwise: Option<&Expr>,
        rows: Rows<'_>,
        b: &mut Block,
    ) -> Result<Code, Unsupported> {
        // The subject is evaluated once, first.
        let subject = match subject {
            Some(s) => {
                let c = self.expr(s, rows, b)?;
                Some(if c.atom { c } else { self.hoist(b, &c) })
            }
            None => None,
        };
        if whens.is_empty() {
            return match otherwise {
                Some(o) => self.typed(o, e.ty.kind, rows, b),
                None => Ok(Code::atom("None")),
            };
        }
        let r = self.temp();
        // Conditions that need statements of their own are evaluated only
        // when no earlier one hit: a flag keeps the nesting flat.
        let mut conds = Vec::new();
        for (w, _) in whens {
            let mut sub = Block::new(b.depth + 1);
            let c = self.expr(w, rows, &mut sub)?;
            let extra = 12 + subject.as_ref().map_or(0, |s| s.text.len() + 22);
            let c = self.fit(&mut sub, c, extra);
            let test = match &subject {
                Some(s) => format!("rt.compare(\"==\", {}, {}) is True", s.text, c.inner()),
                None => format!("{} is True", c.inner()),
            };
            conds.push((sub, test));
        }
        let flat = conds.iter().all(|(sub, _)| sub.lines.is_empty());
        if flat {
            for (i, ((_, test), (_, then))) in conds.iter().zip(whens).enumerate() {
                b.push(format!("{} {test}:", if i == 0 { "if" } else { "elif" }));
                let mut yes = b.nested();
                let v = self.typed(then, e.ty.kind, rows, &mut yes)?;
                self.assign(&mut yes, &r, &v);
                b.append(yes);
            }
            let mut no = b.nested();
            match otherwise {
                Some(o) => {
                    let v = self.typed(o, e.ty.kind, rows, &mut no)?;
                    self.assign(&mut no, &r, &v);
                }
                None => no.push(format!("{r} = None")),
            }
            b.push("else:");
            b.append(no);
            return Ok(Code::atom(r));
        }
        let hit = self.temp();
        b.push(format!("{hit} = False"));
        for (i, ((sub, test), (_, then))) in conds.into_iter().zip(whens).enumerate() {
            let mut inner = if i == 0 {
                Block::new(b.depth)
            } else {
                b.push(format!("if not {hit}:"));
                b.nested()
            };
            // The condition's own statements were compiled one level in.
            for l in sub.lines {
                let l = if i == 0 {
                    l.strip_prefix("    ").map(str::to_string).unwrap_or(l)
                } else {
                    l
                };
                inner.lines.push(l);
            }
            inner.push(format!("if {test}:"));
            let mut yes = inner.nested();
            yes.push(format!("{hit} = True"));
            let v = self.typed(then, e.ty.kind, rows, &mut yes)?;
            self.assign(&mut yes, &r, &v);
            inner.append(yes);
            b.append(inner);
        }
        b.push(format!("if not {hit}:"));
        let mut no = b.nested();
        match otherwise {
            Some(o) => {
                let v = self.typed(o, e.ty.kind, rows, &mut no)?;
                self.assign(&mut no, &r, &v);
            }
            None => no.push(format!("{r} = None")),
        }
        b.append(no);
        Ok(Code::atom(r))
    }

    fn in_list(
        &self,
        operand: &Expr,
        list: &[Expr],
        negated: bool,
        rows: Rows<'_>,
        b: &mut Block,
    ) -> Result<Code, Unsupported> {
        let v = self.expr(operand, rows, b)?;
        let v = if v.atom { v } else { self.hoist(b, &v) };
        let wrap = |s: String| if negated { format!("_not3({s})") } else { s };
        // Constant items (the usual case): one call over a tuple.
        let mut items = Vec::new();
        for item in list {
            let mut sub = Block::new(b.depth);
            let c = self.expr(item, rows, &mut sub)?;
            if !c.atom || !sub.lines.is_empty() {
                items.clear();
                break;
            }
            items.push(c.text);
        }
        if items.len() == list.len() {
            let tuple = if items.len() == 1 {
                format!("({},)", items[0])
            } else {
                format!("({})", items.join(", "))
            };
            let text = wrap(format!("_in3({}, {tuple})", v.text));
            if width(&text) <= b.room(HEAD) {
                return Ok(Code::call(text));
            }
        }
        // Items after the first match are not evaluated.
        let r = self.temp();
        let hit = self.temp();
        b.push(format!("{r} = False"));
        for item in list {
            b.push(format!("if {r} is not True:"));
            let mut inner = b.nested();
            let c = self.expr(item, rows, &mut inner)?;
            let c = self.fit(&mut inner, c, v.text.len() + 30);
            inner.push(format!(
                "{hit} = rt.compare(\"==\", {}, {})",
                v.text,
                c.inner()
            ));
            inner.push(format!(
                "{r} = True if {hit} is True else ({r} if {hit} is False else None)"
            ));
            b.append(inner);
        }
        if negated {
            b.push(format!("{r} = _not3({r})"));
        }
        Ok(Code::atom(r))
    }

    fn literal(&self, c: &Const, kind: TypeKind) -> String {
        match cutover_eval::literal(c, kind) {
            Ok(v) => self.constant(&v, kind),
            Err(f) => format!("rt.fail({})", string(&f.0)),
        }
    }

    fn column(&self, source: u32, column: ColumnId, rows: Rows<'_>) -> String {
        let name = &self.ir.column(column).name;
        match rows {
            Rows::Row(prefixes) => format!("row[{}]", string(&key(prefixes, source, name))),
            Rows::Group(prefixes) => format!("group[0][{}]", string(&key(prefixes, source, name))),
            Rows::Params => "None".into(),
            Rows::Bound(cols) => match cols.iter().position(|c| *c == column) {
                Some(i) => format!("k{i}"),
                None => "None".into(),
            },
        }
    }

    fn binary(
        &self,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        result: TypeKind,
        rows: Rows<'_>,
        b: &mut Block,
    ) -> Result<Code, Unsupported> {
        match op {
            // Three-valued, and the right side only when the left does not
            // decide.
            BinaryOp::And | BinaryOp::Or => {
                let (decided, combine) = if op == BinaryOp::And {
                    ("False", "_and3")
                } else {
                    ("True", "_or3")
                };
                let l = self.expr(lhs, rows, b)?;
                let l = self.fit(b, l, 16);
                let t = self.temp();
                b.push(format!("{t} = _truth({})", l.text));
                b.push(format!("if {t} is not {decided}:"));
                let mut inner = b.nested();
                let r = self.expr(rhs, rows, &mut inner)?;
                let v = format!("{combine}({t}, _truth({}))", r.inner());
                if width(&v) <= inner.room(t.len() + 3) {
                    inner.push(format!("{t} = {v}"));
                } else {
                    let r = self.hoist(&mut inner, &r);
                    inner.push(format!("{t} = {combine}({t}, _truth({}))", r.text));
                }
                b.append(inner);
                Ok(Code::atom(t))
            }
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => {
                let sym = string(op.symbol());
                self.strict(&[lhs, rhs], rows, b, |a| {
                    format!("rt.compare({sym}, {}, {})", a[0], a[1])
                })
            }
            BinaryOp::Like => self.strict(&[lhs, rhs], rows, b, |a| {
                format!("_like({}, {})", a[0], a[1])
            }),
            BinaryOp::Concat => self.strict(&[lhs, rhs], rows, b, |a| {
                format!("_concat({}, {})", a[0], a[1])
            }),
            _ => {
                let sym = string(op.symbol());
                let t = ty(result);
                self.strict(&[lhs, rhs], rows, b, |a| {
                    format!("rt.arith({sym}, {}, {}, {t})", a[0], a[1])
                })
            }
        }
    }

    fn call(
        &self,
        func: Func,
        args: &[Expr],
        result: TypeKind,
        rows: Rows<'_>,
        b: &mut Block,
    ) -> Result<Code, Unsupported> {
        let ir = self.ir;
        match func {
            Func::Builtin(Builtin::Now) => Ok(Code::atom("now")),
            Func::Builtin(f) if f.is_aggregate() => {
                let Rows::Group(prefixes) = rows else {
                    return Err(Unsupported("an aggregate outside a `group by` map".into()));
                };
                if f == Builtin::Count && args.is_empty() {
                    return Ok(Code::call("len(group)".into()));
                }
                let Some(arg) = args.first() else {
                    return Err(Unsupported(format!("{} without an argument", f.name())));
                };
                // The argument per row of the group: inline when it needs no
                // statements, else a local function.
                let mut each_block = Block::new(b.depth + 1);
                let each = self.expr(arg, Rows::Row(prefixes), &mut each_block)?;
                let values = if each_block.lines.is_empty() {
                    format!("[{} for row in group]", each.text)
                } else {
                    let name = self.temp();
                    b.lines.push(String::new());
                    b.push(format!("def {name}(row: Row) -> Any:"));
                    b.append(each_block);
                    b.push(format!("    return {}", each.text));
                    b.lines.push(String::new());
                    format!("[{name}(row) for row in group]")
                };
                let text = format!("rt.agg({}, {values}, {})", string(f.name()), ty(result));
                if width(&text) <= b.room(HEAD) {
                    return Ok(Code::call(text));
                }
                let v = self.temp();
                b.push(format!("{v} = {values}"));
                Ok(Code::call(format!(
                    "rt.agg({}, {v}, {})",
                    string(f.name()),
                    ty(result)
                )))
            }
            Func::Builtin(Builtin::Coalesce) => {
                // The first non-NULL argument; the rest are not evaluated.
                let r = self.temp();
                let mut block_depth = 0;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        b.push(format!("{}if {r} is None:", "    ".repeat(block_depth)));
                        block_depth += 1;
                    }
                    let mut inner = Block::new(b.depth + block_depth);
                    let c = self.expr(a, rows, &mut inner)?;
                    self.assign(&mut inner, &r, &c);
                    for l in inner.lines {
                        b.lines.push(l);
                    }
                }
                if result.is_numeric() {
                    b.push(format!("if {r} is not None:"));
                    b.push(format!("    {r} = rt.cast({r}, {})", ty(result)));
                }
                Ok(Code::atom(r))
            }
            Func::Builtin(f) if direct(f, args) => self.direct(f, args, rows, b),
            Func::Builtin(f) => {
                let parts: Vec<&Expr> = args.iter().collect();
                let name = string(f.name());
                let t = ty(result);
                self.strict(&parts, rows, b, |a| {
                    format!("rt.call({name}, [{}], {t})", a.join(", "))
                })
            }
            Func::User(id) => {
                let f = ir.func(id);
                // Strict: a NULL for a parameter without `?` gives NULL, and
                // later arguments are not evaluated.
                let r = self.temp();
                b.push(format!("{r} = None"));
                let mut names = Vec::new();
                let mut depth = 0;
                for (a, p) in args.iter().zip(&f.params) {
                    let mut inner = Block::new(b.depth + depth);
                    let c = self.expr(a, rows, &mut inner)?;
                    let t = self.temp();
                    inner.push(format!("{t} = rt.cast({}, {})", c.text, ty(p.ty.kind)));
                    b.lines.extend(inner.lines);
                    if !p.ty.nullable {
                        b.push(format!("{}if {t} is not None:", "    ".repeat(depth)));
                        depth += 1;
                    }
                    names.push(t);
                }
                let mut last = Block::new(b.depth + depth);
                call_lines(
                    &mut last,
                    &format!("{r} = "),
                    "rt.cast",
                    &[
                        format!("{}({})", fn_name(&f.name), names.join(", ")),
                        ty(f.ret.kind),
                    ],
                );
                b.lines.extend(last.lines);
                Ok(Code::atom(r))
            }
        }
    }
}

/// Whether a lookup's table is keyed by its texts as they are: a text
/// equals a key exactly when it is that text, and nothing else equals a
/// text.
pub fn raw_keys(l: &cutover_ir::Lookup) -> bool {
    l.key_type.kind.is_text()
}

/// Whether [`Py::direct`] compiles this call: the common text built-ins
/// whose arguments have the types they take.
fn direct(f: Builtin, args: &[Expr]) -> bool {
    let text = |i: usize| args.get(i).is_some_and(|a| a.ty.kind.is_text());
    match f {
        Builtin::Trim | Builtin::Ltrim | Builtin::Rtrim | Builtin::Upper | Builtin::Lower => {
            args.len() == 1 && text(0)
        }
        Builtin::Nullif | Builtin::ParseDate => args.len() == 2 && text(0) && text(1),
        Builtin::UuidV5 => !args.is_empty() && text(0),
        _ => false,
    }
}

impl Py<'_> {
    /// A built-in as Python itself or one runtime function, instead of
    /// `rt.call`'s dispatch by name: what most assignments are made of.
    fn direct(
        &self,
        f: Builtin,
        args: &[Expr],
        rows: Rows<'_>,
        b: &mut Block,
    ) -> Result<Code, Unsupported> {
        let parts: Vec<&Expr> = args.iter().collect();
        let strip = match f {
            Builtin::Trim => "strip",
            Builtin::Ltrim => "lstrip",
            Builtin::Rtrim => "rstrip",
            Builtin::Nullif => {
                // NULLIF of two texts: NULL when equal (never when either
                // is NULL, and `None == "x"` is False).
                let (mut x, mut y) = self.atoms(&parts, rows, b)?;
                let text = |x: &Code, y: &Code| {
                    format!("None if {} == {} else {}", x.text, y.text, x.text)
                };
                if width(&text(&x, &y)) > b.room(HEAD) {
                    x = self.hoist(b, &x);
                    y = self.hoist(b, &y);
                }
                return Ok(self.conditional(text(&x, &y)));
            }
            Builtin::Upper | Builtin::Lower | Builtin::ParseDate | Builtin::UuidV5 => {
                let name = match f {
                    Builtin::Upper => "rt.upper",
                    Builtin::Lower => "rt.lower",
                    Builtin::ParseDate => "rt.parse_date",
                    _ => "rt.uuid_v5",
                };
                return self.strict(&parts, rows, b, |a| format!("{name}({})", a.join(", ")));
            }
            _ => return Err(Unsupported(format!("{} compiled directly", f.name()))),
        };
        let c = self.expr(&args[0], rows, b)?;
        let x = if c.atom { c } else { self.hoist(b, &c) };
        let text = |x: &str| format!("None if {x} is None else {x}.{strip}(rt.WHITESPACE)");
        if width(&text(&x.text)) <= b.room(HEAD) {
            return Ok(self.conditional(text(&x.text)));
        }
        let t = self.hoist(b, &x);
        Ok(self.conditional(text(&t.text)))
    }

    /// The first two of `parts` as atoms, evaluated in order.
    fn atoms(
        &self,
        parts: &[&Expr],
        rows: Rows<'_>,
        b: &mut Block,
    ) -> Result<(Code, Code), Unsupported> {
        let x = self.expr(parts[0], rows, b)?;
        let x = if x.atom { x } else { self.hoist(b, &x) };
        let y = self.expr(parts[1], rows, b)?;
        let y = if y.atom { y } else { self.hoist(b, &y) };
        Ok((x, y))
    }

    /// A conditional expression: parenthesized when nested, as `ruff
    /// format` keeps it.
    fn conditional(&self, text: String) -> Code {
        Code {
            text,
            atom: false,
            bare: true,
        }
    }
}

/// The key a column has in a row dict.
pub fn key(prefixes: &[String], source: u32, column: &str) -> String {
    if source == 0 {
        column.to_string()
    } else {
        format!(
            "{}.{column}",
            prefixes
                .get(source as usize)
                .map(String::as_str)
                .unwrap_or("?")
        )
    }
}

pub fn lookup_name(name: &str) -> String {
    format!("LOOKUP_{}", python_name(name).to_uppercase())
}

pub fn fn_name(name: &str) -> String {
    format!("fn_{}", python_name(name))
}

pub fn key_function(ir: &Ir, table: TableId) -> String {
    format!("key_{}", python_name(&ir.table(table).name))
}

/// A Python identifier for a spec name (which may hold any character).
pub fn python_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_string();
    match out.chars().next() {
        None => "x".into(),
        Some(c) if c.is_ascii_digit() => format!("x_{out}"),
        _ => out,
    }
}

/// No column, parameter, clock or aggregate: the evaluator can fold it.
fn is_constant(e: &Expr) -> bool {
    let mut constant = true;
    walk(e, &mut |x| match &x.kind {
        ExprKind::Column { .. } | ExprKind::Param(_) | ExprKind::Error => constant = false,
        ExprKind::Call {
            func: Func::Builtin(b),
            ..
        } if b.is_aggregate() || !b.is_deterministic() => constant = false,
        ExprKind::Call {
            func: Func::User(_),
            ..
        }
        | ExprKind::Ref { .. } => constant = false,
        _ => {}
    });
    constant
}

/// The entries of a lookup: (key, value) Python expressions, first entry
/// of a repeated key kept (as the evaluator keeps it).
pub fn lookup_entries(py: &Py<'_>, l: &cutover_ir::Lookup) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for e in &l.entries {
        for (k, _) in &e.keys {
            let key_value = cutover_eval::literal(k, l.key_type.kind).ok();
            let text = key_value.as_ref().and_then(cutover_eval::value::key_text);
            if let Some(t) = text {
                if !seen.insert(t) {
                    continue;
                }
            }
            out.push((
                py.literal(k, l.key_type.kind),
                py.literal(&e.value, l.value_type.kind),
            ));
        }
    }
    out
}
