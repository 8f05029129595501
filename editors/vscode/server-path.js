// Where the `cutover` binary is: the `cutover.server.path` setting, else
// the first `cutover` on PATH. Kept apart from extension.js so that it can
// be tested without VS Code.
"use strict";

const fs = require("fs");
const path = require("path");

function isExecutable(file) {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) return false;
    if (process.platform === "win32") return true;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The server binary: `configured` if set, else `cutover` on `pathVar`; undefined if none. */
function serverPath(configured, pathVar = process.env.PATH || "") {
  if (configured) return isExecutable(configured) ? configured : undefined;
  const names = process.platform === "win32" ? ["cutover.exe", "cutover.cmd"] : ["cutover"];
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    for (const name of names) {
      const file = path.join(dir, name);
      if (isExecutable(file)) return file;
    }
  }
  return undefined;
}

module.exports = { serverPath };
