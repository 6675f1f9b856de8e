//! The checks of `paths::PathPolicy`.

use std::io;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;

use grader_kit::prop::property;
use grader_kit::rules::{check_rule, ensure_rule};
use grader_kit::{Outcome, unit};

use super::{Api, PathRefusal, Reference};

/// Directories inside the root where files and links go.
const DIRS: &[&str] = &["", "app", "app/nested", "db"];

/// Where a symlink inside the root points.
#[derive(Debug, Clone, Copy)]
enum LinkTarget {
    /// A file inside the root: following it is fine.
    InsideFile(usize),
    /// `private/secret.txt`, outside every root.
    OutsideFile,
    /// A look-alike sibling directory of the root.
    SiblingDir(usize),
    /// The root's parent directory.
    Parent,
    /// Nothing: a dangling link pointing outside.
    DanglingOutside,
    /// Nothing: a dangling link pointing to a missing file inside the root.
    DanglingInside,
}

/// A requested path, in terms of the generated tree.
#[derive(Debug, Clone, Copy)]
enum Request {
    /// An inside file, relative, with `./` or `dir/../` noise.
    Inside { file: usize, noise: u8 },
    /// An inside file by its absolute path.
    InsideAbsolute(usize),
    /// A path through link `link`, optionally into it (`link/stolen.log`).
    ViaLink { link: usize, into: bool },
    /// A file of a sibling directory, by absolute path.
    Sibling(usize),
    /// A file of a sibling directory, by `../sibling/...`.
    SiblingRelative(usize),
    /// `../private/secret.txt`
    Traversal,
    /// `private/secret.txt` by its absolute path.
    OutsideAbsolute,
    /// A new file in an existing directory of the root.
    NewFile(usize),
    /// A new file in a directory that does not exist.
    NewInMissingDir,
    /// A new file in the root's parent: outside.
    NewOutside,
    /// `audit.log`, relative: the second root holds one, the first does not.
    SecondRootsFileRelative,
    /// A path that goes on through a regular file: `a.log/x`.
    ThroughFile(usize),
    /// A path whose last component is `..`, below a directory that exists
    /// or not.
    EndsWithDotDot { dir_exists: bool },
    /// The root itself, as `.`.
    RootItself,
}

/// A generated directory tree with a root `logs`, siblings that share its
/// prefix, a private directory, symlinks and maybe a second root.
#[derive(Debug, Clone)]
struct Tree {
    /// Files inside the root, relative to it.
    files: Vec<String>,
    /// Sibling directories beside the root, each with `stolen.log`.
    siblings: Vec<&'static str>,
    /// Symlinks: (index into the directories of the root, target).
    links: Vec<(usize, LinkTarget)>,
    /// A second root `audit/` holding `audit.log`.
    second_root: bool,
    /// The paths requested.
    requests: Vec<Request>,
}

fn tree() -> impl Strategy<Value = Tree> {
    let file = (
        0..DIRS.len(),
        select(vec!["a.log", "b..c.log", "notes.txt", ".hidden", "x..log"]),
    )
        .prop_map(|(d, n)| {
            if DIRS[d].is_empty() {
                n.to_owned()
            } else {
                format!("{}/{n}", DIRS[d])
            }
        });
    let files =
        prop::collection::btree_set(file, 1..6).prop_map(|s| s.into_iter().collect::<Vec<_>>());
    let siblings = prop::sample::subsequence(vec!["logs_evil", "logs2", "logs.old", "logsx"], 1..4);
    let target = prop_oneof![
        (0usize..8).prop_map(LinkTarget::InsideFile),
        Just(LinkTarget::OutsideFile),
        (0usize..4).prop_map(LinkTarget::SiblingDir),
        Just(LinkTarget::Parent),
        Just(LinkTarget::DanglingOutside),
        Just(LinkTarget::DanglingInside),
    ];
    let links = prop::collection::vec((0..DIRS.len(), target), 0..4);
    let request = prop_oneof![
        (0usize..8, 0u8..3).prop_map(|(file, noise)| Request::Inside { file, noise }),
        (0usize..8).prop_map(Request::InsideAbsolute),
        (0usize..4, any::<bool>()).prop_map(|(link, into)| Request::ViaLink { link, into }),
        (0usize..4).prop_map(Request::Sibling),
        (0usize..4).prop_map(Request::SiblingRelative),
        Just(Request::Traversal),
        Just(Request::OutsideAbsolute),
        (0..DIRS.len()).prop_map(Request::NewFile),
        Just(Request::NewInMissingDir),
        Just(Request::NewOutside),
        Just(Request::SecondRootsFileRelative),
        (0usize..8).prop_map(Request::ThroughFile),
        any::<bool>().prop_map(|dir_exists| Request::EndsWithDotDot { dir_exists }),
        Just(Request::RootItself),
    ];
    (
        files,
        siblings,
        links,
        any::<bool>(),
        prop::collection::vec(request, 1..8),
    )
        .prop_map(|(files, siblings, links, second_root, requests)| Tree {
            files,
            siblings,
            links,
            second_root,
            requests,
        })
}

