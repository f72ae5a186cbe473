//! The layout holds: no import loop between the files of `src/`, nor between its top-level
//! modules. An edge is a `use crate::...`, a `crate::...` path, a `super::...` path or a `use`
//! of a child module; tests inside a file do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module path inside the crate: `["ops", "write"]`; the crate root is empty.
type Module = Vec<String>;

/// Every source file of the library as its module path, with its text (tests cut off).
fn modules(src: &Path) -> BTreeMap<Module, String> {
    let mut out = BTreeMap::new();
    for entry in walkdir(src) {
        let rel = entry.strip_prefix(src).unwrap();
        let mut parts: Vec<String> = rel
            .with_extension("")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if parts.last().is_some_and(|p| p == "mod") {
            parts.pop();
        }
        if parts == ["lib"] {
            parts.clear();
        }
        if parts == ["main"] {
            continue;
        }
        let text = std::fs::read_to_string(&entry).unwrap();
        let text = match text.find("#[cfg(test)]\nmod tests") {
            Some(at) => text[..at].to_owned(),
            None => text,
        };
        let code: Vec<&str> = text
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect();
        out.insert(parts, code.join("\n"));
    }
    out
}

fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walkdir(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The paths a `use` tree names: `a::{b, c::{d, e}}` gives `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap_or("").trim().to_owned()];
    };
    let prefix = tree[..open].trim().trim_end_matches("::");
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut items, mut current, mut depth) = (Vec::new(), String::new(), 0);
    for c in inner.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    items.push(current);
    items
        .iter()
        .filter(|i| !i.trim().is_empty())
        .flat_map(|i| expand(i))
        .map(|e| match (prefix.is_empty(), e.as_str()) {
            (true, _) => e,
            (false, "self") => prefix.to_owned(),
            (false, _) => format!("{prefix}::{e}"),
        })
        .collect()
}

/// The file a path inside the crate lands in: its longest prefix that is a module.
fn resolve(files: &BTreeMap<Module, String>, path: &[String]) -> Option<Module> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|m| files.contains_key(m))
}

fn segments(path: &str) -> Vec<String> {
    path.split("::")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && s != "self" && s != "*")
        .collect()
}

/// Which files each file imports.
fn edges(files: &BTreeMap<Module, String>) -> BTreeMap<Module, BTreeSet<Module>> {
    let mut out = BTreeMap::new();
    for (module, text) in files {
        // `super` is the module above; a relative `use` names a child module.
        let parent = module[..module.len().saturating_sub(1)].to_vec();
        let mut targets = BTreeSet::new();
        for stmt in text.split(';') {
            let Some(at) = stmt.find("use ") else {
                continue;
            };
            let before = &stmt[..at];
            if !before.trim().is_empty() && !before.trim().ends_with("pub") {
                continue;
            }
            for path in expand(&stmt[at + 4..]) {
                let segs = segments(&path);
                let full = match segs.first().map(String::as_str) {
                    Some("crate") => segs[1..].to_vec(),
                    Some("super") => [&parent[..], &segs[1..]].concat(),
                    Some(first)
                        if files.contains_key(&[&module[..], &[first.to_owned()]].concat()) =>
                    {
                        [&module[..], &segs[..]].concat()
                    }
                    Some(_) | None => continue,
                };
                targets.extend(resolve(files, &full));
            }
        }
        for (prefix, base) in [("crate::", Vec::new()), ("super::", parent.clone())] {
            let mut rest = text.as_str();
            while let Some(at) = rest.find(prefix) {
                let before = rest[..at].chars().last();
                rest = &rest[at + prefix.len()..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                let path: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                if rest[path.len()..].starts_with('{') {
                    // A use tree, read above.
                    continue;
                }
                targets.extend(resolve(files, &[&base[..], &segments(&path)[..]].concat()));
            }
        }
        // A child module named in a path: `new::Args` in `commands/mod.rs`.
        for (child, _) in files.range(module.clone()..) {
            if child.len() != module.len() + 1 || !child.starts_with(module) {
                continue;
            }
            let name = format!("{}::", child[module.len()]);
            let mut rest = text.as_str();
            while let Some(at) = rest.find(&name) {
                let before = rest[..at].chars().last();
                rest = &rest[at + name.len()..];
                if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    targets.insert(child.clone());
                    break;
                }
            }
        }
        targets.remove(module);
        out.insert(module.clone(), targets);
    }
    out
}

/// The loops of a graph: each strongly connected part of two or more nodes.
fn loops(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    // Two nodes are in one loop when each reaches the other.
    let reach = |from: &Module| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(node) = todo.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&Module, BTreeSet<Module>> =
        graph.keys().map(|m| (m, reach(m))).collect();
    let mut found: Vec<Vec<Module>> = Vec::new();
    for (m, r) in &reached {
        if !r.contains(*m) || found.iter().any(|l| l.contains(m)) {
            continue;
        }
        found.push(
            reached
                .iter()
                .filter(|(o, ro)| r.contains(**o) && ro.contains(*m))
                .map(|(o, _)| (*o).clone())
                .collect(),
        );
    }
    found
}

fn show(modules: &[Module]) -> String {
    let names: Vec<String> = modules.iter().map(|m| m.join("::")).collect();
    names.join(", ")
}

#[test]
fn no_module_imports_itself_through_others() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = modules(&src);
    assert!(files.len() > 50, "the sources were not found");
    let graph = edges(&files);
    // The edges are read: a few that must exist.
    let ops_write = graph
        .get(&vec!["ops".to_owned(), "write".to_owned()])
        .unwrap();
    assert!(ops_write.contains(&vec!["ops".to_owned(), "workspace".to_owned()]));
    assert!(ops_write.contains(&vec!["rules".to_owned()]));
    let file_loops = loops(&graph);
    assert!(
        file_loops.is_empty(),
        "files that import each other in a loop: {}",
        file_loops
            .iter()
            .map(|l| show(l))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let mut top: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (from, targets) in &graph {
        let a: Module = from.iter().take(1).cloned().collect();
        for to in targets {
            let b: Module = to.iter().take(1).cloned().collect();
            if a != b && !a.is_empty() && !b.is_empty() {
                top.entry(a.clone()).or_default().insert(b);
            }
        }
    }
    let top_loops = loops(&top);
    assert!(
        top_loops.is_empty(),
        "top-level modules that import each other in a loop: {}",
        top_loops
            .iter()
            .map(|l| show(l))
            .collect::<Vec<_>>()
            .join("; ")
    );
}

#[test]
fn use_trees_expand_to_every_path() {
    assert_eq!(
        expand("crate::ops::{self, write::{Edit, Saved}, Notice}"),
        [
            "crate::ops",
            "crate::ops::write::Edit",
            "crate::ops::write::Saved",
            "crate::ops::Notice"
        ]
    );
    let mut g: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    let m = |s: &str| vec![s.to_owned()];
    g.insert(m("a"), [m("b")].into());
    g.insert(m("b"), [m("c")].into());
    g.insert(m("c"), [m("a")].into());
    g.insert(m("d"), [m("a")].into());
    assert_eq!(loops(&g), vec![vec![m("a"), m("b"), m("c")]]);
}
