// The extension's wiring, without VS Code: `vscode` and
// `vscode-languageclient/node` are stubbed, and activate() must start
// `<cutover on PATH> lsp` for cutover documents, or say there is no
// server and start nothing. Also serverPath() on a made-up PATH.
"use strict";

const assert = require("assert");
const fs = require("fs");
const os = require("os");
const path = require("path");
const Module = require("module");

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cutover-vscode-"));
const bin = path.join(dir, "bin");
fs.mkdirSync(bin);
const exe = path.join(bin, "cutover");
fs.writeFileSync(exe, "#!/bin/sh\n", { mode: 0o755 });
fs.writeFileSync(path.join(dir, "cutover"), "not executable", { mode: 0o644 });

const { serverPath } = require("../server-path");
assert.strictEqual(serverPath("", `${dir}${path.delimiter}${bin}`), exe, "skips a non-executable file");
assert.strictEqual(serverPath("", dir), undefined);
assert.strictEqual(serverPath(exe, ""), exe, "the setting wins");
assert.strictEqual(serverPath(path.join(dir, "cutover"), bin), undefined, "a configured file must be executable");

let setting = "";
const messages = [];
const started = [];
const stubs = {
  vscode: {
    workspace: { getConfiguration: () => ({ get: () => setting }) },
    window: { showInformationMessage: (m) => messages.push(m) },
  },
  "vscode-languageclient/node": {
    LanguageClient: class {
      constructor(id, name, server, client) {
        Object.assign(this, { id, name, server, client });
      }
      start() {
        started.push(this);
        return Promise.resolve();
      }
      stop() {}
      dispose() {}
    },
  },
};
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request in stubs) return stubs[request];
  return load.call(this, request, parent, isMain);
};

const extension = require("../extension");
const context = { subscriptions: [] };

process.env.PATH = bin;
extension.activate(context);
assert.strictEqual(started.length, 1);
assert.deepStrictEqual(started[0].server, { command: exe, args: ["lsp"] });
assert.deepStrictEqual(started[0].client.documentSelector, [{ scheme: "file", language: "cutover" }]);
assert.strictEqual(context.subscriptions.length, 1);

process.env.PATH = dir;
assert.strictEqual(extension.activate({ subscriptions: [] }), undefined);
assert.strictEqual(started.length, 1, "no server: nothing started");
assert.match(messages[0], /no `cutover` on PATH/);

fs.rmSync(dir, { recursive: true, force: true });
console.log("client: the extension starts `cutover lsp` from PATH or the setting, and nothing without it");
