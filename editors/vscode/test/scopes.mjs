// Tokenizes files with the Cutover TextMate grammars through vscode-textmate
// and vscode-oniguruma (the engine VS Code uses).
//
//   node scopes.mjs dump FILE             print every token with its scopes
//   node scopes.mjs check [--expect-invalid F]... [--allow-invalid-in-section RE]... FILE...
//                                          fail if any token of any FILE has a
//                                          scope that starts with `invalid`,
//                                          except in the files F (which must
//                                          have one) and, in Markdown, under a
//                                          `## ` heading that matches RE
//   node scopes.mjs fences                 self-test of the Markdown injection's
//                                          fence regexes
//
// `.cutover` files are tokenized as source.cutover. `.md` files are tokenized
// as text.html.markdown (the VS Code Markdown grammar, from the tm-grammars
// package) with the injection grammar editors/vscode/syntaxes/
// cutover.markdown.tmLanguage.json, and only tokens inside a ```cutover block
// (scope meta.embedded.block.cutover) count; `check` also fails a .md file
// whose ```cutover blocks are not all tokenized as embedded Cutover.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const here = dirname(fileURLToPath(import.meta.url));
const syntaxes = join(here, '..', 'syntaxes');
const grammarFiles = {
  'source.cutover': join(syntaxes, 'cutover.tmLanguage.json'),
  'markdown.cutover.codeblock': join(syntaxes, 'cutover.markdown.tmLanguage.json'),
  'text.html.markdown': require.resolve('tm-grammars/grammars/markdown.json'),
};

function registry() {
  const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm')).buffer;
  const onigLib = oniguruma.loadWASM(wasm).then(() => ({
    createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
    createOnigString: (s) => new oniguruma.OnigString(s),
  }));
  return new vsctm.Registry({
    onigLib,
    loadGrammar: async (scopeName) => {
      const path = grammarFiles[scopeName];
      // Other languages' fenced blocks in Markdown: no grammar, left as plain text.
      if (!path) return null;
      return vsctm.parseRawGrammar(readFileSync(path, 'utf8'), path);
    },
    getInjections: (scopeName) =>
      scopeName === 'text.html.markdown' ? ['markdown.cutover.codeblock'] : [],
  });
}

