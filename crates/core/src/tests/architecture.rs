//! Core's module dependencies point one way: domain types, then the ports, then the services.
//! (A cycle would make every module a part of every other; a port that knows a service would
//! tie the store to a rule.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The domain types: they depend on nothing but each other.
const DOMAIN: [&str; 7] = [
    "domain", "error", "group", "origin", "patch", "query", "user",
];

/// Every top-level module of `src/` (test doubles left out) and the modules it names through
/// `crate::`, outside its tests.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    fn source(path: &Path, out: &mut String) {
        if path.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(path)
                .expect("read dir")
                .flatten()
                .map(|e| e.path())
                .collect();
            entries.sort();
            for p in entries {
                source(&p, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(path).expect("read source");
            // What follows `#[cfg(test)]` is the module's tests.
            out.push_str(text.split("#[cfg(test)]").next().unwrap_or_default());
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = BTreeMap::new();
    for entry in std::fs::read_dir(&src).expect("src").flatten() {
        let path = entry.path();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_owned();
        if ["lib", "memory", "tests"].contains(&name.as_str()) {
            continue;
        }
        let mut text = String::new();
        source(&path, &mut text);
        let named: BTreeSet<String> = text
            .match_indices("crate::")
            .filter_map(|(i, _)| {
                let rest = &text[i + "crate::".len()..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                Some(rest[..end].to_owned()).filter(|m| !m.is_empty() && *m != name)
            })
            .collect();
        graph.insert(name, named);
    }
    graph
}

#[test]
fn ports_and_domain_types_depend_on_domain_types_only() {
    let graph = dependencies();
    for module in DOMAIN.iter().chain(&["ports"]) {
        let outside: Vec<&String> = graph[*module]
            .iter()
            .filter(|m| !DOMAIN.contains(&m.as_str()))
            .collect();
        assert!(outside.is_empty(), "{module} depends on {outside:?}");
    }
}

#[test]
fn no_module_depends_on_itself_through_others() {
    let graph = dependencies();
    // Kahn's algorithm: a module with no dependency left goes first; what never goes is a cycle.
    let mut left = graph.clone();
    loop {
        let ready: Vec<String> = left
            .iter()
            .filter(|(_, deps)| deps.iter().all(|d| !left.contains_key(d)))
            .map(|(m, _)| m.clone())
            .collect();
        if ready.is_empty() {
            break;
        }
        for m in ready {
            left.remove(&m);
        }
    }
    assert!(left.is_empty(), "modules in a cycle: {left:?}");
    assert!(graph.len() > 10, "the modules were found: {graph:?}");
}
