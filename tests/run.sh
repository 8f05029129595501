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

step "unit, corpus, property and CLI tests"
cargo nextest run --workspace --locked --no-fail-fast

step "doc tests"
cargo test --workspace --doc --locked --quiet

step "every example checks clean with the release binary"
cargo build --release --locked -p cutover-cli --quiet
for spec in examples/*/*.cutover; do
  target/release/cutover check --color never "$spec"
done

printf '\nAll tests passed.\n'
