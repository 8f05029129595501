#!/usr/bin/env node
// Validate every ```mermaid block of one or more Markdown files with Mermaid's
// own parser (the `mermaid` npm package), in plain Node: no browser needed.
//
//   node tests/mermaid/validate.mjs FILE.md [FILE.md ...]
//
// For each block, two checks run, both Mermaid's own code:
//   1. parse:   mermaid.parse(text)  (grammar + diagram detection);
//   2. compile: for `gantt` blocks only, the task compilation that Mermaid's
//      renderer runs before drawing (ganttDb.getTasks()). mermaid.parse alone
//      accepts some task lines that then make rendering throw, e.g. an invalid
//      start date, a tag placed after the id, or `after a, b`.
//
// Exit status: 0 every block of every file is valid and each file has at least
// one block; 1 a block is invalid or a file has no block; 2 usage error (no file
// given, a file cannot be read, dependencies not installed).
//
// Output: one line per valid block on stdout ("ok   FILE:LINE  TYPE"), one
// "FAIL FILE:LINE ..." report per problem on stderr, then a closing line
// "mermaid: N passed, M failed". LINE is the 1-based line, in the Markdown
// file, of the block's first line (the one right after the opening fence).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const USAGE = 'usage: node tests/mermaid/validate.mjs FILE.md [FILE.md ...]';

function die(code, msg) {
  process.stderr.write(msg + '\n');
  process.exit(code);
}

// ---------------------------------------------------------------- arguments
const args = process.argv.slice(2);
if (args.includes('-h') || args.includes('--help')) {
  process.stdout.write(USAGE + '\n');
  process.exit(0);
}
const files = args[0] === '--' ? args.slice(1) : args;
if (files.length === 0) die(2, USAGE);
for (const f of files) {
  if (f.startsWith('-')) die(2, `validate.mjs: unknown option ${f}\n${USAGE}`);
}

const sources = [];
for (const file of files) {
  try {
    sources.push({ file, text: readFileSync(file, 'utf8') });
  } catch (e) {
    die(2, `validate.mjs: cannot read ${file}: ${e.message}`);
  }
}

