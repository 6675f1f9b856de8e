//! Building what is graded: a checkout's labs with the course's harness
//! around them, in a scratch workspace, never in this process.
//!
//! Grading this checkout and grading a student's submission are the same
//! steps. A *slot* is a scratch copy of the course under
//! `target/grader/slots/NAME`: the course's manifests, grader and
//! solutions, with `labs/LAB/src` taken from the checkout being graded.
//! The checkout itself always uses the slot `own`; submissions take a free
//! `sub-N` slot. Each slot gives its `lab-*` crates a version of their own
//! (`0.1.0-grading.NAME`), so cargo keeps their build artifacts apart,
//! while everything else (dependencies, references, the grader's kit) is
//! one build shared with the course's own `target/`. Files are written
//! only when their content changes, so after an edit to one lab file cargo
//! rebuilds that lab and relinks only the harnesses that link it.
//!
//! When a build fails, each lab is built alone, in course order; a lab
//! that does not compile is replaced by its stub (carved from the
//! reference), so it scores zero with the compiler's errors while the
//! other labs are graded.

use std::collections::BTreeMap;
use std::fs;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use grader_core::catalog::{self, LabInfo};

use crate::carve;
use crate::protect;
use crate::scan;
use crate::submission::{Budget, first_errors};

/// Course files every slot holds, beside `labs/`.
const COURSE_ITEMS: &[&str] = &["Cargo.toml", "src", "grader", "solutions", "course-deps"];

/// Where a lab's sources come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The checkout's own `labs/LAB/src`.
    Checkout,
    /// The checkout has no `labs/LAB/src`: the stub stands in.
    Missing,
    /// It did not compile: the stub stands in; the compiler's first errors.
    Broken(String),
    /// It reaches outside its `src/` at compile time, so it was never
    /// compiled: the stub stands in; where it reaches out.
    Reached(String),
}

/// A slot, built: one harness binary per lab asked for, or why there is
/// none.
pub struct Prepared {
    /// The slot's folder (kept while this value lives).
    pub dir: PathBuf,
    /// Per lab asked for: its harness binary, or why none could be built.
    pub harness: BTreeMap<&'static str, Result<PathBuf, String>>,
    /// Per lab of the slot: where its sources came from.
    pub origin: BTreeMap<&'static str, Origin>,
    /// Per lab taken from the checkout: advisory flags on its code.
    pub flags: BTreeMap<&'static str, Vec<String>>,
    /// Held while the slot is in use.
    _lock: fs::File,
}

/// The course root: the workspace this grader was built from.
pub fn course_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the grader sits inside the course workspace")
        .to_path_buf()
}

/// The build directory shared with the course's own builds.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                course_root().join(dir)
            }
        }
        _ => course_root().join("target"),
    }
}

/// Which slot a grading takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotKind {
    /// This checkout: always the slot `own`, waited for when busy.
    Own,
    /// Another checkout: the first free `sub-N`.
    Submission,
}

/// How many submission slots there are at most.
const SUBMISSION_SLOTS: usize = 64;

/// Takes a slot and its lock.
fn take_slot(kind: SlotKind) -> Result<(String, PathBuf, fs::File), String> {
    let slots = target_dir().join("grader").join("slots");
    fs::create_dir_all(&slots).map_err(|e| format!("cannot create {}: {e}", slots.display()))?;
    let open = |name: &str| {
        let path = slots.join(format!("{name}.lock"));
        fs::File::create(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))
    };
    let names: Vec<String> = match kind {
        SlotKind::Own => vec!["own".to_owned()],
        SlotKind::Submission => (0..SUBMISSION_SLOTS).map(|i| format!("sub-{i}")).collect(),
    };
    for name in &names {
        let lock = open(name)?;
        if lock.try_lock().is_ok() {
            return Ok((name.clone(), slots.join(name), lock));
        }
    }
    let name = &names[0];
    eprintln!("grader: waiting for another grading that uses {name} to finish");
    let lock = open(name)?;
    lock.lock()
        .map_err(|e| format!("cannot lock the slot {name}: {e}"))?;
    Ok((name.clone(), slots.join(name), lock))
}

