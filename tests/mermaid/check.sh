#!/usr/bin/env bash
# Self-test of validate.mjs against its fixtures. Needs the dependencies:
#   npm ci --prefix tests/mermaid --no-audit --no-fund
# Exits 0 when every expectation holds, 1 otherwise (2 if not installed).
set -u
cd "$(dirname "$0")" || exit 2

if [ ! -d node_modules/mermaid ] || [ ! -d node_modules/jsdom ]; then
  echo "check.sh: dependencies missing; run: npm ci --prefix tests/mermaid --no-audit --no-fund" >&2
  exit 2
fi

pass=0
fail=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# expect NAME WANTED_EXIT [REGEX_THAT_OUTPUT_MUST_MATCH ...] -- ARGS...
expect() {
  local name=$1 want=$2
  shift 2
  local patterns=()
  while [ "$1" != "--" ]; do patterns+=("$1"); shift; done
  shift
  node validate.mjs "$@" >"$out" 2>&1
  local got=$? ok=1 p
  [ "$got" -eq "$want" ] || ok=0
  for p in "${patterns[@]+"${patterns[@]}"}"; do
    grep -Eq -- "$p" "$out" || { ok=0; echo "  missing in output: /$p/"; }
  done
  if [ $ok -eq 1 ]; then
    pass=$((pass + 1))
    echo "PASS $name (exit $got)"
  else
    fail=$((fail + 1))
    echo "FAIL $name: wanted exit $want, got $got; output:"
    sed 's/^/  | /' "$out"
  fi
}

expect "good.md parses"                    0 '^ok   fixtures/good\.md:14  gantt$' -- fixtures/good.md
expect "bad.md is rejected by mermaid.parse" 1 '^FAIL fixtures/bad\.md:10: .*cannot parse.*fixtures/bad\.md:21' "Parse error on line 10" -- fixtures/bad.md
expect "syntax.md (accepted constructs)"   0 'syntax\.md:8  gantt$' 'syntax\.md:27  flowchart' -- fixtures/syntax.md
expect "phased.md (load and sync section)" 0 '^ok   fixtures/phased\.md:9  gantt$' -- fixtures/phased.md
expect "bad-compile.md fails compilation"  1 '^FAIL fixtures/bad-compile\.md:10: .*task compilation' -- fixtures/bad-compile.md
expect "none.md has no block"              1 'no ```mermaid block found' -- fixtures/none.md
expect "one bad file fails the run"        1 '^ok   fixtures/good\.md:14' '^FAIL fixtures/bad\.md:10' 'mermaid: 1 passed, 1 failed' -- fixtures/good.md fixtures/bad.md
expect "no argument is a usage error"      2 '^usage:' --
expect "unreadable file is a usage error"  2 'cannot read fixtures/missing\.md' -- fixtures/missing.md fixtures/good.md

echo "check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
