#!/usr/bin/env python3
"""Check that the editor grammars know exactly the words of the language.

Compared (exit 1 and print the differences when a comparison fails):

1. Keywords. The reference set is every word of `grammar/cutover.pest` that
   the grammar treats as a keyword: the literal of each `kw_*` rule (the
   contextual keywords) together with the alternatives of the `keyword` rule
   (the reserved words, which must each also have a `kw_*` rule). It must
   equal
   - in `editors/vscode/syntaxes/cutover.tmLanguage.json`: the union of the
     words in the `match` of every repository entry named `keywords-*`
     (each is a `\\b(?:a|b|…)\\b` alternation), and
   - in `editors/vim/syntax/cutover.vim`: the union of the words of every
     `syn keyword` line except those of the groups cutoverType (types),
     cutoverConstant (strategy and dialect names) and cutoverTodo.
2. Types. The grammar does not list type names (the resolver checks them),
   so the reference set is the type table of docs/language.md (the table
   headed `| type | values |` in section "Columns"). It must equal the TextMate entry `types-primitive` and the
   Vim `syn keyword cutoverType` lines.
3. Built-in functions. The reference set is docs/functions.md: the `###`
   headings of its "Functions" section and the functions of its
   "Aggregates" table. It must equal the TextMate entry `functions-builtin`;
   the Vim `syn match cutoverBuiltin` alternation must list the same names
   except those that are also keywords (`count`), which Vim highlights as
   keywords because a Vim keyword always wins over a match.
4. Stray words. Every lower-case word written literally in any regular
   expression of the TextMate grammar (contextual patterns such as
   `\\b(when)\\s+(gate)…`) must be a keyword, a type, a built-in, or one of
   the strategy and dialect names the grammar highlights, so that a typo in
   a contextual pattern is caught too.

Standard library only (Python 3.11). Usage: python3 editors/keywords.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEST = ROOT / "grammar" / "cutover.pest"
TM = ROOT / "editors" / "vscode" / "syntaxes" / "cutover.tmLanguage.json"
VIM = ROOT / "editors" / "vim" / "syntax" / "cutover.vim"
LANGUAGE_MD = ROOT / "docs" / "language.md"
FUNCTIONS_MD = ROOT / "docs" / "functions.md"

# Values the TextMate grammar highlights that are not keywords, types or
# built-ins (the resolver checks them: Strategy::NAMES, Dialect::NAMES and
# RollbackStrategy::NAMES in crates/ir).
KNOWN_VALUES = {
    "big_bang", "phased", "parallel_run",
    "truncate", "delete_batch", "restore_snapshot",
    "postgres", "sqlite",
}
VIM_NON_KEYWORD_GROUPS = {"cutoverType", "cutoverConstant", "cutoverTodo"}
VIM_OPTIONS = {"contained", "transparent", "skipwhite", "skipnl", "skipempty", "conceal", "display", "fold"}

problems: list[str] = []


def problem(msg: str) -> None:
    problems.append(msg)


# ─────────────────────────── pest ───────────────────────────


def pest_keywords() -> set[str]:
    text = PEST.read_text(encoding="utf-8")
    # Drop comments so that words in `//` and `///` lines do not count.
    code = re.sub(r"//[^\n]*", "", text)
    kw: set[str] = set()
    for name, body in re.findall(r"^(kw_\w+)\s*=\s*@?\{(.*?)\}\s*$", code, re.M):
        lits = re.findall(r'"([^"]*)"', body)
        if len(lits) != 1:
            problem(f"pest: {name} does not hold exactly one literal: {body.strip()}")
            continue
        if name != "kw_" + lits[0]:
            problem(f"pest: {name} matches {lits[0]!r}, not the word its name says")
        kw.add(lits[0])
    m = re.search(r"^keyword\s*=\s*@?\{(.*?)\n\}", code, re.M | re.S)
    if not m:
        problem("pest: no `keyword` rule found")
        reserved: set[str] = set()
    else:
        reserved = set(re.findall(r'"([^"]*)"', m.group(1)))
    if not kw:
        problem("pest: no kw_* rules found")
    for w in sorted(reserved - kw):
        problem(f"pest: reserved word {w!r} has no kw_{w} rule")
    return kw | reserved


# ─────────────────────────── TextMate ───────────────────────────


def alternation_words(regex: str, where: str) -> set[str]:
    m = re.fullmatch(r"\\b\(\?:([a-z_0-9|]+)\)\\b(?:\(\?=.*\))?", regex)
    if not m:
        problem(f"TextMate: {where}: expected a \\b(?:word|…)\\b alternation, found {regex!r}")
        return set()
    return set(m.group(1).split("|"))


def regexes(node, path="$"):
    """Every (path, regex) of a grammar: match, begin, end and while."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("match", "begin", "end", "while") and isinstance(v, str):
                yield f"{path}.{k}", v
            else:
                yield from regexes(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from regexes(v, f"{path}[{i}]")


def literal_words(regex: str) -> set[str]:
    """Lower-case words written literally in a regex (outside classes/escapes)."""
    s = re.sub(r"\\[pP]\{[^}]*\}", " ", regex)  # \p{L}
    s = re.sub(r"\\.", " ", s)  # \b \s \w \. …
    s = re.sub(r"\[(?:[^\]\\]|\\.)*\]", " ", s)  # [a-z_] …
    s = re.sub(r"\(\?[:=!<>]*", "(", s)  # group prefixes
    return {w for w in re.findall(r"[a-z_][a-z_0-9]*", s) if len(w) > 1}


def textmate_sets() -> tuple[set[str], set[str], set[str], dict]:
    grammar = json.loads(TM.read_text(encoding="utf-8"))
    repo = grammar.get("repository", {})
    keywords: set[str] = set()
    entries = [k for k in repo if k.startswith("keywords-")]
    if not entries:
        problem("TextMate: no repository entry named keywords-*")
    for k in entries:
        keywords |= alternation_words(repo[k].get("match", ""), f"repository.{k}")
    types = alternation_words(repo.get("types-primitive", {}).get("match", ""), "repository.types-primitive")
    builtins = alternation_words(repo.get("functions-builtin", {}).get("match", ""), "repository.functions-builtin")
    return keywords, types, builtins, grammar


# ─────────────────────────── Vim ───────────────────────────


def vim_sets() -> tuple[set[str], set[str], set[str]]:
    keywords: set[str] = set()
    types: set[str] = set()
    builtins: set[str] = set()
    for line in VIM.read_text(encoding="utf-8").splitlines():
        parts = line.split('"', 1)[0].split() if line.lstrip().startswith("syn keyword") else []
        if parts[:2] == ["syn", "keyword"] and len(parts) > 2:
            group = parts[2]
            words = {w for w in parts[3:] if w not in VIM_OPTIONS and "=" not in w}
            if group == "cutoverType":
                types |= words
            elif group not in VIM_NON_KEYWORD_GROUPS:
                keywords |= words
        m = re.match(r'\s*syn\s+match\s+cutoverBuiltin\s+"\\<\\%\(([a-z_0-9\\|]+)\\\)', line)
        if m:
            builtins |= set(m.group(1).split("\\|"))
    if not builtins:
        problem("Vim: no `syn match cutoverBuiltin \"\\<\\%(a\\|b…\\)…\"` line found")
    return keywords, types, builtins


# ─────────────────────────── docs ───────────────────────────


def section(text: str, heading: str) -> str:
    m = re.search(rf"^{re.escape(heading)}\s*$(.*?)(?=^#{{1,{heading.count('#')}}} )", text + "\n# end", re.M | re.S)
    if not m:
        problem(f"docs: no section {heading!r}")
        return ""
    return m.group(1)


def doc_types() -> set[str]:
    body = section(LANGUAGE_MD.read_text(encoding="utf-8"), "### Columns")
    types: set[str] = set()
    in_table = False
    for line in body.splitlines():
        if re.match(r"\|\s*type\s*\|", line):  # the table headed `| type | values |`
            in_table = True
        elif in_table and line.startswith("| `"):
            first_cell = line.split("|")[1]
            types |= set(re.findall(r"`([a-z]+)(?:\([^`]*\))?`", first_cell))
        elif in_table and not line.startswith("|"):
            in_table = False
    if not types:
        problem("docs/language.md: no type table under ### Columns")
    return types


def doc_builtins() -> set[str]:
    text = FUNCTIONS_MD.read_text(encoding="utf-8")
    names = set(re.findall(r"^### ([a-z_0-9]+)\s*$", section(text, "## Functions"), re.M))
    for line in section(text, "## Aggregates").splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([a-z_0-9]+)\(", line.split("|")[1]))
    if not names:
        problem("docs/functions.md: no built-in functions found")
    return names


# ─────────────────────────── compare ───────────────────────────


def compare(what: str, ref_name: str, ref: set[str], others: dict[str, set[str]]) -> None:
    for name, got in others.items():
        missing, extra = sorted(ref - got), sorted(got - ref)
        if missing:
            problem(f"{what}: {name} lacks {', '.join(missing)} (in {ref_name})")
        if extra:
            problem(f"{what}: {name} has {', '.join(extra)}, not in {ref_name}")


def main() -> int:
    pest = pest_keywords()
    tm_kw, tm_types, tm_builtins, grammar = textmate_sets()
    vim_kw, vim_types, vim_builtins = vim_sets()
    types = doc_types()
    builtins = doc_builtins()

    compare("keywords", "grammar/cutover.pest", pest, {"cutover.tmLanguage.json": tm_kw, "cutover.vim": vim_kw})
    compare("types", "docs/language.md", types, {"cutover.tmLanguage.json": tm_types, "cutover.vim": vim_types})
    compare("built-ins", "docs/functions.md", builtins, {"cutover.tmLanguage.json": tm_builtins})
    compare("built-ins that are not keywords", "docs/functions.md", builtins - pest, {"cutover.vim": vim_builtins})

    known = pest | types | builtins | KNOWN_VALUES
    for path, rx in regexes(grammar):
        for w in sorted(literal_words(rx) - known):
            problem(f"TextMate: {path} names {w!r}, which is no keyword, type, built-in or known value")

    if problems:
        for p in problems:
            print(f"keywords.py: {p}")
        print(f"keywords.py: {len(problems)} differences")
        return 1
    print(
        f"keywords: {len(pest)} keywords, {len(types)} types and {len(builtins)} built-ins agree across "
        "grammar/cutover.pest, docs, cutover.tmLanguage.json and cutover.vim"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