/// The version a slot gives its lab crates.
fn slot_version(name: &str) -> String {
    format!("0.1.0-grading.{name}")
}

/// Prepares a slot with the labs of the checkout at `checkout` and builds
/// the harness of each lab in `labs`. `strict` (`--require-sandbox`) makes
/// a compiler that cannot be confined an error.
pub fn prepare(
    checkout: &Path,
    kind: SlotKind,
    labs: &[&'static LabInfo],
    strict: bool,
) -> Result<Prepared, String> {
    let root = course_root();
    let (name, dir, lock) = take_slot(kind)?;
    let version = slot_version(&name);
    sync_course(&root, &dir, &version)?;
    let mut origin = BTreeMap::new();
    let mut flags = BTreeMap::new();
    for lab in catalog::LABS {
        let theirs = checkout.join("labs").join(lab.name).join("src");
        let ours = dir.join("labs").join(lab.name).join("src");
        let taken = if theirs.is_dir() {
            let files = read_tree(&theirs, &mut Budget::submission()).map_err(|e| {
                format!(
                    "cannot read labs/{}/src of {}: {e}",
                    lab.name,
                    checkout.display()
                )
            })?;
            let texts: Vec<(PathBuf, String)> = files
                .iter()
                .filter(|(rel, _)| rel.extension().is_some_and(|e| e == "rs"))
                .map(|(rel, bytes)| (rel.clone(), String::from_utf8_lossy(bytes).into_owned()))
                .collect();
            let stub = carve::carve_dir(&root.join("solutions").join(lab.name).join("src"))?;
            flags.insert(lab.name, scan::flags(lab.name, &texts, &stub));
            let reaches = scan::reaches(lab.name, &texts);
            if reaches.is_empty() {
                mirror(&files, &ours)?;
                Origin::Checkout
            } else {
                // Never compiled: the stub stands in, and the lab scores
                // zero with where it reached out.
                stand_in(&root, lab.name, &ours)?;
                Origin::Reached(reaches.join("\n"))
            }
        } else {
            stand_in(&root, lab.name, &ours)?;
            Origin::Missing
        };
        origin.insert(lab.name, taken);
    }
    let mut prepared = Prepared {
        dir,
        harness: BTreeMap::new(),
        origin,
        flags,
        _lock: lock,
    };
    build(&root, &mut prepared, labs, strict)?;
    Ok(prepared)
}

/// Writes the stub of `lab`, carved from the reference, into `src`.
fn stand_in(root: &Path, lab: &str, src: &Path) -> Result<(), String> {
    let carved = carve::carve_dir(&root.join("solutions").join(lab).join("src"))?;
    let files: Vec<(PathBuf, Vec<u8>)> = carved
        .into_iter()
        .map(|(rel, text)| (rel, text.into_bytes()))
        .collect();
    mirror(&files, src)
}

/// Copies the course into the slot: every file written only when it
/// changed; the lab crates' manifests and the lock file get the slot's
/// version.
fn sync_course(root: &Path, dir: &Path, version: &str) -> Result<(), String> {
    let err =
        |e: std::io::Error| format!("cannot prepare the scratch copy in {}: {e}", dir.display());
    for item in COURSE_ITEMS {
        let from = root.join(item);
        let mut files = if from.is_dir() {
            read_tree(&from, &mut Budget::unlimited()).map_err(err)?
        } else {
            vec![(PathBuf::from(item), fs::read(&from).map_err(err)?)]
        };
        for (rel, bytes) in &mut files {
            if rel.file_name().is_some_and(|n| n == "Cargo.toml") {
                *bytes = slot_manifest(bytes, SLOT_PACKAGE_VERSION);
            }
        }
        if from.is_dir() {
            mirror(&files, &dir.join(item))?;
        } else {
            write_if_changed(&dir.join(item), &files[0].1)?;
        }
    }
    let lock = fs::read_to_string(root.join("Cargo.lock")).map_err(err)?;
    let lock = slot_lock(&lock, version);
    for lab in catalog::LABS {
        let lab_dir = root.join("labs").join(lab.name);
        let manifest = fs::read(lab_dir.join("Cargo.toml")).map_err(err)?;
        let slot_lab = dir.join("labs").join(lab.name);
        write_if_changed(
            &slot_lab.join("Cargo.toml"),
            &slot_manifest(&manifest, version),
        )?;
        // The visible tests' shared helpers: some suites use them.
        let tests = lab_dir.join("tests");
        if tests.is_dir() {
            let files = read_tree(&tests, &mut Budget::unlimited()).map_err(err)?;
            mirror(&files, &slot_lab.join("tests"))?;
        }
    }
    write_if_changed(&dir.join("Cargo.lock"), lock.as_bytes())
}

/// The version every course package but the labs has in a slot. The
/// build folder is shared with the checkout's own build, and cargo names
/// a path package's artifacts after its path inside the workspace, its
/// name and its version: with the checkout's version, the slot's
/// `grader-core` and the checkout's would overwrite each other, and each
/// `cargo run -p grader` after a grading (and each grading after it)
/// would rebuild both. A version of its own keeps them apart; it still
/// meets the `0.1` the manifests ask of `course-deps`. Registry
/// dependencies are the same packages in both builds and are shared.
const SLOT_PACKAGE_VERSION: &str = "0.1.999";

/// A course manifest as the slot has it: its package's version replaced
/// by `version` (the slot's lab version for a lab,
/// [`SLOT_PACKAGE_VERSION`] for the rest); a manifest without a package
/// unchanged.
fn slot_manifest(bytes: &[u8], version: &str) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return bytes.to_vec();
    };
    let Some(at) = text.find("[package]") else {
        return bytes.to_vec();
    };
    let (head, package) = text.split_at(at);
    let package = package.replacen(
        "\nversion = \"0.1.0\"",
        &format!("\nversion = \"{version}\""),
        1,
    );
    format!("{head}{package}").into_bytes()
}

