// The Cutover extension: highlighting comes from the grammars in
// package.json; this starts the language server, `cutover lsp` over stdio,
// when the binary is on PATH (or at the `cutover.server.path` setting).
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");
const { serverPath } = require("./server-path");

let client;

function activate(context) {
  const configured = vscode.workspace.getConfiguration("cutover").get("server.path");
  const command = serverPath(configured);
  if (!command) {
    vscode.window.showInformationMessage(
      configured
        ? `Cutover: ${configured} is not an executable file; highlighting only.`
        : "Cutover: no `cutover` on PATH; highlighting only. Install it with `cargo install --path crates/cli`."
    );
    return undefined;
  }
  client = new LanguageClient(
    "cutover",
    "Cutover",
    { command, args: ["lsp"] },
    { documentSelector: [{ scheme: "file", language: "cutover" }] }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
