" Vim syntax file
" Language:    Cutover migration specs (*.cutover)
" Grammar:     grammar/cutover.pest; reference: docs/language.md
" Maintainers: keep the `syn keyword` lists in step with the pest grammar and
"              editors/vscode/syntaxes/cutover.tmLanguage.json;
"              editors/keywords.py (run by editors/check.sh) checks that the
"              three agree.

if exists("b:current_syntax")
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

syn case match
syn iskeyword @,48-57,_,192-255

" ─── Keywords ────────────────────────────────────────────────────────────
" Most words are contextual in Cutover (a column may be called `key` or
" `count`); Vim highlights them wherever they appear.

" Declarations.
syn keyword cutoverDeclaration  example fn gate lookup map migration phase rollback rule source table target
" Control flow: case/if expressions, `else reject`.
syn keyword cutoverConditional  case else end if then when
syn keyword cutoverException    reject
" Word operators.
syn keyword cutoverOperatorWord and between in is like not or
" Constants.
syn keyword cutoverBoolean      false true
syn keyword cutoverNull         null
" Every other keyword of the grammar.
syn keyword cutoverKeyword      after allow as assert because before by cast check checksum count
syn keyword cutoverKeyword      default drop error expect fails fk for foreign given group join key
syn keyword cutoverKeyword      left load not_null on owner pii primary recompute ref references
syn keyword cutoverKeyword      rejected resolves rows sample strategy tolerance unique warn where
syn keyword cutoverKeyword      batch deletes incremental missing reconcile show skew

" ─── Types, built-in functions, known values ─────────────────────────────
syn keyword cutoverType         bigint bool bytes char date decimal float int json smallint text
syn keyword cutoverType         time timestamp timestamptz uuid varchar
" Calls of `fn`s (a keyword at the same place wins; built-ins below win too).
syn match   cutoverFunctionCall "\<\h\w*\ze("
" Lookups: `status_names[code]`.
syn match   cutoverLookup       "\<\h\w*\ze\s*\["
" Built-in functions, when called (`count` is also a gate keyword, above).
syn match   cutoverBuiltin      "\<\%(abs\|coalesce\|length\|lower\|lpad\|ltrim\|mask\|max\|min\|now\|nullif\|parse_date\|parse_timestamp\|replace\|round\|rpad\|rtrim\|sha256\|split_part\|squish\|substr\|sum\|title\|to_utc\|trim\|truncate\|upper\|uuid_v5\)\ze\s*("
syn keyword cutoverConstant     big_bang phased parallel_run delete_batch restore_snapshot postgres sqlite

" ─── Names ────────────────────────────────────────────────────────────────
" Names declared by map, lookup, fn, gate, phase, table, source, target.
syn match   cutoverDeclName     "\%(\<\%(lookup\|fn\|gate\|phase\|table\|source\|target\)\s\+\)\@<=\h\w*\>\%(\s*\.\)\@!"
syn match   cutoverDeclName     "\%(\<map\s\+\)\@<=\h\w*\ze\s*:"
" `system.table.column`, `alias.column`.
syn match   cutoverDotted       "\<\h\w*\%(\s*\.\s*\h\w*\)\+"
" `Quoted names`, with a doubled backtick inside.
syn match   cutoverQuotedName   "`\%([^`]\|``\)\+`"
" Rule ids: `rule TRN-001 "…"` and `expect reject TRN-001 "…"`.
syn match   cutoverRuleId       "\%(\<\%(rule\|reject\)\s\+\)\@<=\a[A-Za-z0-9_]*\%(-[A-Za-z0-9_]\+\)*"

" ─── Literals ─────────────────────────────────────────────────────────────
syn match   cutoverNumber       "\<\d\%(_\=\d\)*\%(\.\d\%(_\=\d\)*\)\=\>"
" Durations `30s`, `3d`, percentages `0.5%`, rates `20_000/s`.
syn match   cutoverDuration     "\<\d\%(_\=\d\)*\%(\.\d\%(_\=\d\)*\)\=[smhdw]\>"
syn match   cutoverPercentage   "\<\d\%(_\=\d\)*\%(\.\d\%(_\=\d\)*\)\=%"
syn match   cutoverRate         "\<\d\%(_\=\d\)*\%(\.\d\%(_\=\d\)*\)\=/[smh]\>"

" Strings: escapes \" \\ \n \r \t \0 \u{HEX}; anything else is E0003.
syn match   cutoverEscapeError  "\\\_." contained
syn match   cutoverEscapeError  "\\u{[^}\"[:space:]]*}\=" contained
syn match   cutoverEscape       "\\[\"\\nrt0]" contained
syn match   cutoverEscape       "\\u{\%(0*[dD][89a-fA-F]\x\x}\)\@!\%(\%(1[1-9a-fA-F]\|[2-9a-fA-F]\x\)\x\{4}}\)\@!\x\{1,6}}" contained
syn region  cutoverString       start=+"+ skip=+\\\\\|\\"+ end=+"+ contains=cutoverEscape,cutoverEscapeError,@Spell

" ─── Operators and comments ───────────────────────────────────────────────
syn match   cutoverOperator     "->\|=>\|==\|!=\|<>\|<=\|>=\|++\|[-+*/%<>=~|?]"
syn keyword cutoverTodo         contained TODO FIXME XXX NOTE
syn match   cutoverComment      "#.*$" contains=cutoverTodo,@Spell

syn sync minlines=200

hi def link cutoverDeclaration  Keyword
hi def link cutoverConditional  Conditional
hi def link cutoverException    Exception
hi def link cutoverOperatorWord Operator
hi def link cutoverBoolean      Boolean
hi def link cutoverNull         Constant
hi def link cutoverKeyword      Keyword
hi def link cutoverType         Type
hi def link cutoverBuiltin      Function
hi def link cutoverConstant     Constant
hi def link cutoverFunctionCall Function
hi def link cutoverLookup       Function
hi def link cutoverDeclName     Function
hi def link cutoverDotted       Identifier
hi def link cutoverQuotedName   Identifier
hi def link cutoverRuleId       Special
hi def link cutoverNumber       Number
hi def link cutoverDuration     Number
hi def link cutoverPercentage   Number
hi def link cutoverRate         Number
hi def link cutoverEscape       SpecialChar
hi def link cutoverEscapeError  Error
hi def link cutoverString       String
hi def link cutoverOperator     Operator
hi def link cutoverTodo         Todo
hi def link cutoverComment      Comment

let b:current_syntax = "cutover"

let &cpo = s:cpo_save
unlet s:cpo_save
