//! `cutover lsp` spoken to over JSON-RPC, as an editor does: initialize,
//! diagnostics on open and change with the right code and range, hover and
//! go-to-definition on known positions, completion of table and column
//! names, formatting, error responses to malformed messages, shutdown and
//! exit.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cutover"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cutover lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        length = v.parse().expect("length");
                    }
                }
                let mut body = vec![0; length];
                r.read_exact(&mut body).expect("body");
                let v: Value = serde_json::from_slice(&body).expect("the server sends JSON");
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        Server {
            child,
            stdin,
            messages,
        }
    }

    fn raw(&mut self, body: &str) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn send(&mut self, v: Value) {
        self.raw(&v.to_string());
    }

    fn next(&self) -> Value {
        self.messages
            .recv_timeout(Duration::from_secs(30))
            // A transcript, shown when the test fails.
            .inspect(|m| eprintln!("<< {}", m.to_string().chars().take(150).collect::<String>()))
            .expect("a message from the server")
    }

    /// The response to request `id` (notifications in between are kept
    /// out of the way).
    fn response(&self, id: i64) -> Value {
        loop {
            let m = self.next();
            if m["id"] == id {
                return m;
            }
        }
    }

    fn request(&mut self, id: i64, method: &str, params: Value) -> Value {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.response(id)
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn diagnostics(&self) -> Value {
        loop {
            let m = self.next();
            if m["method"] == "textDocument/publishDiagnostics" {
                return m["params"].clone();
            }
        }
    }
}

/// The LSP position (line, UTF-16 column) of the `nth` match of `needle`
/// in `text`, `into` characters into it.
fn position(text: &str, needle: &str, nth: usize, into: usize) -> Value {
    let at = text
        .match_indices(needle)
        .nth(nth)
        .map(|(i, _)| i)
        .expect("needle")
        + into;
    let line = text[..at].matches('\n').count();
    let col = text[..at]
        .rsplit('\n')
        .next()
        .map_or(0, |l| l.encode_utf16().count());
    json!({"line": line, "character": col})
}

fn line_of(text: &str, needle: &str) -> usize {
    let at = text.find(needle).expect("needle");
    text[..at].matches('\n').count()
}

