#!/usr/bin/env bash
# Tests of the editor support in editors/ (see editors/README.md):
#
#  0. editors/vscode/package.json names grammar and configuration files that
#     exist, with the scope names they declare.
#  1. editors/keywords.py: the keyword, type and built-in lists of the
#     TextMate grammar and the Vim syntax equal grammar/cutover.pest and docs.
#  2. vscode-tmgrammar-test on editors/vscode/test/fixtures/*.cutover (caret
#     assertions against source.cutover) and fixtures/*.md (the Markdown
#     injection, with the VS Code Markdown grammar from the tm-grammars
#     package).
#  3. The Markdown injection's fence regexes, applied by Oniguruma.
#  4. Every .cutover file under examples/ and tests/, and every ```cutover
#     block of docs/*.md and README.md, tokenized with vscode-textmate: no
#     token may get a scope that starts with `invalid` (exceptions below).
#  5. If vim is installed: editors/vim loads for every .cutover file, flags
#     no valid escape as an error, and gives the expected groups on a sample.
#
# Needs `npm ci --prefix editors/vscode/test --no-audit --no-fund` first.
# Exit 0 only if everything passes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
test_dir="$here/vscode/test"
bin="$test_dir/node_modules/.bin/vscode-tmgrammar-test"
markdown_grammar="$test_dir/node_modules/tm-grammars/grammars/markdown.json"

if [[ ! -x "$bin" || ! -f "$markdown_grammar" || ! -d "$test_dir/node_modules/vscode-textmate" ]]; then
  echo "editors/check.sh: the test tools are not installed; run first:" >&2
  echo "  npm ci --prefix editors/vscode/test --no-audit --no-fund" >&2
  exit 2
fi

cd "$root"

# Corpus files that are expected to get an invalid.* scope, with the reason.
# They are still tokenized, and must get at least one such scope.
expect_invalid=(
  # Deliberately invalid escapes (`\d`): the grammar marks them invalid.illegal.escape,
  # as the compiler rejects them with E0003.
  tests/parse/invalid/E0003-invalid-escape.cutover
)
# Markdown sections (`## ` headings) whose ```cutover blocks may hold invalid.* scopes.
allow_invalid_sections=(
  # docs/diagnostics.md's "Erroneous example" of invalid escapes.
  '^## E0003:'
)
# No .cutover file is excluded: the other deliberately broken inputs under
# tests/parse/invalid/ and tests/check/invalid/ tokenize without invalid scopes.

# 0. The extension manifest points at files that exist, with matching scope names.
node - <<'EOF'
const fs = require('fs');
const path = require('path');
const dir = 'editors/vscode';
const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
const fail = (m) => { console.error(`editors/vscode/package.json: ${m}`); process.exitCode = 1; };
const c = pkg.contributes || {};
const lang = (c.languages || []).find((l) => l.id === 'cutover');
if (!lang || !(lang.extensions || []).includes('.cutover')) fail('no language `cutover` for .cutover files');
else JSON.parse(fs.readFileSync(path.join(dir, lang.configuration), 'utf8'));
const want = { 'source.cutover': 'cutover', 'markdown.cutover.codeblock': undefined };
for (const [scope, language] of Object.entries(want)) {
  const g = (c.grammars || []).find((x) => x.scopeName === scope);
  if (!g) { fail(`no grammar ${scope}`); continue; }
  if (g.language !== language) fail(`grammar ${scope} has language ${g.language}`);
  const raw = JSON.parse(fs.readFileSync(path.join(dir, g.path), 'utf8'));
  if (raw.scopeName !== scope) fail(`${g.path} has scopeName ${raw.scopeName}, not ${scope}`);
}
const inj = (c.grammars || []).find((x) => x.scopeName === 'markdown.cutover.codeblock') || {};
if (!(inj.injectTo || []).includes('text.html.markdown')) fail('the Markdown injection is not injected into text.html.markdown');
if ((inj.embeddedLanguages || {})['meta.embedded.block.cutover'] !== 'cutover') fail('meta.embedded.block.cutover is not embedded as cutover');
EOF

# 1. Keyword sets.
python3 editors/keywords.py

