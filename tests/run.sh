#!/usr/bin/env bash
# Runs every test of Cutover on a fresh machine (Rust toolchain, cargo-nextest,
# gcc and Python 3.11 are assumed; anything else is installed here).
# Usage: tests/run.sh        (CI runs this via .ci/run, with CI=true)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "throwaway PostgreSQL cluster (tests/pg.sh; installs Debian's postgresql if missing)"
# Stopped and deleted on exit, also when a step fails or the run is
# interrupted. pg.sh writes the cluster's variables to a file first, so the
# trap finds the cluster even if a signal lands while it is starting.
pg_state="$(mktemp)"
stop_pg() {
  if [ -s "$pg_state" ]; then
    (. "$pg_state" && tests/pg.sh stop "$CUTOVER_PG_DIR") || true
  fi
  rm -f "$pg_state"
}
trap stop_pg EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
pg_skipped=""
if tests/pg.sh start >"$pg_state"; then
  . "$pg_state"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL could not be started; it is required when CI=true"
  exit 1
else
  pg_skipped="yes"
  echo "warning: PostgreSQL could not be started; the tests that need it will be SKIPPED"
fi

step "Python packages the Python backend's tests use"
# zoneinfo reads the system's tz database, or this package where there is none
# (IANA 2025b, the release chrono-tz 0.10.4 carries).
# pytest and ruff run on the generated packages; psycopg 3 is the runner's
# PostgreSQL driver.
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
  "tzdata==2025.2" "pytest==8.4.2" "ruff==0.13.3" "psycopg[binary]==3.2.10"

step "unit, corpus, property and CLI tests"
cargo nextest run --workspace --locked --no-fail-fast

step "doc tests"
cargo test --workspace --doc --locked --quiet

step "every example checks clean and passes its own examples, with the release binary"
cargo build --release --locked -p cutover-cli --quiet
for spec in examples/*/*.cutover; do
  target/release/cutover check --color never "$spec"
  target/release/cutover test --color never "$spec" | tail -n 1
done

step "every example's runbook: its Mermaid chart parses with Mermaid's own parser (npm: mermaid, jsdom)"
npm ci --prefix tests/mermaid --no-audit --no-fund --loglevel=error
bash tests/mermaid/check.sh
runbooks="$(mktemp -d)"
for spec in examples/*/*.cutover; do
  name="$(basename "$spec" .cutover)"
  target/release/cutover build "$spec" -o "$runbooks/$name" > /dev/null
done
node tests/mermaid/validate.mjs "$runbooks"/*/runbook.md
rm -rf "$runbooks"

step "editor support: TextMate grammar fixtures and every spec tokenized (npm: vscode-tmgrammar-test), keyword lists equal, the VS Code client's wiring, Vim syntax"
if ! command -v vim >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends vim-nox >/dev/null \
    || { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
         && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends vim-nox >/dev/null; }
fi
npm ci --prefix editors/vscode/test --no-audit --no-fund --loglevel=error
bash editors/check.sh

step "SARIF output validates against the published SARIF 2.1.0 schema"
tools="$PWD/target/test-tools"
mkdir -p "$tools"
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "jsonschema>=4,<5"
schema="$tools/sarif-2.1.0-rtm.5.json"
if [ ! -f "$schema" ]; then
  # The schema as Microsoft publishes it, from the npm registry.
  (cd "$tools" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null \
     && tar -xzf microsoft-jest-sarif-1.0.0-beta.0.tgz package/lib/schemas/sarif-2.1.0-rtm.5.json \
     && mv package/lib/schemas/sarif-2.1.0-rtm.5.json "$schema")
fi
invalid=(tests/check/invalid/*.cutover tests/parse/invalid/*.cutover)
status=0
target/release/cutover check --format sarif "${invalid[@]}" examples/*/*.cutover > "$tools/corpus.sarif" || status=$?
[ "$status" -eq 1 ] || { echo "expected exit 1 (findings), got $status"; exit 1; }
python3 tests/sarif/validate.py "$schema" "$tools/corpus.sarif" "${#invalid[@]}"

printf '\nAll tests passed.\n'
if [ -n "$pg_skipped" ]; then
  printf 'warning: the PostgreSQL tests were SKIPPED (no server could be started).\n'
fi
