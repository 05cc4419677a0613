//! The core's modules stay in layers (see ARCHITECTURE.md): the foundations import nothing above
//! them, and the only import cycle is the one among the actor model's vocabulary, whose types
//! name one another by design. A new import that runs upwards and closes a cycle fails here,
//! naming the files it ties.
//!
//! An import is a `crate::…` or `super::…` path outside comments and unit-test modules, resolved
//! to the file that defines the module it names.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Import nothing of the crate but one another.
const FOUNDATIONS: &[&str] = &[
    "capabilities.rs",
    "codec.rs",
    "deadline.rs",
    "error.rs",
    "id.rs",
    "mailbox/queue/block.rs",
    "mailbox/queue/mod.rs",
    "metrics.rs",
    "reply/slot.rs",
    "sequential/clock.rs",
    "sequential/drive.rs",
    "sequential/executor.rs",
    "sequential/mod.rs",
    "spans.rs",
    "supervision.rs",
    "sync.rs",
    "time.rs",
    "wakeup.rs",
];

/// The types of the actor model that name one another: an address points to a cell whose methods
/// take addresses and envelopes; `Actor`'s methods take a `Context<Self>`, which holds the
/// actor's `Addr`; a cell holds its system's shared state, which holds cells. The one cycle
/// allowed, and only among these.
const VOCABULARY: &[&str] = &[
    "actor.rs",
    "address.rs",
    "cell.rs",
    "context/mod.rs",
    "envelope.rs",
    "mailbox/mod.rs",
    "messages.rs",
    "outside.rs",
    "registry.rs",
    "remote/proxy.rs",
    "remote/transport.rs",
    "reply/mod.rs",
    "system/directory.rs",
    "system/shared.rs",
    "watch.rs",
    "wire.rs",
];

#[test]
fn foundations_import_nothing_above_them() {
    let imports = imports();
    for file in FOUNDATIONS {
        let found = imports
            .get(*file)
            .unwrap_or_else(|| panic!("{file} is listed as a foundation but does not exist"));
        let above: Vec<_> = found
            .iter()
            .filter(|f| !FOUNDATIONS.contains(&f.as_str()))
            .collect();
        assert!(above.is_empty(), "{file} imports {above:?} from above");
    }
}

#[test]
fn the_only_cycle_is_the_vocabulary() {
    let imports = imports();
    for file in VOCABULARY {
        assert!(imports.contains_key(*file), "{file} does not exist");
    }
    for cycle in cycles(&imports) {
        let outside: Vec<_> = cycle
            .iter()
            .filter(|f| !VOCABULARY.contains(&f.as_str()))
            .collect();
        assert!(
            outside.is_empty(),
            "{outside:?} joined an import cycle: {cycle:?}"
        );
    }
}

#[test]
fn the_check_sees_a_cycle() {
    // The two checks above are only as good as the import reading: it must find a known cycle.
    let imports = imports();
    assert!(imports["address.rs"].contains("cell.rs"));
    assert!(imports["cell.rs"].contains("address.rs"));
    assert!(cycles(&imports)
        .iter()
        .any(|c| c.contains(&"address.rs".to_owned())));
}

/// Every file of the crate's `src` (the guide and the crate root aside) and the files it imports.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    collect(&root, &root, &mut files);
    let known: BTreeSet<String> = files.keys().cloned().collect();
    files
        .iter()
        .map(|(file, text)| {
            let module = module_path(file);
            let mut found = BTreeSet::new();
            for (base, rest) in paths(&code(text)) {
                let start = match base {
                    Base::Crate => Vec::new(),
                    Base::Super(up) => module[..module.len().saturating_sub(up)].to_vec(),
                };
                for tail in rest {
                    let mut segments = start.clone();
                    segments.extend(tail);
                    if let Some(target) = resolve(&segments, &known) {
                        if &target != file {
                            found.insert(target);
                        }
                    }
                }
            }
            (file.clone(), found)
        })
        .collect()
}

fn collect(root: &Path, dir: &Path, files: &mut BTreeMap<String, String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if path.is_dir() {
            if name != "guide" {
                collect(root, &path, files);
            }
        } else if name.ends_with(".rs") && name != "lib.rs" && !name.ends_with("tests.rs") {
            files.insert(name, fs::read_to_string(&path).unwrap());
        }
    }
}

/// The module path of a file: `context/mod.rs` is `context`, `remote/proxy.rs` `remote::proxy`.
fn module_path(file: &str) -> Vec<String> {
    let mut segments: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if segments.last().is_some_and(|s| s == "mod") {
        segments.pop();
    }
    segments
}

/// The text without comments and without the unit-test modules at the end of a file.
fn code(text: &str) -> String {
    let end = ["\nmod tests {", "\nmod loom_tests {"]
        .iter()
        .filter_map(|m| text.find(m))
        .min()
        .unwrap_or(text.len());
    let text = &text[..end];
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

enum Base {
    Crate,
    Super(usize),
}

/// The `crate::a::b` and `super::a` paths of `code`, a brace group `crate::a::{b, c::D}` as one
/// path per member.
fn paths(code: &str) -> Vec<(Base, Vec<Vec<String>>)> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let preceded_by_word =
            i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let (base, mut at) = if !preceded_by_word && rest.starts_with("crate::") {
            (Base::Crate, i + "crate::".len())
        } else if !preceded_by_word && rest.starts_with("super::") {
            let mut up = 0;
            let mut at = i;
            while code[at..].starts_with("super::") {
                up += 1;
                at += "super::".len();
            }
            (Base::Super(up), at)
        } else {
            i += 1;
            continue;
        };
        let mut prefix = Vec::new();
        let mut tails = Vec::new();
        loop {
            let word: String = code[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if word.is_empty() {
                if code[at..].starts_with('{') {
                    let end = code[at..].find('}').map_or(code.len(), |e| at + e);
                    for member in code[at + 1..end].split(',') {
                        let mut tail = prefix.clone();
                        tail.extend(member.trim().split("::").map(|s| s.trim().to_owned()));
                        tails.push(tail);
                    }
                    at = end;
                }
                break;
            }
            at += word.len();
            prefix.push(word);
            if code[at..].starts_with("::") {
                at += 2;
            } else {
                break;
            }
        }
        tails.push(prefix);
        out.push((base, tails));
        i = at.max(i + 1);
    }
    out
}

/// The file of the longest module prefix of `segments`.
fn resolve(segments: &[String], known: &BTreeSet<String>) -> Option<String> {
    (1..=segments.len()).rev().find_map(|k| {
        let base = segments[..k].join("/");
        [format!("{base}.rs"), format!("{base}/mod.rs")]
            .into_iter()
            .find(|candidate| known.contains(candidate))
    })
}

/// The strongly connected components of more than one file (Tarjan).
fn cycles(imports: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        imports: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in &self.imports[v] {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                loop {
                    let w = self.stack.pop().unwrap();
                    self.on_stack.remove(w);
                    component.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        imports,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in imports.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
}
