//! The load order of the shipped examples: every map runs after the maps
//! into the tables its target references.

fn order(path: &str) -> Vec<String> {
    let source = std::fs::read_to_string(format!("../../{path}")).expect("read example");
    let compiled = cutover_check::compile(&source);
    let ir = compiled.ir.expect("example resolves");
    let order = cutover_check::load_order(&ir).expect("no cycle");
    assert_eq!(order.len(), ir.maps.len(), "every map is ordered once");
    // Every foreign key among loaded tables points backwards in the order.
    let position = |t| order.iter().position(|m| ir.map(*m).target == t);
    for m in &order {
        let target = ir.map(*m).target;
        for fk in &ir.table(target).foreign_keys {
            if fk.table != target {
                if let (Some(parent), Some(child)) = (position(fk.table), position(target)) {
                    assert!(
                        parent < child,
                        "{} loads before its parent {}",
                        ir.table_path(target),
                        ir.table_path(fk.table)
                    );
                }
            }
        }
    }
    order
        .iter()
        .map(|m| ir.table(ir.map(*m).target).name.clone())
        .collect()
}

#[test]
fn crm_loads_accounts_before_their_children() {
    let tables = order("examples/crm/crm.cutover");
    assert_eq!(tables.first().map(String::as_str), Some("accounts"));
    for child in ["addresses", "contacts", "opportunities", "order_summaries"] {
        assert!(
            tables.contains(&child.to_owned()),
            "{child} missing from {tables:?}"
        );
    }
}

#[test]
fn every_example_has_an_order() {
    for path in [
        "examples/ai-platform/ai-platform.cutover",
        "examples/user-management/user-management.cutover",
    ] {
        assert!(!order(path).is_empty(), "{path}");
    }
}

#[test]
fn a_cycle_is_reported_with_its_path() {
    let source = std::fs::read_to_string("../../tests/check/invalid/E0325-load-cycle.cutover")
        .expect("read");
    let compiled = cutover_check::compile(&source);
    let ir = compiled.ir.expect("resolves");
    let cycle = cutover_check::load_order(&ir).expect_err("a cycle");
    let names: Vec<&str> = cycle
        .tables
        .iter()
        .map(|t| ir.table(*t).name.as_str())
        .collect();
    assert_eq!(names.first(), names.last());
    assert!(
        names.contains(&"accounts") && names.contains(&"notes"),
        "{names:?}"
    );
}