/// The lock file as the slot has it: each course package (one with no
/// `source`) at the slot's version: `lab_version` for the labs,
/// [`SLOT_PACKAGE_VERSION`] for the others.
fn slot_lock(lock: &str, lab_version: &str) -> String {
    lock.split_inclusive("[[package]]\n")
        .map(|block| {
            let name = block
                .lines()
                .find_map(|l| l.strip_prefix("name = \""))
                .and_then(|n| n.strip_suffix('"'));
            match name {
                Some(name) if !block.contains("\nsource = ") => {
                    let version = if name.starts_with("lab-") {
                        lab_version
                    } else {
                        SLOT_PACKAGE_VERSION
                    };
                    block.replacen(
                        "\nversion = \"0.1.0\"\n",
                        &format!("\nversion = \"{version}\"\n"),
                        1,
                    )
                }
                _ => block.to_owned(),
            }
        })
        .collect()
}

/// Every regular file under `dir` (symlinks and `target/` skipped), by
/// path relative to `dir`, within `budget`.
pub(crate) fn read_tree(
    dir: &Path,
    budget: &mut Budget,
) -> std::io::Result<Vec<(PathBuf, Vec<u8>)>> {
    fn walk(
        base: &Path,
        dir: &Path,
        budget: &mut Budget,
        out: &mut Vec<(PathBuf, Vec<u8>)>,
    ) -> std::io::Result<()> {
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let path = entry.path();
            let meta = fs::symlink_metadata(&path)?;
            if meta.is_dir() {
                if entry.file_name() != "target" {
                    walk(base, &path, budget, out)?;
                }
            } else if meta.is_file() {
                budget.take(meta.len())?;
                let rel = path.strip_prefix(base).expect("under base").to_path_buf();
                out.push((rel, fs::read(&path)?));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, budget, &mut out)?;
    Ok(out)
}

/// Makes `to` hold exactly `files`: changed and new files written, files
/// not in the list removed (a stale module left behind could be compiled
/// into the next submission graded here), unchanged files left alone.
fn mirror(files: &[(PathBuf, Vec<u8>)], to: &Path) -> Result<(), String> {
    for (rel, bytes) in files {
        write_if_changed(&to.join(rel), bytes)?;
    }
    remove_extra(to, to, files)
}

fn remove_extra(base: &Path, dir: &Path, keep: &[(PathBuf, Vec<u8>)]) -> Result<(), String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let rel = path.strip_prefix(base).expect("under base");
        let is_dir = fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        let removed = if is_dir {
            if keep.iter().any(|(k, _)| k.starts_with(rel)) {
                remove_extra(base, &path, keep)?;
                continue;
            }
            fs::remove_dir_all(&path)
        } else if keep.iter().any(|(k, _)| k == rel) {
            continue;
        } else {
            fs::remove_file(&path)
        };
        removed.map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` unless it already holds them.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The labs whose crates the harnesses of `labs` link, in course order.
fn needed(labs: &[&'static LabInfo]) -> Vec<&'static LabInfo> {
    catalog::LABS
        .iter()
        .filter(|l| {
            labs.iter()
                .any(|g| g.name == l.name || g.builds_on.contains(&l.name))
        })
        .collect()
}

/// Builds the harnesses of `labs` in the slot, replacing labs that do not
/// compile by their stubs, and links each harness binary into the slot.
fn build(
    root: &Path,
    prepared: &mut Prepared,
    labs: &[&'static LabInfo],
    strict: bool,
) -> Result<(), String> {
    let target = target_dir();
    let grader_dir = target.join("grader");
    fs::create_dir_all(&grader_dir)
        .map_err(|e| format!("cannot create {}: {e}", grader_dir.display()))?;
    // Builds in every slot share `target/debug/harness-LAB`, where cargo
    // links a fresh binary: one build at a time, up to the copy.
    let lock_path = grader_dir.join("build.lock");
    let build_lock = fs::File::create(&lock_path)
        .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
    build_lock
        .lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;

    let packages: Vec<String> = labs
        .iter()
        .flat_map(|l| ["-p".to_owned(), format!("harness-{}", l.name)])
        .collect();
    if labs.iter().any(|l| {
        !target
            .join("debug")
            .join(format!("harness-{}", l.name))
            .exists()
    }) {
        eprintln!("building the course and its grader (first time: a few minutes on 2 cores)");
    }
    let all_built = cargo_build(&prepared.dir, &packages, strict)?.is_ok();
    if !all_built {
        // Which labs break it? In course order, so each is built against
        // the earlier ones as they will be graded.
        for lab in needed(labs) {
            if prepared.origin[lab.name] != Origin::Checkout {
                continue;
            }
            // With course-deps, so the dependencies are the ones already built.
            // `--lib`: the server lab's binary is not graded, and linking
            // it would need more than a confined compiler is given.
            let alone = [
                "--lib".to_owned(),
                "-p".to_owned(),
                format!("lab-{}", lab.name),
                "-p".to_owned(),
                "course-deps".to_owned(),
            ];
            if let Err(errors) = cargo_build(&prepared.dir, &alone, strict)? {
                stand_in(
                    root,
                    lab.name,
                    &prepared.dir.join("labs").join(lab.name).join("src"),
                )?;
                let errors = if errors.contains("Permission denied") {
                    format!(
                        "{errors}\n(the grader refused a read outside labs/{}/src: {})",
                        lab.name,
                        scan::RULE
                    )
                } else {
                    errors
                };
                prepared.origin.insert(lab.name, Origin::Broken(errors));
            }
        }
    }
    let bin = prepared.dir.join("bin");
    fs::create_dir_all(&bin).map_err(|e| format!("cannot create {}: {e}", bin.display()))?;
    for lab in labs {
        let package = format!("harness-{}", lab.name);
        let result = if all_built {
            Ok(())
        } else {
            cargo_build(&prepared.dir, &["-p".to_owned(), package.clone()], strict)?
        };
        let built = match result {
            Ok(()) => {
                let from = target.join("debug").join(&package);
                let to = bin.join(&package);
                let _ = fs::remove_file(&to);
                fs::hard_link(&from, &to)
                    .or_else(|_| fs::copy(&from, &to).map(|_| ()))
                    .map(|()| to)
                    .map_err(|e| format!("cannot copy {} into the slot: {e}", from.display()))
            }
            Err(errors) => Err(format!(
                "the grader could not build its suite for this lab, so it was not graded; the compiler's first errors:\n{errors}"
            )),
        };
        prepared.harness.insert(lab.name, built);
    }
    Ok(())
}

/// This program, as rustc's wrapper for the nested builds: a link to (or
/// copy of) the running executable under `target/grader/wrapper`, taken
/// once per process. A long grading must not break when `cargo build -p
/// grader` replaces the file it was started from (its path then reads
/// `... (deleted)`); the copy is made from `/proc/self/exe`, which always
/// names the running program.
///
/// The copy is named after the executable it comes from (its inode, size
/// and time), so every run of one grader build hands cargo the same
/// wrapper path: cargo rebuilds whatever was compiled through another
/// wrapper path, and a per-process name would recompile every lab and
/// harness on each grading.
fn wrapper() -> Result<PathBuf, String> {
    static WRAPPER: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    WRAPPER
        .get_or_init(|| {
            let dir = target_dir().join("grader").join("wrapper");
            fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            let meta = fs::metadata("/proc/self/exe")
                .or_else(|_| std::env::current_exe().and_then(fs::metadata))
                .map_err(|e| format!("cannot find the grader's own executable: {e}"))?;
            let name = wrapper_name(&meta);
            let me = dir.join(&name);
            // What older grader builds left behind, once nothing can be
            // using it any more.
            if let Ok(entries) = fs::read_dir(&dir) {
                for entry in entries.flatten() {
                    let stale = entry.file_name() != *name
                        && entry
                            .metadata()
                            .and_then(|m| m.modified())
                            .ok()
                            .and_then(|t| t.elapsed().ok())
                            .is_some_and(|age| age > STALE_WRAPPER);
                    if stale {
                        let _ = fs::remove_file(entry.path());
                    }
                }
            }
            if me.is_file() {
                return Ok(me);
            }
            // Made under a name of this process's, then renamed: another
            // grader starting at the same time never runs a half copy.
            let partial = dir.join(format!(".{name}.{}", std::process::id()));
            let _ = fs::remove_file(&partial);
            let exe = std::env::current_exe()
                .map_err(|e| format!("cannot find the grader's own executable: {e}"))?;
            fs::hard_link(&exe, &partial)
                .or_else(|_| fs::copy("/proc/self/exe", &partial).map(drop))
                .and_then(|()| fs::rename(&partial, &me))
                .map_err(|e| format!("cannot copy the grader to {}: {e}", me.display()))?;
            Ok(me)
        })
        .clone()
}

/// How long a wrapper of another grader build is kept: a grading started
/// before a rebuild may still be running it.
const STALE_WRAPPER: std::time::Duration = std::time::Duration::from_secs(6 * 3600);

/// The wrapper's file name for the executable described by `meta`.
fn wrapper_name(meta: &fs::Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    format!(
        "grader-{:x}-{:x}-{:x}.{:x}",
        meta.ino(),
        meta.size(),
        meta.mtime(),
        meta.mtime_nsec()
    )
}

/// `cargo build ARGS...` in the slot (`-p PACKAGE` pairs, `--lib`). The
/// outer `Result` is cargo failing to run; the inner `Err` holds the
/// compiler's first errors.
fn cargo_build(slot: &Path, args: &[String], strict: bool) -> Result<Result<(), String>, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let me = wrapper()?;
    let mut command = Command::new(&cargo);
    command
        .args(["build", "--locked", "--message-format", "short"])
        .current_dir(slot)
        .env("CARGO_TARGET_DIR", target_dir())
        // Every rustc goes through this program, which confines the
        // compiler of a lab crate (see `protect`).
        .env("RUSTC_WRAPPER", &me)
        .env(protect::WRAPPER_SLOT_VAR, slot)
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if strict {
        command.env(protect::WRAPPER_STRICT_VAR, "1");
    } else {
        command.env_remove(protect::WRAPPER_STRICT_VAR);
    }
    command.args(args);
    if std::io::stderr().is_terminal() {
        command.env("CARGO_TERM_PROGRESS_WHEN", "never");
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    Ok(if output.status.success() {
        Ok(())
    } else {
        Err(first_errors(&String::from_utf8_lossy(&output.stderr)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_writes_changes_only_and_removes_what_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let to = dir.path().join("src");
        let files = |list: &[(&str, &str)]| -> Vec<(PathBuf, Vec<u8>)> {
            list.iter()
                .map(|(p, t)| (PathBuf::from(p), t.as_bytes().to_vec()))
                .collect()
        };
        mirror(
            &files(&[("lib.rs", "a"), ("m/x.rs", "b"), ("old.rs", "c")]),
            &to,
        )
        .unwrap();
        let stamp = fs::metadata(to.join("lib.rs")).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        mirror(&files(&[("lib.rs", "a"), ("m/x.rs", "B")]), &to).unwrap();
        assert_eq!(
            fs::metadata(to.join("lib.rs")).unwrap().modified().unwrap(),
            stamp,
            "an unchanged file keeps its time, so cargo does not rebuild it"
        );
        assert_eq!(fs::read_to_string(to.join("m/x.rs")).unwrap(), "B");
        assert!(
            !to.join("old.rs").exists(),
            "a file the checkout no longer has is removed"
        );
        mirror(&files(&[("lib.rs", "a")]), &to).unwrap();
        assert!(!to.join("m").exists());
    }

    #[test]
    fn the_slot_gives_course_packages_versions_of_their_own() {
        let lock = "version = 4\n\n[[package]]\nname = \"grader-core\"\nversion = \"0.1.0\"\ndependencies = [\n \"serde\",\n]\n\n[[package]]\nname = \"lab-errors\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"serde\"\nversion = \"0.1.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
        let slot = slot_lock(lock, "0.1.0-grading.own");
        assert_eq!(
            slot,
            lock.replacen("0.1.0", "0.1.999", 1).replacen(
                "lab-errors\"\nversion = \"0.1.0",
                "lab-errors\"\nversion = \"0.1.0-grading.own",
                1
            ),
            "a registry package keeps its version"
        );
        let manifest = "[workspace]\nmembers = []\n\n[package]\nname = \"x\"\nversion = \"0.1.0\"\n\n[dependencies]\ny = { version = \"0.1.0\" }\n";
        assert_eq!(
            String::from_utf8(slot_manifest(manifest.as_bytes(), SLOT_PACKAGE_VERSION)).unwrap(),
            manifest.replacen("version = \"0.1.0\"\n", "version = \"0.1.999\"\n", 1)
        );
        let workspace_only = b"[workspace]\nversion = \"0.1.0\"\n";
        assert_eq!(
            slot_manifest(workspace_only, SLOT_PACKAGE_VERSION),
            workspace_only
        );
    }

    #[test]
    fn a_lab_needs_the_labs_it_builds_on() {
        let names = |labs: &[&str]| -> Vec<&str> {
            let infos: Vec<&'static LabInfo> =
                labs.iter().map(|n| catalog::lab(n).unwrap()).collect();
            needed(&infos).iter().map(|l| l.name).collect()
        };
        assert_eq!(names(&["design"]), ["security", "errors", "design"]);
        assert_eq!(names(&["security"]), ["security"]);
    }
}
