//! `cutover lsp`: a language server over stdio (JSON-RPC with
//! Content-Length framing, lsp-server's message types). It publishes the
//! diagnostics `cutover check` reports, on open and on every change, and
//! answers hover, go-to-definition and completion from the document's IR
//! (`analysis`), and formatting with `cutover fmt`'s layout. A malformed message gets a JSON-RPC error response and the
//! server reads on; it stops at `exit` or at the end of its input.

pub mod analysis;

use cutover_diagnostics::Severity;
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionOptions, Diagnostic, DiagnosticSeverity,
    GotoDefinitionResponse, Hover, HoverContents, HoverProviderCapability, InitializeResult,
    Location, MarkupContent, MarkupKind, NumberOrString, OneOf, Position, PublishDiagnosticsParams,
    Range, ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextEdit, Uri,
};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{self, BufRead, Write};

/// docs/functions.md, for the hover of built-in functions.
const FUNCTIONS_DOC: &str = include_str!("../../../docs/functions.md");

/// Byte offsets ↔ LSP positions (lines and UTF-16 code units).
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let character = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.encode_utf16().count());
        Position::new(line as u32, character as u32)
    }

    pub fn offset(&self, p: Position) -> usize {
        let Some(&start) = self.starts.get(p.line as usize) else {
            return self.text.len();
        };
        let mut units = 0u32;
        for (i, c) in self.text[start..].char_indices() {
            if units >= p.character || c == '\n' {
                return start + i;
            }
            units += c.len_utf16() as u32;
        }
        self.text.len()
    }

    pub fn range(&self, start: usize, end: usize) -> Range {
        Range::new(self.position(start), self.position(end))
    }
}

/// The diagnostics of `cutover check` for a document.
pub fn diagnostics(text: &str) -> Vec<Diagnostic> {
    let compiled = cutover_check::compile(text);
    let index = LineIndex::new(text);
    compiled
        .diagnostics
        .iter()
        .map(|d| {
            let span = d
                .labels
                .iter()
                .find(|l| l.primary)
                .or(d.labels.first())
                .map(|l| l.span);
            let range = span.map_or_else(
                || Range::new(Position::new(0, 0), Position::new(0, 0)),
                |s| index.range(s.start as usize, s.end as usize),
            );
            let mut message = d.message.clone();
            if let Some(h) = &d.help {
                message.push_str(&format!("\nhelp: {h}"));
            }
            Diagnostic {
                range,
                severity: Some(match d.severity {
                    Severity::Error => DiagnosticSeverity::ERROR,
                    Severity::Warning => DiagnosticSeverity::WARNING,
                }),
                code: Some(NumberOrString::String(d.code.as_str().to_owned())),
                source: Some("cutover".into()),
                message,
                ..Diagnostic::default()
            }
        })
        .collect()
}

/// An open document and what was compiled from it.
struct Document {
    text: String,
    ir: Option<cutover_ir::Ir>,
    /// The IR of the last version that resolved: while a name is being
    /// typed the text rarely parses, and completion still needs the
    /// tables and columns.
    last_ir: Option<cutover_ir::Ir>,
}

impl Document {
    fn new(text: String, previous: Option<Document>) -> Self {
        let ir = cutover_check::compile(&text).ir;
        let last_ir = match &ir {
            Some(_) => None,
            None => previous.and_then(|p| p.ir.or(p.last_ir)),
        };
        Document { text, ir, last_ir }
    }
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into()]),
            ..CompletionOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

/// Reads one framed message body; `Ok(None)` at the end of the input.
fn read_body(input: &mut dyn BufRead) -> io::Result<Option<Result<String, String>>> {
    let mut length: Option<usize> = None;
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let header = line.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            if length.is_some() {
                break;
            }
            // A blank line with no header: skip it.
            continue;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                match value.trim().parse() {
                    Ok(n) => length = Some(n),
                    Err(_) => return Ok(Some(Err(format!("bad Content-Length: {value:?}")))),
                }
            }
        } else {
            return Ok(Some(Err(format!("malformed header: {header:?}"))));
        }
    }
    let mut body = vec![0; length.unwrap_or(0)];
    input.read_exact(&mut body)?;
    Ok(Some(
        String::from_utf8(body).map_err(|_| "the message is not UTF-8".to_owned()),
    ))
}

