//! The server's folders import each other in one direction only: the test reads every source file,
//! draws the graph of `crate::server::<folder>` references between folders, and fails on a circle
//! or on a shared layer that reaches up into a feature. `cargo test --features ssr --lib layers`
//! runs it; ARCHITECTURE.md explains the layers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Below the features: they may import each other (without circles) but no feature.
const SHARED: [&str; 7] = [
    "platform", "realtime", "jobs", "access", "messages", "storage", "mail",
];
/// Wires everything together; nothing in the server imports it.
const TOP: &str = "startup";

/// The crate's folder, read when the test runs: a test binary reused from a checkout elsewhere (one
/// target directory for several clones) would otherwise look in the folder it was built from.
pub(crate) fn source_root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
}

/// Folder → the folders its files name.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let root = source_root().join("src/server");
    let mut graph = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/server is readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || path.ends_with("layers.rs") {
                continue;
            }
            let rel = path.strip_prefix(&root).expect("under src/server");
            let first = rel.components().next().expect("a component");
            let folder = first
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned();
            let text = std::fs::read_to_string(&path).expect("source is text");
            let targets: &mut BTreeSet<String> = graph.entry(folder.clone()).or_default();
            for (at, _) in text.match_indices("crate::server::") {
                let rest = &text[at + "crate::server::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != folder {
                    targets.insert(name);
                }
            }
        }
    }
    graph.remove("server");
    graph
}

/// A circle through the graph, if there is one.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| n == node) {
            let mut c = path[i..].to_vec();
            c.push(node.to_owned());
            return Some(c);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_circle_between_server_folders() {
    let graph = imports();
    assert!(
        graph.contains_key("chat") && graph.contains_key("platform"),
        "{graph:?}"
    );
    if let Some(c) = circle(&graph) {
        panic!("import circle: {}", c.join(" -> "));
    }
}

#[test]
fn shared_layers_import_no_feature_and_nothing_imports_startup() {
    for (folder, targets) in imports() {
        for target in &targets {
            assert!(
                target != TOP || folder == TOP,
                "{folder} imports {TOP}: features get their slice of the state through FromRef"
            );
            if SHARED.contains(&folder.as_str()) {
                assert!(
                    SHARED.contains(&target.as_str()),
                    "{folder} is below the features but imports {target}"
                );
            }
        }
    }
}

#[test]
fn a_circle_is_found() {
    let mut graph = BTreeMap::new();
    graph.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    graph.insert("b".to_owned(), BTreeSet::from(["c".to_owned()]));
    graph.insert("c".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(circle(&graph).map(|c| c.len()), Some(4));
    graph.insert("c".to_owned(), BTreeSet::new());
    assert_eq!(circle(&graph), None);
}