/// A generated tree laid out on disk.
struct Layout {
    _dir: tempfile::TempDir,
    base: PathBuf,
    roots: Vec<PathBuf>,
}

fn lay_out(tree: &Tree) -> io::Result<Layout> {
    let dir = tempfile::tempdir()?;
    let base = dir.path().canonicalize()?;
    let root = base.join("logs");
    for d in DIRS {
        std::fs::create_dir_all(root.join(d))?;
    }
    for f in &tree.files {
        std::fs::write(root.join(f), "inside\n")?;
    }
    for s in &tree.siblings {
        std::fs::create_dir_all(base.join(s))?;
        std::fs::write(base.join(s).join("stolen.log"), "sibling\n")?;
    }
    std::fs::create_dir_all(base.join("private"))?;
    std::fs::write(base.join("private/secret.txt"), "secret\n")?;
    let mut roots = vec![root.clone()];
    if tree.second_root {
        std::fs::create_dir_all(base.join("audit"))?;
        std::fs::write(base.join("audit/audit.log"), "audit\n")?;
        roots.push(base.join("audit"));
    }
    for (i, (d, target)) in tree.links.iter().enumerate() {
        let to = match *target {
            LinkTarget::InsideFile(k) => root.join(&tree.files[k % tree.files.len()]),
            LinkTarget::OutsideFile => base.join("private/secret.txt"),
            LinkTarget::SiblingDir(k) => base.join(tree.siblings[k % tree.siblings.len()]),
            LinkTarget::Parent => base.clone(),
            LinkTarget::DanglingOutside => base.join("nowhere/x.log"),
            LinkTarget::DanglingInside => root.join("gone.log"),
        };
        std::os::unix::fs::symlink(to, root.join(DIRS[*d]).join(format!("link{i}")))?;
    }
    Ok(Layout {
        _dir: dir,
        base,
        roots,
    })
}