fn send(out: &mut dyn Write, msg: Message) -> io::Result<()> {
    msg.write(&mut io::BufWriter::new(out))
}

/// A JSON-RPC error for a message that has no usable id.
fn send_error(out: &mut dyn Write, id: Value, code: i32, message: &str) -> io::Result<()> {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code, "message": message },
    })
    .to_string();
    write!(out, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    out.flush()
}

/// Serves one client until `exit` or the end of `input`.
pub fn serve(input: &mut dyn BufRead, output: &mut dyn Write) -> io::Result<()> {
    let mut docs: HashMap<String, Document> = HashMap::new();
    let mut shutting_down = false;
    loop {
        let body = match read_body(input)? {
            None => return Ok(()),
            Some(Ok(b)) => b,
            Some(Err(m)) => {
                send_error(output, Value::Null, ErrorCode::ParseError as i32, &m)?;
                continue;
            }
        };
        let value: Value = match serde_json::from_str(&body) {
            Ok(v) => v,
            Err(e) => {
                send_error(
                    output,
                    Value::Null,
                    ErrorCode::ParseError as i32,
                    &format!("not JSON: {e}"),
                )?;
                continue;
            }
        };
        let id = value.get("id").cloned().unwrap_or(Value::Null);
        // A response has a result or an error; anything else needs a method.
        let shaped = value.get("method").is_some_and(Value::is_string)
            || value.get("result").is_some()
            || value.get("error").is_some();
        let parsed = if shaped {
            serde_json::from_value::<Message>(value).map_err(|e| e.to_string())
        } else {
            Err("no method".to_owned())
        };
        let msg: Message = match parsed {
            Ok(m) => m,
            Err(e) => {
                send_error(
                    output,
                    id,
                    ErrorCode::InvalidRequest as i32,
                    &format!("not a JSON-RPC request or notification: {e}"),
                )?;
                continue;
            }
        };
        match msg {
            Message::Request(req) => {
                if req.method == "shutdown" {
                    shutting_down = true;
                    send(output, Response::new_ok(req.id, Value::Null).into())?;
                    continue;
                }
                let response = handle_request(&docs, req, shutting_down);
                send(output, response.into())?;
            }
            Message::Notification(n) => {
                if n.method == "exit" {
                    return Ok(());
                }
                if let Some(uri) = handle_notification(&mut docs, n) {
                    publish(output, &docs, &uri)?;
                }
            }
            Message::Response(_) => {}
        }
    }
}

fn publish(out: &mut dyn Write, docs: &HashMap<String, Document>, uri: &str) -> io::Result<()> {
    let diagnostics = docs
        .get(uri)
        .map(|d| diagnostics(&d.text))
        .unwrap_or_default();
    let Ok(uri) = uri.parse::<Uri>() else {
        return Ok(());
    };
    let params = PublishDiagnosticsParams {
        uri,
        diagnostics,
        version: None,
    };
    send(
        out,
        Notification::new("textDocument/publishDiagnostics".into(), params).into(),
    )
}

/// Updates the documents; the URI whose diagnostics changed.
fn handle_notification(docs: &mut HashMap<String, Document>, n: Notification) -> Option<String> {
    let p = &n.params;
    let uri = p["textDocument"]["uri"].as_str()?.to_owned();
    match n.method.as_str() {
        "textDocument/didOpen" => {
            let text = p["textDocument"]["text"].as_str()?.to_owned();
            docs.insert(uri.clone(), Document::new(text, None));
            Some(uri)
        }
        "textDocument/didChange" => {
            // Full sync: the last change holds the whole text.
            let text = p["contentChanges"].as_array()?.last()?["text"]
                .as_str()?
                .to_owned();
            let previous = docs.remove(&uri);
            docs.insert(uri.clone(), Document::new(text, previous));
            Some(uri)
        }
        "textDocument/didClose" => {
            docs.remove(&uri);
            Some(uri)
        }
        _ => None,
    }
}