// ------------------------------------------------------- Markdown extraction
// CommonMark fenced code blocks: an opening fence of >= 3 backticks or tildes
// indented by at most 3 spaces, closed by a fence of the same character that is
// at least as long. Blocks whose info string's first word is `mermaid` are
// returned; other fenced blocks are skipped whole (so a ```mermaid line shown
// inside a ```markdown example is not taken for a diagram).
function extractMermaidBlocks(text) {
  const lines = text.split(/\r\n|\r|\n/);
  const blocks = [];
  let i = 0;
  while (i < lines.length) {
    const open = /^( {0,3})(`{3,}|~{3,})(.*)$/.exec(lines[i]);
    if (!open || (open[2][0] === '`' && open[3].includes('`'))) {
      i++;
      continue;
    }
    const [, indent, fence, info] = open;
    const isMermaid = (info.trim().split(/\s+/)[0] || '').toLowerCase() === 'mermaid';
    let j = i + 1;
    let closed = false;
    for (; j < lines.length; j++) {
      const close = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(lines[j]);
      if (close && close[1][0] === fence[0] && close[1].length >= fence.length) {
        closed = true;
        break;
      }
    }
    if (isMermaid) {
      const body = lines.slice(i + 1, j).map((l) => {
        // CommonMark: remove up to the opening fence's indentation.
        const n = Math.min(indent.length, /^ */.exec(l)[0].length);
        return l.slice(n);
      });
      blocks.push({ line: i + 2, fenceLine: i + 1, lines: body, closed });
    }
    i = j + 1;
  }
  return blocks;
}

// Map Mermaid's error line (counted after its own preprocessing, which drops
// leading blank lines and `%% comment` lines) to a line of the Markdown file.
// Returns null when the block has front matter or %%{directives}%%, whose
// removal cannot be mapped back this simply.
function fileLineOf(block, mermaidLine) {
  if (!Number.isInteger(mermaidLine) || mermaidLine < 1) return null;
  const ls = block.lines;
  if (ls.some((l) => /%%\{/.test(l))) return null;
  const firstText = ls.find((l) => l.trim() !== '');
  if (firstText !== undefined && firstText.trim() === '---') return null;
  // Same regex as Mermaid's cleanupComments(); record which lines it drops.
  const joined = ls.join('\n');
  const removed = [];
  joined.replace(/^\s*%%(?!{)[^\n]+\n?/gm, (m, off) => {
    removed.push([off, off + m.length]);
    return '';
  });
  const kept = [];
  let off = 0;
  for (let k = 0; k < ls.length; k++) {
    if (!removed.some(([a, b]) => off >= a && off < b)) kept.push(k);
    off += ls[k].length + 1;
  }
  // ...followed by trimStart(), which drops leading blank lines.
  while (kept.length && ls[kept[0]].trim() === '') kept.shift();
  const idx = kept[mermaidLine - 1];
  return idx === undefined ? null : block.line + idx;
}

function errorLine(err) {
  const hashLine = err?.hash?.loc?.first_line ?? err?.hash?.line;
  if (Number.isInteger(hashLine)) return err.hash.loc ? hashLine : hashLine + 1;
  const m = /(?:on line|line:?)\s+(\d+)/i.exec(String(err?.message ?? ''));
  return m ? Number(m[1]) : null;
}

function indentText(s) {
  return String(s).trimEnd().split('\n').map((l) => '    ' + l).join('\n');
}

// ------------------------------------------------------------- Mermaid setup
// Mermaid sanitizes labels with DOMPurify, which needs a `window`; jsdom gives
// it one. Nothing is rendered and no browser is started.
const require = createRequire(import.meta.url);
let JSDOM, mermaid, mermaidVersion;
try {
  ({ JSDOM } = await import('jsdom'));
  const dom = new JSDOM('<!DOCTYPE html><html><head></head><body></body></html>');
  globalThis.window = dom.window;
  globalThis.document = dom.window.document;
  ({ default: mermaid } = await import('mermaid'));
  mermaidVersion = require('mermaid/package.json').version;
} catch (e) {
  if (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') {
    die(2, `validate.mjs: dependencies missing (${e.message.split('\n')[0]})\n` +
      'install them with: npm ci --prefix tests/mermaid --no-audit --no-fund');
  }
  throw e;
}
mermaid.initialize({ startOnLoad: false, logLevel: 'fatal', securityLevel: 'strict' });

// ---------------------------------------------------------------- validation
let passed = 0;
let failed = 0;

function fail(where, what, detail) {
  failed++;
  process.stderr.write(`FAIL ${where}: ${what}` + (detail ? `\n${indentText(detail)}` : '') + '\n');
}

for (const { file, text } of sources) {
  const blocks = extractMermaidBlocks(text);
  if (blocks.length === 0) {
    fail(file, 'no ```mermaid block found');
    continue;
  }
  for (const block of blocks) {
    const where = `${file}:${block.line}`;
    if (!block.closed) {
      fail(`${file}:${block.fenceLine}`, 'the ```mermaid fence is never closed');
      continue;
    }
    const code = block.lines.join('\n') + '\n';
    if (code.trim() === '') {
      fail(where, 'empty ```mermaid block');
      continue;
    }
    let type;
    try {
      ({ diagramType: type } = await mermaid.parse(code));
    } catch (err) {
      const ml = errorLine(err);
      const fl = fileLineOf(block, ml);
      const at = fl !== null ? ` (error at ${file}:${fl})` : ml ? ` (error at line ${ml} of the block)` : '';
      fail(where, `Mermaid ${mermaidVersion} cannot parse this block${at}:`, err?.message ?? String(err));
      continue;
    }
    if (type === 'gantt') {
      try {
        const diagram = await mermaid.mermaidAPI.getDiagramFromText(code);
        diagram.db.getTasks();
      } catch (err) {
        fail(where, `Mermaid ${mermaidVersion} parses this gantt but its task compilation ` +
          '(run by the renderer before drawing) fails:', err?.message ?? String(err));
        continue;
      }
    }
    passed++;
    process.stdout.write(`ok   ${where}  ${type}\n`);
  }
}

process.stdout.write(`mermaid: ${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
