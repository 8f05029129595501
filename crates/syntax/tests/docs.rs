//! Spec fragments in the docs parse: every ```cutover block of
//! docs/language.md, and the "Fix" block of every diagnostic explanation.

fn blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut lines = markdown.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        if line.trim() == "```cutover" {
            let body: Vec<&str> = lines
                .by_ref()
                .map(|(_, l)| l)
                .take_while(|l| l.trim() != "```")
                .collect();
            out.push((n + 1, body.join("\n")));
        }
    }
    out
}

#[test]
fn language_reference_examples_parse() {
    let doc = include_str!("../../../docs/language.md");
    let all = blocks(doc);
    assert!(all.len() > 10, "found only {} blocks", all.len());
    for (line, block) in all {
        if let Err(d) = cutover_syntax::parse(&block) {
            panic!("docs/language.md block at line {line} does not parse: {d:#?}\n{block}");
        }
    }
}

#[test]
fn explanation_fixes_parse() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../diagnostics/explain");
    for entry in std::fs::read_dir(dir).expect("explain dir") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        let Some(fix) = text.split("## Fix").nth(1) else {
            panic!("{}: no `## Fix` section", path.display());
        };
        for (line, block) in blocks(fix) {
            if let Err(d) = cutover_syntax::parse(&block) {
                panic!(
                    "{} Fix block (line {line} of the section) does not parse: {d:#?}\n{block}",
                    path.display()
                );
            }
        }
    }
}