fn handle_request(docs: &HashMap<String, Document>, req: Request, shutting_down: bool) -> Response {
    if shutting_down {
        return Response::new_err(
            req.id,
            ErrorCode::InvalidRequest as i32,
            "the server is shutting down".into(),
        );
    }
    match req.method.as_str() {
        "initialize" => Response::new_ok(
            req.id,
            InitializeResult {
                capabilities: capabilities(),
                server_info: Some(ServerInfo {
                    name: "cutover".into(),
                    version: Some(env!("CARGO_PKG_VERSION").into()),
                }),
            },
        ),
        "textDocument/hover" | "textDocument/definition" | "textDocument/completion" => {
            position_request(docs, req)
        }
        "textDocument/formatting" => formatting_request(docs, req),
        _ => Response::new_err(
            req.id,
            ErrorCode::MethodNotFound as i32,
            format!("unsupported method {}", req.method),
        ),
    }
}

fn invalid_params(id: RequestId, what: &str) -> Response {
    Response::new_err(id, ErrorCode::InvalidParams as i32, what.into())
}

/// The whole document replaced by its formatted text; no edit when it is
/// formatted already or does not parse (its diagnostics say why).
fn formatting_request(docs: &HashMap<String, Document>, req: Request) -> Response {
    let Some(uri) = req.params["textDocument"]["uri"].as_str() else {
        return invalid_params(req.id, "no textDocument.uri");
    };
    let Some(doc) = docs.get(uri) else {
        return invalid_params(req.id, "the document is not open");
    };
    let edits = match cutover_syntax::format(&doc.text) {
        Ok(formatted) if formatted != doc.text => vec![TextEdit {
            range: LineIndex::new(&doc.text).range(0, doc.text.len()),
            new_text: formatted,
        }],
        _ => Vec::new(),
    };
    Response::new_ok(req.id, edits)
}

fn position_request(docs: &HashMap<String, Document>, req: Request) -> Response {
    let p = &req.params;
    let Some(uri) = p["textDocument"]["uri"].as_str() else {
        return invalid_params(req.id, "no textDocument.uri");
    };
    let Ok(position) = serde_json::from_value::<Position>(p["position"].clone()) else {
        return invalid_params(req.id, "no position");
    };
    let Some(doc) = docs.get(uri) else {
        return invalid_params(req.id, "the document is not open");
    };
    let index = LineIndex::new(&doc.text);
    let offset = index.offset(position);
    let ir = match (&doc.ir, req.method.as_str()) {
        (Some(ir), _) => ir,
        (None, "textDocument/completion") if doc.last_ir.is_some() => match &doc.last_ir {
            Some(ir) => ir,
            None => return Response::new_ok(req.id, Value::Null),
        },
        // Nothing resolves in a document that does not parse.
        _ => return Response::new_ok(req.id, Value::Null),
    };
    match req.method.as_str() {
        "textDocument/hover" => {
            let hover = analysis::symbol_at(&doc.text, ir, offset).map(|s| Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: analysis::hover(&doc.text, ir, s, FUNCTIONS_DOC),
                }),
                range: None,
            });
            Response::new_ok(req.id, hover)
        }
        "textDocument/definition" => {
            let target = analysis::symbol_at(&doc.text, ir, offset)
                .and_then(|s| analysis::definition(&doc.text, ir, s));
            let location = match (target, uri.parse::<Uri>()) {
                (Some((start, end)), Ok(uri)) => Some(GotoDefinitionResponse::Scalar(Location {
                    uri,
                    range: index.range(start, end),
                })),
                _ => None,
            };
            Response::new_ok(req.id, location)
        }
        _ => {
            let items: Vec<CompletionItem> = analysis::complete(&doc.text, ir, offset)
                .into_iter()
                .map(|c| CompletionItem {
                    label: c.label,
                    kind: Some(match c.kind {
                        analysis::CompletionKind::System => CompletionItemKind::MODULE,
                        analysis::CompletionKind::Table => CompletionItemKind::CLASS,
                        analysis::CompletionKind::Column => CompletionItemKind::FIELD,
                    }),
                    detail: Some(c.detail),
                    ..CompletionItem::default()
                })
                .collect();
            Response::new_ok(req.id, items)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        let text = "ab\nhé😀x\n";
        let index = LineIndex::new(text);
        let x = text.find('x').expect("x");
        assert_eq!(index.position(x), Position::new(1, 4));
        assert_eq!(index.offset(Position::new(1, 4)), x);
        assert_eq!(index.offset(Position::new(9, 0)), text.len());
        assert_eq!(index.position(0), Position::new(0, 0));
    }
}