# 2. Fixtures.
fixtures=(editors/vscode/test/fixtures/*.cutover editors/vscode/test/fixtures/*.md)
fixture_log="$(mktemp)"
trap 'rm -f "$fixture_log"' EXIT
if ! "$bin" --config editors/vscode/package.json -g "$markdown_grammar" "${fixtures[@]}" >"$fixture_log" 2>&1; then
  grep -v '^grammar not found for ' "$fixture_log" || true
  echo "editors/check.sh: fixture assertions failed" >&2
  exit 1
fi
passed="$(grep -c 'run successfuly' "$fixture_log" || true)"
if [[ "$passed" -ne "${#fixtures[@]}" ]]; then
  grep -v '^grammar not found for ' "$fixture_log" || true
  echo "editors/check.sh: $passed of ${#fixtures[@]} fixtures passed" >&2
  exit 1
fi

# 3. Fence regexes of the Markdown injection.
node editors/vscode/test/scopes.mjs fences >/dev/null || {
  node editors/vscode/test/scopes.mjs fences || true
  echo "editors/check.sh: Markdown fence regexes failed" >&2
  exit 1
}

# 4. Every real file.
mapfile -t corpus < <(find examples tests -name '*.cutover' -not -path '*/node_modules/*' | LC_ALL=C sort)
docs=(docs/*.md README.md)
args=()
for f in "${expect_invalid[@]}"; do args+=(--expect-invalid "$f"); done
for s in "${allow_invalid_sections[@]}"; do args+=(--allow-invalid-in-section "$s"); done
node editors/vscode/test/scopes.mjs check "${args[@]}" "${corpus[@]}" "${docs[@]}" || {
  echo "editors/check.sh: a real file got an invalid.* scope (see above)" >&2
  exit 1
}

# 5. The extension's language client: its wiring, with VS Code stubbed.
node --check editors/vscode/extension.js
node editors/vscode/test/client.test.cjs >/dev/null || {
  echo "editors/check.sh: the language client test failed" >&2
  exit 1
}

# 6. Vim. Skipped without vim, except in CI, where tests/run.sh installs it.
vim_note="Vim checks skipped (no vim)"
if ! command -v vim >/dev/null 2>&1 && [ "${CI:-}" = true ]; then
  echo "editors/check.sh: CI=true and no vim to check the Vim syntax with" >&2
  exit 1
fi
if command -v vim >/dev/null 2>&1; then
  vim_dir="$(mktemp -d)"
  trap 'rm -f "$fixture_log"; rm -rf "$vim_dir"' EXIT
  printf '%s\n' "${corpus[@]}" >"$vim_dir/files"
  printf '%s\n' "${expect_invalid[@]}" >"$vim_dir/expect_invalid"
  cat >"$vim_dir/sample.cutover" <<'EOF'
migration "M" { strategy big_bang }
source legacy: postgres { table t { id int primary key, note varchar(20) not null pii } }
lookup names { "A" | "a" => "Active", else => "Other" }
fn f(x: int?) -> text = case when x is not null then "\t\q" else "y" end
map m: legacy.t o -> crm.u { rule TRN-001 "r" key id = uuid_v5("t", o.id) else reject "x"; n = names[x] ++ f(1) }
gate g before load { unique legacy.t.id warn tolerance 0.5% }
phase p "P" 3d after q { load; gate g }  # done
migration "N" { throughput 20_000/s; downtime 1.5h; budget 1_500_000 }
EOF
  cat >"$vim_dir/check.vim" <<'EOF'
let s:fails = []
let s:dir = fnamemodify($CUTOVER_VIM_DIR, ':p')
let s:expect_invalid = readfile(s:dir . 'expect_invalid')
let s:files = readfile(s:dir . 'files')
for s:f in s:files
  let v:errmsg = ''
  execute 'silent edit ' . fnameescape(s:f)
  if &filetype !=# 'cutover' || get(b:, 'current_syntax', '') !=# 'cutover' || v:errmsg !=# ''
    call add(s:fails, s:f . ': filetype ' . &filetype . ', syntax ' . get(b:, 'current_syntax', '') . ' ' . v:errmsg)
    continue
  endif
  let s:errors = 0
  for s:l in range(1, line('$'))
    let s:line = getline(s:l)
    let s:i = stridx(s:line, '\')
    while s:i >= 0
      if synIDattr(synID(s:l, s:i + 1, 1), 'name') ==# 'cutoverEscapeError'
        let s:errors += 1
      endif
      let s:i = stridx(s:line, '\', s:i + 1)
    endwhile
  endfor
  let s:expected = index(s:expect_invalid, s:f) >= 0
  if s:expected && s:errors == 0
    call add(s:fails, s:f . ': expected an escape highlighted as an error')
  elseif !s:expected && s:errors > 0
    call add(s:fails, s:f . ': ' . s:errors . ' escapes highlighted as errors')
  endif
endfor
" Groups on a sample: [line, text (literal), nth occurrence, group].
let s:expect = [
  \ [1, 'migration', 1, 'cutoverDeclaration'], [1, 'big_bang', 1, 'cutoverConstant'],
  \ [2, 'legacy', 1, 'cutoverDeclName'], [2, 'postgres', 1, 'cutoverConstant'],
  \ [2, 'int', 1, 'cutoverType'], [2, 'primary', 1, 'cutoverKeyword'], [2, 'varchar', 1, 'cutoverType'],
  \ [2, '20', 1, 'cutoverNumber'], [2, 'not null', 1, 'cutoverOperatorWord'], [2, 'null', 1, 'cutoverNull'],
  \ [2, 'pii', 1, 'cutoverKeyword'], [3, 'names', 1, 'cutoverDeclName'], [3, '=>', 1, 'cutoverOperator'],
  \ [3, '|', 1, 'cutoverOperator'], [3, 'else', 1, 'cutoverConditional'], [3, '"Active"', 1, 'cutoverString'],
  \ [4, 'f(x', 1, 'cutoverDeclName'], [4, '?', 1, 'cutoverOperator'], [4, 'case', 1, 'cutoverConditional'],
  \ [4, 'is', 1, 'cutoverOperatorWord'], [4, '\t', 1, 'cutoverEscape'], [4, '\q', 1, 'cutoverEscapeError'],
  \ [5, 'TRN-001', 1, 'cutoverRuleId'], [5, 'uuid_v5', 1, 'cutoverBuiltin'], [5, 'o.id', 1, 'cutoverDotted'],
  \ [5, 'reject', 1, 'cutoverException'], [5, 'names', 1, 'cutoverLookup'], [5, 'f(', 1, 'cutoverFunctionCall'],
  \ [5, 'legacy.t', 1, 'cutoverDotted'], [5, 'rule', 1, 'cutoverDeclaration'], [5, 'key', 1, 'cutoverKeyword'],
  \ [6, 'g before', 1, 'cutoverDeclName'], [6, 'tolerance', 1, 'cutoverKeyword'], [6, '0.5%', 1, 'cutoverPercentage'],
  \ [7, '3d', 1, 'cutoverDuration'], [7, '# done', 1, 'cutoverComment'], [7, 'p "P"', 1, 'cutoverDeclName'],
  \ [8, '20_000/s', 1, 'cutoverRate'], [8, '1.5h', 1, 'cutoverDuration'], [8, '1_500_000', 1, 'cutoverNumber'],
  \ ]
execute 'silent edit ' . fnameescape(s:dir . 'sample.cutover')
for [s:l, s:text, s:nth, s:group] in s:expect
  let s:col = -1
  for s:k in range(s:nth)
    let s:col = stridx(getline(s:l), s:text, s:col + 1)
  endfor
  let s:got = s:col < 0 ? '(text not found)' : synIDattr(synID(s:l, s:col + 1, 1), 'name')
  if s:got !=# s:group
    call add(s:fails, 'sample line ' . s:l . ': ' . s:text . ' is ' . s:got . ', expected ' . s:group)
  endif
  if s:col >= 0 && synIDattr(synIDtrans(synID(s:l, s:col + 1, 1)), 'name') =~# '^cutover'
    call add(s:fails, s:group . ' is not linked to a standard highlight group')
  endif
endfor
call writefile(s:fails, s:dir . 'fails')
call writefile([len(s:files)], s:dir . 'count')
qall!
EOF
  CUTOVER_VIM_DIR="$vim_dir" vim -Nu NONE -i NONE -n -Es \
    --cmd "set rtp^=$root/editors/vim" -c 'filetype on' -c 'syntax on' -S "$vim_dir/check.vim" </dev/null || true
  if [[ ! -f "$vim_dir/fails" ]]; then
    echo "editors/check.sh: the Vim check did not run to its end" >&2
    exit 1
  fi
  if [[ -s "$vim_dir/fails" ]]; then
    sed 's/^/vim: /' "$vim_dir/fails"
    echo "editors/check.sh: Vim syntax checks failed" >&2
    exit 1
  fi
  vim_note="$(cat "$vim_dir/count") files highlighted in Vim"
fi

echo "editors: ${#fixtures[@]} fixtures passed, $(( ${#corpus[@]} + ${#docs[@]} )) files tokenized with no invalid scope (but the ${#expect_invalid[@]} file and ${#allow_invalid_sections[@]} doc section expected to have one), keyword sets equal, language client wired, $vim_note"
