//! Documentation hygiene: every relative link in every Markdown file and
//! template resolves, every docs folder has a README index, and the root
//! keeps only what belongs there.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | ".git" | "node_modules") {
                walk(&path, out);
            }
        } else {
            out.push(path);
        }
    }
}

/// Link targets in Markdown (`](target)`) and HTML (`href="target"`).
fn links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (open, close) in [("](", ')'), ("href=\"", '"')] {
        let mut rest = text;
        while let Some(i) = rest.find(open) {
            let tail = &rest[i + open.len()..];
            let end = tail.find(close).unwrap_or(tail.len());
            found.push(tail[..end].trim().to_owned());
            rest = &tail[end..];
        }
    }
    found
}

#[test]
fn every_relative_link_resolves() {
    let mut files = Vec::new();
    walk(&root(), &mut files);
    let mut checked = 0;
    let mut broken = Vec::new();
    for file in files {
        let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
        let is_template = ext == "html" && file.components().any(|c| c.as_os_str() == "templates");
        if ext != "md" && !is_template {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for link in links(&text) {
            let target = link
                .split(['#', '?'])
                .next()
                .unwrap_or("")
                .split_whitespace()
                .next()
                .unwrap_or("");
            if target.is_empty()
                || target.contains("://")
                || target.starts_with("mailto:")
                || target.contains("{{")
                || target.contains("{%")
                || (is_template && target.starts_with('/'))
            {
                continue;
            }
            let resolved = if target.starts_with('/') {
                root().join(target.trim_start_matches('/'))
            } else {
                file.parent().unwrap().join(target)
            };
            checked += 1;
            if !resolved.exists() {
                broken.push(format!(
                    "{} -> {link}",
                    file.strip_prefix(root()).unwrap().display()
                ));
            }
        }
    }
    assert!(
        checked >= 20,
        "only {checked} links found; is the scan broken?"
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn every_docs_folder_has_an_index() {
    let mut missing = Vec::new();
    fn dirs(dir: &Path, out: &mut Vec<PathBuf>) {
        out.push(dir.to_path_buf());
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs(&p, out);
            }
        }
    }
    let mut all = Vec::new();
    dirs(&root().join("docs"), &mut all);
    for d in &all {
        if !d.join("README.md").exists() {
            missing.push(d.display().to_string());
        }
    }
    assert!(all.len() >= 10);
    assert!(missing.is_empty(), "folders without README.md: {missing:?}");
}

#[test]
fn repository_root_keeps_only_the_build_files() {
    let allowed = [
        "Cargo.toml",
        "Cargo.lock",
        "crates",
        "bins",
        "examples",
        "migrations",
        "config",
        "docs",
        "tests",
        "Dockerfile",
        "justfile",
        "README.md",
        "CHANGELOG.md",
        "LICENSE",
        "rust-toolchain.toml",
        "diesel.toml",
        "deny.toml",
        "target",
        "data",
        "logs",
    ];
    for entry in std::fs::read_dir(root()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            name.starts_with('.') || allowed.contains(&name.as_str()),
            "unexpected top-level entry {name}"
        );
    }
}
