//! A DDL script cut into statements at the token level, before any
//! statement is parsed: so that statements the reader ignores never need to
//! parse (sqlparser does not know `ALTER SEQUENCE … OWNED BY` or
//! `CREATE SEQUENCE … NO MINVALUE`), and so that texts the model keeps
//! (checks, view bodies) are cut from the source as written.

use crate::model::ImportError;
use sqlparser::dialect::Dialect;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

/// The script's text and where its lines start, to turn token locations
/// back into text.
pub(super) struct Source<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Source<'a> {
    pub(super) fn new(text: &'a str) -> Source<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Source { text, line_starts }
    }

    /// The byte offset of a location (1-based line and character column).
    fn offset(&self, at: Location) -> usize {
        let Some(&start) = usize::try_from(at.line)
            .ok()
            .and_then(|l| l.checked_sub(1))
            .and_then(|l| self.line_starts.get(l))
        else {
            return self.text.len();
        };
        let column = usize::try_from(at.column.saturating_sub(1)).unwrap_or(usize::MAX);
        self.text[start..]
            .char_indices()
            .nth(column)
            .map_or(self.text.len(), |(i, _)| start + i)
    }

    /// The text from the start of token `first` to the end of token `last`.
    pub(super) fn between(&self, first: &TokenWithSpan, last: &TokenWithSpan) -> &'a str {
        let (from, to) = (self.offset(first.span.start), self.offset(last.span.end));
        self.text.get(from..to.max(from)).unwrap_or("")
    }
}

/// `line L, column C`.
pub(super) fn at(location: Location) -> String {
    format!("line {}, column {}", location.line, location.column)
}

/// One statement's tokens, without the `;` and without whitespace and
/// comments.
pub(super) struct Statement {
    pub tokens: Vec<TokenWithSpan>,
}

impl Statement {
    pub(super) fn start(&self) -> Location {
        self.tokens
            .first()
            .map_or(Location { line: 0, column: 0 }, |t| t.span.start)
    }

    /// The upper-cased unquoted words the statement starts with, up to `n`.
    pub(super) fn leading_words(&self, n: usize) -> Vec<String> {
        self.tokens
            .iter()
            .take(n)
            .map_while(|t| match &t.token {
                Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
                _ => None,
            })
            .collect()
    }

    pub(super) fn is_word(&self, i: usize, word: &str) -> bool {
        matches!(self.tokens.get(i).map(|t| &t.token),
            Some(Token::Word(w)) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
    }

    /// The statement's first line, shortened, to name it in a message.
    pub(super) fn head(&self, source: &Source<'_>) -> String {
        let (Some(first), Some(last)) = (self.tokens.first(), self.tokens.last()) else {
            return String::new();
        };
        let text = source.between(first, last);
        let line = text.lines().next().unwrap_or("").trim();
        let mut head: String = line.chars().take(60).collect();
        if head.len() < line.len() || text.contains('\n') {
            head.push('…');
        }
        head
    }

    /// The index of the token closing the parenthesis opened at `open`.
    pub(super) fn closing(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for (i, t) in self.tokens.iter().enumerate().skip(open) {
            match t.token {
                Token::LParen => depth += 1,
                Token::RParen => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The text inside each `CHECK (…)`, in the order written.
    pub(super) fn checks(&self, source: &Source<'_>) -> Vec<String> {
        let mut out = Vec::new();
        for i in 0..self.tokens.len() {
            if self.is_word(i, "CHECK")
                && matches!(
                    self.tokens.get(i + 1).map(|t| &t.token),
                    Some(Token::LParen)
                )
            {
                if let Some(close) = self.closing(i + 1) {
                    if close > i + 2 {
                        let text = source.between(&self.tokens[i + 2], &self.tokens[close - 1]);
                        out.push(text.trim().to_owned());
                    }
                }
            }
        }
        out
    }

    /// The text after the first `AS` outside parentheses: a view's body.
    pub(super) fn after_as(&self, source: &Source<'_>) -> Option<String> {
        let mut depth = 0i32;
        for (i, t) in self.tokens.iter().enumerate() {
            match &t.token {
                Token::LParen => depth += 1,
                Token::RParen => depth -= 1,
                _ if depth == 0 && self.is_word(i, "AS") => {
                    let (first, last) = (self.tokens.get(i + 1)?, self.tokens.last()?);
                    return Some(source.between(first, last).trim().to_owned());
                }
                _ => {}
            }
        }
        None
    }

    /// The tokens with `IDENTITY (sequence options)` shortened to
    /// `IDENTITY` (the options say nothing the model holds, and sqlparser
    /// does not read `SEQUENCE NAME` among them) and `CREATE PROCEDURE`
    /// read as `CREATE FUNCTION` (sqlparser reads only PostgreSQL's
    /// functions, and the two are written alike).
    pub(super) fn for_parser(&self) -> Vec<TokenWithSpan> {
        let mut out = Vec::with_capacity(self.tokens.len() + 1);
        let mut i = 0;
        while i < self.tokens.len() {
            let t = &self.tokens[i];
            if self.is_word(i, "IDENTITY")
                && matches!(
                    self.tokens.get(i + 1).map(|t| &t.token),
                    Some(Token::LParen)
                )
            {
                if let Some(close) = self.closing(i + 1) {
                    out.push(t.clone());
                    i = close + 1;
                    continue;
                }
            }
            let procedure = self.is_word(i, "PROCEDURE")
                && (self.is_word(0, "CREATE")
                    && (i == 1 || (i == 3 && self.is_word(2, "REPLACE"))));
            if procedure {
                let mut t = t.clone();
                t.token = Token::make_keyword("FUNCTION");
                out.push(t);
            } else {
                out.push(t.clone());
            }
            i += 1;
        }
        out
    }
}

/// psql's meta-commands (`\restrict …`, which pg_dump writes since 2025,
/// `\connect`) are not SQL: their lines are blanked, keeping line numbers.
fn without_meta_commands(sql: &str) -> String {
    sql.split('\n')
        .map(|line| {
            if line.trim_start().starts_with('\\') {
                ""
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The script's statements.
pub(super) fn statements(
    sql: &str,
    dialect: &dyn Dialect,
) -> Result<(String, Vec<Statement>), ImportError> {
    let text = without_meta_commands(sql);
    let tokens = Tokenizer::new(dialect, &text)
        .tokenize_with_location()
        .map_err(|e| ImportError {
            message: e.message,
            at: at(e.location),
        })?;
    let mut out = Vec::new();
    let mut current = Statement { tokens: Vec::new() };
    for t in tokens {
        match &t.token {
            Token::Whitespace(_) | Token::EOF => {}
            Token::SemiColon if !in_body(&current) => {
                if !current.tokens.is_empty() {
                    out.push(std::mem::replace(
                        &mut current,
                        Statement { tokens: Vec::new() },
                    ));
                }
            }
            _ => current.tokens.push(t),
        }
    }
    if !current.tokens.is_empty() {
        out.push(current);
    }
    Ok((text, out))
}

/// Whether a `;` belongs to a `BEGIN … END` body (a SQLite trigger, a
/// PostgreSQL `BEGIN ATOMIC` function): the statement has a `BEGIN` after
/// its first word and does not end with `END` yet.
fn in_body(s: &Statement) -> bool {
    let begins = (1..s.tokens.len()).any(|i| s.is_word(i, "BEGIN"));
    begins && !s.tokens.is_empty() && !s.is_word(s.tokens.len() - 1, "END")
}