#[test]
fn an_editor_session() {
    let uri = "file:///work/crm.cutover";
    let text = std::fs::read_to_string(root().join("examples/crm/crm.cutover")).expect("spec");
    let mut s = Server::start();

    let init = s.request(1, "initialize", json!({"capabilities": {}}));
    let caps = &init["result"]["capabilities"];
    assert_eq!(caps["hoverProvider"], true, "{init}");
    assert_eq!(caps["definitionProvider"], true);
    assert_eq!(caps["documentFormattingProvider"], true);
    assert!(caps["completionProvider"].is_object());
    s.notify("initialized", json!({}));

    // A spec with an unknown column: one error, its code, its range.
    let broken = text.replacen("legacy_cust_id = cust_id", "legacy_cust_id = cust_idx", 1);
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "cutover", "version": 1, "text": broken}}),
    );
    let d = s.diagnostics();
    assert_eq!(d["uri"], uri);
    let errors: Vec<&Value> = d["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|x| x["severity"] == 1)
        .collect();
    assert_eq!(errors.len(), 1, "{d:#}");
    let e = errors[0];
    assert_eq!(e["source"], "cutover");
    assert!(
        e["code"].as_str().is_some_and(|c| c.starts_with('E')),
        "{e}"
    );
    let want = position(&broken, "cust_idx", 0, 0);
    assert_eq!(e["range"]["start"], want, "{e}");
    assert_eq!(
        e["range"]["end"]["character"],
        want["character"].as_u64().expect("col") + 8
    );

    // Fixed by a change: no error left.
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": text}]}),
    );
    let d = s.diagnostics();
    assert!(
        d["diagnostics"]
            .as_array()
            .expect("list")
            .iter()
            .all(|x| x["severity"] != 1),
        "{d:#}"
    );

    let at = |needle: &str, nth: usize, into: usize| json!({"textDocument": {"uri": uri}, "position": position(&text, needle, nth, into)});

    // Hover: a column in an expression, a lookup, a built-in function.
    let h = s.request(
        2,
        "textDocument/hover",
        at("legacy_cust_id = cust_id", 0, 19),
    );
    let v = h["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(
        v.contains("`legacy.customers.cust_id`") && v.contains("`int`"),
        "{h}"
    );
    let h = s.request(3, "textDocument/hover", at("account_status_names[", 0, 3));
    let v = h["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(
        v.contains("**lookup** `account_status_names`") && v.contains("=>"),
        "{h}"
    );
    let h = s.request(4, "textDocument/hover", at("trim(first_name)", 0, 1));
    let v = h["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(v.contains("trim("), "{h}");
    // Whitespace names nothing.
    let h = s.request(
        5,
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}),
    );
    assert!(
        h["result"].is_null() || h["result"]["contents"].is_object(),
        "{h}"
    );

    // Definition: the lookup's declaration; a table in a map header.
    let g = s.request(
        6,
        "textDocument/definition",
        at("account_status_names[", 0, 3),
    );
    assert_eq!(g["result"]["uri"], uri);
    assert_eq!(
        g["result"]["range"]["start"]["line"],
        line_of(&text, "lookup account_status_names")
    );
    let g = s.request(
        7,
        "textDocument/definition",
        at("legacy_cust_id = cust_id", 0, 19),
    );
    assert_eq!(g["result"]["range"]["start"]["line"], 28, "{g}");

    // Completion after `crm.` in a fresh line: the crm tables.
    let with_prefix = text.replacen(
        "  created_at = created_date",
        "  created_at = crm.\n  created_at = created_date",
        1,
    );
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": with_prefix}]}),
    );
    let _ = s.diagnostics();
    let c = s.request(
        8,
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": position(&with_prefix, "= crm.\n", 0, 6)}),
    );
    let labels: Vec<&str> = c["result"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["label"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        labels.contains(&"accounts") && labels.contains(&"contacts"),
        "{c}"
    );

    // Formatting: nothing for a text that does not parse, one edit that
    // replaces the whole of an untidy text with `cutover fmt`'s layout,
    // nothing for a formatted one.
    let format = |s: &mut Server, id: i64| {
        s.request(
            id,
            "textDocument/formatting",
            json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
        )
    };
    assert_eq!(format(&mut s, 20)["result"], json!([]));
    let untidy = text.replacen(
        "legacy_cust_id = cust_id",
        "legacy_cust_id   =\n   cust_id ;",
        1,
    );
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 4}, "contentChanges": [{"text": untidy}]}),
    );
    let _ = s.diagnostics();
    let edits = format(&mut s, 21)["result"].clone();
    assert_eq!(edits.as_array().map(Vec::len), Some(1), "{edits}");
    assert_eq!(edits[0]["newText"], text.as_str());
    assert_eq!(
        edits[0]["range"]["start"],
        json!({"line": 0, "character": 0})
    );
    let last_line = untidy.lines().count();
    assert_eq!(
        edits[0]["range"]["end"],
        json!({"line": last_line, "character": 0})
    );
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 5}, "contentChanges": [{"text": text}]}),
    );
    let _ = s.diagnostics();
    assert_eq!(format(&mut s, 22)["result"], json!([]));

    // Malformed messages get error responses; the server reads on.
    s.raw("{oops");
    let e = s.next();
    assert_eq!(e["error"]["code"], -32700, "{e}");
    s.raw(r#"{"jsonrpc": "2.0", "id": 9}"#);
    let e = s.response(9);
    assert_eq!(e["error"]["code"], -32600, "{e}");
    let e = s.request(10, "workspace/nonsense", json!({}));
    assert_eq!(e["error"]["code"], -32601, "{e}");
    let e = s.request(
        11,
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(e["error"]["code"], -32602, "{e}");

    let r = s.request(12, "shutdown", Value::Null);
    assert!(r["result"].is_null() && r.get("error").is_none(), "{r}");
    s.notify("exit", Value::Null);
    let status = s.child.wait().expect("exit");
    assert_eq!(status.code(), Some(0));
}