/** Tokens of a text: [{line, col, text, scopes}]. */
function tokenize(grammar, text) {
  const out = [];
  let state = vsctm.INITIAL;
  const lines = text.split(/\r\n|\n/);
  lines.forEach((line, i) => {
    const r = grammar.tokenizeLine(line, state);
    for (const t of r.tokens) {
      out.push({ line: i + 1, col: t.startIndex + 1, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
    }
    state = r.ruleStack;
  });
  return out;
}

async function grammarFor(reg, file) {
  return reg.loadGrammar(file.endsWith('.md') ? 'text.html.markdown' : 'source.cutover');
}

async function dump(files) {
  const reg = registry();
  for (const file of files) {
    const g = await grammarFor(reg, file);
    for (const t of tokenize(g, readFileSync(file, 'utf8'))) {
      console.log(`${t.line}:${t.col}\t${JSON.stringify(t.text)}\t${t.scopes.slice(1).join(' ')}`);
    }
  }
}

async function check(args) {
  const expectInvalid = new Set();
  const allowedSections = [];
  const files = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--expect-invalid') expectInvalid.add(args[++i]);
    else if (args[i] === '--allow-invalid-in-section') allowedSections.push(new RegExp(args[++i]));
    else files.push(args[i]);
  }
  for (const f of expectInvalid) if (!files.includes(f)) files.push(f);
  const reg = registry();
  let bad = 0;
  let blocks = 0;
  let expected = 0;
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const lines = text.split(/\r\n|\n/);
    const g = await grammarFor(reg, file);
    const tokens = tokenize(g, text);
    const md = file.endsWith('.md');
    // For Markdown: the `## ` heading each line is under.
    const section = [];
    let heading = '';
    lines.forEach((l) => {
      if (/^##\s/.test(l)) heading = l;
      section.push(heading);
    });
    let invalid = 0;
    for (const t of tokens) {
      if (md && !t.scopes.includes('meta.embedded.block.cutover')) continue;
      const inv = t.scopes.find((s) => s.startsWith('invalid'));
      if (!inv) continue;
      invalid++;
      const where = `${file}:${t.line}:${t.col}: ${JSON.stringify(t.text)} has scope ${inv}`;
      if (expectInvalid.has(file)) {
        expected++;
      } else if (md && allowedSections.some((re) => re.test(section[t.line - 1]))) {
        expected++;
      } else {
        bad++;
        console.log(where);
      }
    }
    if (expectInvalid.has(file) && invalid === 0) {
      bad++;
      console.log(`${file}: expected a token with an invalid.* scope, found none`);
    }
    if (md) {
      // Every \`\`\`cutover block must have been entered by the injection.
      const fences = lines.filter((l) => /^\s*(`{3,}|~{3,})\s*cutover\b/i.test(l)).length;
      const entered = new Set(
        tokens.filter((t) => t.scopes.includes('fenced_code.block.language.markdown') && /cutover/i.test(t.text)).map((t) => t.line),
      ).size;
      blocks += fences;
      if (fences !== entered) {
        bad++;
        console.log(`${file}: ${fences} cutover fences, but the injection entered ${entered}`);
      }
    }
  }
  console.log(`scopes: ${files.length} files tokenized (${blocks} Markdown cutover blocks), ${expected} expected invalid tokens, ${bad} problems`);
  process.exit(bad === 0 ? 0 : 1);
}

/** The injection's fence regexes, applied by Oniguruma to sample lines. */
async function fences() {
  const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm')).buffer;
  await oniguruma.loadWASM(wasm);
  const inj = JSON.parse(readFileSync(grammarFiles['markdown.cutover.codeblock'], 'utf8'));
  const block = inj.repository['cutover-code-block'];
  const scan = (re, s) => new oniguruma.OnigScanner([re]).findNextMatchSync(new oniguruma.OnigString(s), 0);
  // `end` refers to the captures of `begin` (\2 the indentation, \3 the
  // fence); vscode-textmate substitutes them, escaped, before compiling it.
  const endAfter = (beginLine) => {
    const m = scan(block.begin, beginLine);
    const cap = (n) => beginLine.slice(m.captureIndices[n].start, m.captureIndices[n].end);
    return block.end.replace(/\\(\d)/g, (_, n) => cap(Number(n)).replace(/[\\^$.*+?()[\]{}|]/g, '\\$&'));
  };
  const matches = (re, s) => scan(re, s) !== null;
  const cases = [
    [block.begin, '```cutover', true],
    [block.begin, '~~~cutover', true],
    [block.begin, '  ```cutover', true],
    [block.begin, '````cutover', true],
    [block.begin, '```Cutover title="crm"', true],
    [block.begin, '```cutover {.numberLines}', true],
    [block.begin, '```cutoverx', false],
    [block.begin, '```text', false],
    [block.begin, '```', false],
    [block.begin, 'cutover', false],
    [endAfter('```cutover'), '```', true],
    [endAfter('```cutover'), '~~~', false],
    [endAfter('~~~cutover'), '~~~', true],
    [endAfter('````cutover'), '```', false],
    [endAfter('```cutover'), '```cutover', false],
    [block.patterns[0].while, 'map legacy.a -> crm.b {', true],
    [block.patterns[0].while, '```', false],
  ];
  let failed = 0;
  for (const [re, s, want] of cases) {
    if (matches(re, s) !== want) {
      failed++;
      console.log(`fence regex ${JSON.stringify(re)} on ${JSON.stringify(s)}: expected ${want ? 'a match' : 'no match'}`);
    }
  }
  console.log(`fences: ${cases.length - failed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'dump') await dump(rest);
else if (cmd === 'check') await check(rest);
else if (cmd === 'fences') await fences();
else {
  console.error('usage: node scopes.mjs dump FILE... | check [--expect-invalid FILE]... [--allow-invalid-in-section RE]... FILE... | fences');
  process.exit(2);
}