fn joined(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

fn request_text(tree: &Tree, layout: &Layout, request: Request) -> String {
    let file = |k: usize| tree.files[k % tree.files.len()].clone();
    let sibling = |k: usize| tree.siblings[k % tree.siblings.len()];
    match request {
        Request::Inside { file: k, noise } => match noise {
            0 => file(k),
            1 => format!("./{}", file(k)),
            _ => format!("app/../{}", file(k)),
        },
        Request::InsideAbsolute(k) => layout.roots[0].join(file(k)).display().to_string(),
        Request::ViaLink { link, into } if !tree.links.is_empty() => {
            let i = link % tree.links.len();
            let name = joined(DIRS[tree.links[i].0], &format!("link{i}"));
            if into {
                format!("{name}/stolen.log")
            } else {
                name
            }
        }
        Request::ViaLink { .. } | Request::Traversal => "../private/secret.txt".to_owned(),
        Request::OutsideAbsolute => layout.base.join("private/secret.txt").display().to_string(),
        Request::Sibling(k) => layout
            .base
            .join(sibling(k))
            .join("stolen.log")
            .display()
            .to_string(),
        Request::SiblingRelative(k) => format!("../{}/stolen.log", sibling(k)),
        Request::NewFile(d) => joined(DIRS[d % DIRS.len()], "new.log"),
        Request::NewInMissingDir => "missing/new.log".to_owned(),
        Request::NewOutside => "../new.log".to_owned(),
        Request::SecondRootsFileRelative => "audit.log".to_owned(),
        Request::ThroughFile(k) => format!("{}/x.log", file(k)),
        Request::EndsWithDotDot { dir_exists: true } => "app/..".to_owned(),
        Request::EndsWithDotDot { dir_exists: false } => "missing/..".to_owned(),
        Request::RootItself => ".".to_owned(),
    }
}

/// Compares one request's outcome with the reference's, naming the rule.
fn same_resolution(
    text: &str,
    got: Result<PathBuf, PathRefusal>,
    want: Result<PathBuf, PathRefusal>,
) -> Result<(), TestCaseError> {
    match (got, want) {
        (Ok(g), Ok(w)) => ensure_rule("real-path", g == w, || {
            format!(
                "{text:?} resolved to {}, expected {}",
                g.display(),
                w.display()
            )
        }),
        (Ok(g), Err(w)) => {
            let rule = if w.code == "outside_roots" {
                "outside-refused"
            } else {
                "resolve-errors"
            };
            ensure_rule(rule, false, || {
                format!(
                    "{text:?} resolved to {} but must be refused ({})",
                    g.display(),
                    w.code
                )
            })
        }
        (Err(g), Ok(w)) => ensure_rule("inside-accepted", false, || {
            format!(
                "{text:?} was refused ({}) but is {} inside a root",
                g.code,
                w.display()
            )
        }),
        (Err(g), Err(w)) => {
            let rule = if w.code == "outside_roots" || g.code == "outside_roots" {
                "outside-refused"
            } else {
                "resolve-errors"
            };
            ensure_rule(rule, g.code == w.code && g.os_error == w.os_error, || {
                format!("{text:?} was refused as {g:?}, expected {w:?}")
            })?;
            ensure_rule("error-names-request", g.subject == w.subject, || {
                format!(
                    "{text:?} was refused as {}, carrying {:?}; the error must carry the path as requested",
                    g.code, g.subject
                )
            })
        }
    }
}

/// `PathPolicy::resolve`, steps 3-5: on generated trees with symlinks
/// (inside, outside, to a look-alike sibling, to the parent, dangling),
/// look-alike siblings and a second root, each request gives what the
/// reference gives: the same real path, or the same error with the same
/// payload (the path as requested, the operating system's error).
pub fn paths_stay_inside_roots<S: Api>() -> Outcome {
    property(64, tree(), |tree| {
        let layout = lay_out(&tree)
            .map_err(|e| TestCaseError::reject(format!("could not build the tree: {e}")))?;
        let learner = match S::policy(&layout.roots) {
            Ok(policy) => policy,
            Err(refusal) => {
                return ensure_rule("inside-accepted", false, || {
                    format!("PathPolicy::new refused valid roots: {refusal:?}")
                });
            }
        };
        let reference = Reference::policy(&layout.roots).expect("the reference builds the policy");
        let mut requests: Vec<String> = tree
            .requests
            .iter()
            .map(|r| request_text(&tree, &layout, *r))
            .collect();
        if tree.second_root {
            requests.push(layout.base.join("audit/audit.log").display().to_string());
        }
        for text in requests {
            let got = S::resolve(&learner, &text);
            let want = Reference::resolve(&reference, &text);
            same_resolution(&text, got, want)?;
        }
        Ok(())
    })
}

fn text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Checks that building a policy over `roots` fails with `code`, carrying
/// `subject` (the root as given) and, for `root_unavailable`, a NotFound
/// system error.
fn expect_policy_error<S: Api>(
    what: &str,
    roots: &[PathBuf],
    code: &str,
    subject: Option<&Path>,
) -> Result<(), String> {
    match S::policy(roots) {
        Ok(_) => check_rule("root-errors", false, || {
            format!("{what}: the policy was built, expected {code}")
        }),
        Err(got) => {
            check_rule("root-errors", got.code == code, || {
                format!("{what}: refused as {}, expected {code}", got.code)
            })?;
            let want = subject.map(text);
            check_rule("root-errors", got.subject == want, || {
                format!(
                    "{what}: the error carries {:?}, expected the root as given, {want:?}",
                    got.subject
                )
            })?;
            if code == "root_unavailable" {
                check_rule(
                    "root-errors",
                    got.os_error == Some(io::ErrorKind::NotFound),
                    || {
                        format!(
                            "{what}: the error carries the system error {:?}, expected the one canonicalize gave (NotFound)",
                            got.os_error
                        )
                    },
                )?;
            }
            Ok(())
        }
    }
}

/// `PathPolicy::new` and the edges of `resolve`: roots are stored
/// canonical and in the order given; a missing root, a root that is a file
/// and no roots fail when the policy is built, with the root as given (the
/// first bad root in order); an empty request is `Empty` and one holding
/// NUL is `ContainsNul`; a look-alike sibling is refused; `..` inside a
/// file name is just a name.
pub fn paths_edge_cases<S: Api>() -> Outcome {
    unit((|| {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let base = dir.path().canonicalize().map_err(|e| e.to_string())?;
        let root = base.join("srv/logs");
        let other = base.join("srv/audit");
        std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(&other).map_err(|e| e.to_string())?;
        std::fs::write(root.join("app..v2.log"), "x").map_err(|e| e.to_string())?;
        std::fs::write(base.join("file"), "x").map_err(|e| e.to_string())?;
        let via_dots = base.join("srv/./logs/../logs");
        let policy = match S::policy(&[via_dots]) {
            Ok(policy) => policy,
            Err(refusal) => {
                return check_rule("roots-canonical", false, || {
                    format!("a root written with ./ and .. was refused: {refusal:?}")
                })
                .map(|()| String::new());
            }
        };
        check_rule(
            "roots-canonical",
            S::roots(&policy) == [root.clone()],
            || {
                format!(
                    "roots() must hold the canonical root {}, got {:?}",
                    root.display(),
                    S::roots(&policy)
                )
            },
        )?;
        let got =
            S::policy(&[base.join("srv/audit/."), base.join("srv/logs")]).map(|p| S::roots(&p));
        check_rule(
            "roots-canonical",
            matches!(&got, Ok(roots) if *roots == [other.clone(), root.clone()]),
            || {
                format!(
                    "two roots must be kept canonical, in the order given ({}, then {}); got {got:?}",
                    other.display(),
                    root.display()
                )
            },
        )?;
        let refused = |what: &str, request: &str, code: &str| -> Result<(), String> {
            let got = S::resolve(&policy, request);
            check_rule(
                "empty-and-nul",
                matches!(&got, Err(r) if r.code == code),
                || format!("{what} must be refused as {code}, got {got:?}"),
            )
        };
        refused("an empty path", "", "empty")?;
        refused(
            "a path with NUL",
            "app..v2.log\0/../../../../etc/passwd",
            "contains_nul",
        )?;
        refused("a path that is only NUL", "\0", "contains_nul")?;
        refused("a path ending in NUL", "app..v2.log\0", "contains_nul")?;
        let sibling = S::resolve(&policy, &format!("{}_evil/x.log", root.display()));
        check_rule("outside-refused", sibling.is_err(), || {
            format!("a look-alike sibling must be refused, got {sibling:?}")
        })?;
        let dotted = S::resolve(&policy, "app..v2.log");
        check_rule(
            "dots-in-names",
            matches!(&dotted, Ok(p) if *p == root.join("app..v2.log")),
            || format!("app..v2.log inside the root must resolve, got {dotted:?}"),
        )?;
        let missing = base.join("./missing");
        let file_via_dots = base.join("srv/../file");
        expect_policy_error::<S>(
            "a missing root",
            std::slice::from_ref(&missing),
            "root_unavailable",
            Some(&missing),
        )?;
        expect_policy_error::<S>(
            "a root that is a file",
            std::slice::from_ref(&file_via_dots),
            "root_not_a_directory",
            Some(&file_via_dots),
        )?;
        expect_policy_error::<S>(
            "a good root, then a missing one",
            &[root.clone(), missing.clone()],
            "root_unavailable",
            Some(&missing),
        )?;
        expect_policy_error::<S>(
            "a missing root, then a file",
            &[missing.clone(), file_via_dots.clone()],
            "root_unavailable",
            Some(&missing),
        )?;
        expect_policy_error::<S>(
            "a file, then a missing root",
            &[file_via_dots.clone(), missing.clone()],
            "root_not_a_directory",
            Some(&file_via_dots),
        )?;
        expect_policy_error::<S>("no roots", &[], "no_roots", None)?;
        Ok("canonical roots in order, bad roots, empty, NUL, siblings and dotted names".into())
    })())
}
