"""Validates `cutover check --format sarif` output against the published
SARIF 2.1.0 schema (from the npm package @microsoft/jest-sarif), and checks
what the schema cannot: every result's ruleIndex points at its rule.

Usage: python3 validate.py SCHEMA.json LOG.sarif MIN_RESULTS
"""

import json
import sys

import jsonschema


def main() -> int:
    schema_path, log_path, min_results = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    with open(log_path, encoding="utf-8") as f:
        log = json.load(f)
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    for e in errors[:20]:
        print(f"schema violation at {'/'.join(map(str, e.path))}: {e.message}", file=sys.stderr)
    if errors:
        return 1
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    for r in results:
        if rules[r["ruleIndex"]]["id"] != r["ruleId"]:
            print(f"ruleIndex {r['ruleIndex']} does not point at {r['ruleId']}", file=sys.stderr)
            return 1
    if len(results) < min_results:
        print(f"expected at least {min_results} results, got {len(results)}", file=sys.stderr)
        return 1
    codes = sorted({r["ruleId"] for r in results})
    print(f"SARIF log valid: {len(results)} results, {len(codes)} distinct codes, {len(rules)} rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
