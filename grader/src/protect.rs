//! Least privilege for learner code, where it is compiled and where it
//! runs.
//!
//! A submission is hostile input, as a model's tool call is in the chapter
//! this course teaches. Its code may read only its own `src/` at compile
//! time; at run time it sees no course file (solutions, suites, other
//! submissions), no network but the database gate it is handed, and that
//! database as a role that owns its scratch schemas and nothing else
//! (`db_access`). The kernel enforces this where it can (`grader-sandbox`:
//! Landlock, namespaces); [`scan`] adds a friendlier message on top, and
//! serves alone where the kernel offers nothing.
//!
//! - **Compile time.** The nested `cargo build` runs rustc through this
//!   very program as `RUSTC_WRAPPER` ([`rustc_wrapper`]). For a lab crate
//!   it restricts itself before running rustc: read the lab's `src/`, the
//!   toolchain, the registry's sources and the build folder's compiled
//!   dependencies, write only rustc's output folders. No other source of
//!   the course (the references, the suites, another lab, another
//!   submission) is within reach. The build folder is shared, so compiled
//!   artifacts of other crates, references included, stay readable: binary
//!   code and metadata, not their sources.
//! - **Run time.** Each harness child enters [`child_policy`] before any
//!   learner code runs: read the system's libraries, execute its own
//!   harness, read and write its own run folder, connect to its database
//!   gate; an isolated network; `/run`, `/tmp` and the like hidden.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use grader_sandbox::{
    Capabilities, Layer, Network, Policy, Prepared, ProtectionReport, Reason, probe,
};

/// Set in the nested build's environment: this program then acts as
/// rustc's wrapper, for the slot at this path.
pub const WRAPPER_SLOT_VAR: &str = "GRADER_RUSTC_WRAPPER_SLOT";

/// Set with [`WRAPPER_SLOT_VAR`] when `--require-sandbox` was given.
pub const WRAPPER_STRICT_VAR: &str = "GRADER_RUSTC_WRAPPER_STRICT";

/// Turns every protection off when set (to compare, or to find out
/// whether a failure comes from the sandbox); reports then say so, and
/// `--require-sandbox` refuses to grade.
pub const NO_SANDBOX_VAR: &str = "GRADER_NO_SANDBOX";

fn turned_off() -> bool {
    std::env::var_os(NO_SANDBOX_VAR).is_some_and(|v| !v.is_empty())
}

/// What this machine allows, probed once per process.
pub fn capabilities() -> &'static Capabilities {
    static CAPABILITIES: OnceLock<Capabilities> = OnceLock::new();
    CAPABILITIES.get_or_init(|| {
        if turned_off() {
            Capabilities::none(Reason::new(
                "turned off with GRADER_NO_SANDBOX",
                "unset GRADER_NO_SANDBOX to confine learner code",
            ))
        } else {
            probe()
        }
    })
}

/// What a harness child may do: run its harness, use its run folder, and
/// reach the database through the gate in `gate_dir`, if any.
pub fn child_policy(
    harness: &Path,
    run_dir: &Path,
    gate_dir: Option<&Path>,
    strict: bool,
) -> Policy {
    let mut policy = Policy::new()
        .with_system_runtime()
        .executable(harness)
        .read_write(run_dir)
        .network(Network::Isolated)
        .hide_service_directories()
        .strict(strict);
    if let Some(gate) = gate_dir {
        policy = policy.unix_socket_dir(gate);
    }
    policy
}

/// Prepares [`child_policy`] with this machine's capabilities.
pub fn prepare_child(
    harness: &Path,
    run_dir: &Path,
    gate_dir: Option<&Path>,
    strict: bool,
) -> Result<Prepared, String> {
    Prepared::new(
        &child_policy(harness, run_dir, gate_dir, strict),
        capabilities(),
    )
    .map_err(|e| format!("cannot prepare the sandbox for the lab's checks: {e}"))
}

/// The protections a grading gets on this machine, for the report: the
/// run-time sandbox, and whether lab crates are compiled under Landlock.
pub fn summary(report: &ProtectionReport) -> String {
    let compile = if capabilities().landlock.is_available() {
        "compile: landlock on lab crates"
    } else {
        "compile: source scan only (no landlock)"
    };
    format!("{}; {compile}", report.summary())
}

/// Fails with what is missing when `strict` and this machine cannot give
/// every protection: `--require-sandbox`.
pub fn require_complete(report: &ProtectionReport) -> Result<(), String> {
    report.require_complete().map_err(|e| {
        format!(
            "--require-sandbox: {e}; grade on a machine with Landlock and user namespaces, or leave out --require-sandbox to grade with what is available"
        )
    })
}

/// `--require-sandbox`, before anything is built: fails with what this
/// machine lacks.
pub fn require_machine() -> Result<(), String> {
    let caps = capabilities();
    let mut missing = Vec::new();
    for (name, availability) in [
        ("landlock", &caps.landlock),
        ("user namespaces", &caps.user_namespace),
        ("mount namespaces", &caps.mount_namespace),
        ("network namespaces", &caps.network_namespace),
    ] {
        if let Some(reason) = availability.reason() {
            missing.push(format!("{name}: {}", reason.short));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "--require-sandbox: this machine cannot confine learner code ({}); grade on a machine with Landlock and user namespaces, or leave out --require-sandbox to grade with what is available (the report then says what was missing)",
            missing.join("; ")
        ))
    }
}

/// `RUSTC_WRAPPER` mode: `args` is rustc's path and its arguments. For a
/// lab crate of the slot at `slot`, restricts this process first; then
/// becomes rustc. Returns only on failure.
pub fn rustc_wrapper(slot: &Path, args: &[String]) -> i32 {
    use std::os::unix::process::CommandExt;
    let Some((rustc, rest)) = args.split_first() else {
        eprintln!("grader: the rustc wrapper was started without a rustc to run");
        return 2;
    };
    let strict = std::env::var_os(WRAPPER_STRICT_VAR).is_some();
    if let Some(lab) = lab_crate(slot, rest).filter(|_| strict || !turned_off()) {
        match rustc_policy(slot, &lab, rustc, rest, strict)
            .and_then(|policy| grader_sandbox::restrict_self(&policy).map_err(|e| e.to_string()))
        {
            Ok(_) => {}
            Err(e) if strict => {
                eprintln!(
                    "error: --require-sandbox: cannot confine the compiler for labs/{lab}: {e}"
                );
                return 1;
            }
            Err(_) => {}
        }
    }
    let error = std::process::Command::new(rustc).args(rest).exec();
    eprintln!("grader: cannot run {rustc}: {error}");
    1
}

/// The lab whose crate these rustc arguments compile, if any: a
/// `lab_*` crate whose source lies in the slot's `labs/LAB/src`.
fn lab_crate(slot: &Path, args: &[String]) -> Option<String> {
    let name = args
        .windows(2)
        .find(|w| w[0] == "--crate-name")
        .map(|w| w[1].clone())?;
    let lab = name.strip_prefix("lab_")?.to_owned();
    let source = args.iter().find(|a| a.ends_with(".rs"))?;
    let source = slot.join(source);
    source
        .starts_with(slot.join("labs").join(&lab).join("src"))
        .then_some(lab)
}

/// The value of `-X VALUE` or `-X=VALUE` style options named `flag`.
fn values<'a>(args: &'a [String], flag: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == flag {
            if let Some(v) = iter.next() {
                out.push(v.as_str());
            }
        } else if let Some(v) = arg.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
            out.push(v);
        }
    }
    out
}

/// What rustc may do while compiling `lab`'s crate.
fn rustc_policy(
    slot: &Path,
    lab: &str,
    rustc: &str,
    args: &[String],
    strict: bool,
) -> Result<Policy, String> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut policy = Policy::new()
        .with_system_runtime()
        .read_only(slot.join("labs").join(lab).join("src"))
        .network(Network::Isolated)
        .strict(strict);
    // The toolchain and the registry's sources: public code, and where
    // rustc, its libraries and the proc macros' sources live.
    let rustup = std::env::var_os("RUSTUP_HOME")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".rustup")));
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".cargo")));
    for dir in [rustup, cargo_home].into_iter().flatten() {
        if dir.exists() {
            policy = policy.read_only(dir);
        }
    }
    let rustc_path = which(rustc).ok_or_else(|| format!("cannot find {rustc}"))?;
    policy = policy.executable(rustc_path);
    // Compiled dependencies (`-L dependency=`, which is also the output
    // folder) and the native libraries of build scripts (`-L native=`).
    for search in values(args, "-L") {
        let dir = search.split_once('=').map_or(search, |(_, dir)| dir);
        if Path::new(dir).is_dir() {
            policy = policy.read_only(dir);
        }
    }
    for external in values(args, "--extern") {
        if let Some((_, path)) = external.split_once('=') {
            policy = policy.read_only(path);
        }
    }
    // rustc writes its outputs into the build folder, and reads back what
    // it wrote (an open for reading and writing needs both).
    for out in values(args, "--out-dir") {
        policy = policy.read_write(out);
    }
    for codegen in values(args, "-C") {
        if let Some(dir) = codegen.strip_prefix("incremental=") {
            std::fs::create_dir_all(dir).ok();
            policy = policy.read_write(dir);
        }
    }
    // Cargo's jobserver, when it is a named pipe.
    if let Ok(flags) = std::env::var("CARGO_MAKEFLAGS") {
        for word in flags.split_whitespace() {
            if let Some(fifo) = word.strip_prefix("--jobserver-auth=fifo:") {
                policy = policy.read_write(fifo);
            }
        }
    }
    Ok(policy)
}

/// The file `program` names: itself when it has a slash, else the first
/// match on `PATH`.
fn which(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Some(PathBuf::from(program));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Whether a protection report has every layer the grader asks for.
pub fn is_complete(report: &ProtectionReport) -> bool {
    [
        Layer::Landlock,
        Layer::NetworkNamespace,
        Layer::MountNamespace,
    ]
    .iter()
    .all(|layer| report.is_active(*layer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn only_lab_crates_of_the_slot_are_confined() {
        let slot = Path::new("/slots/own");
        let lab = args(&[
            "--crate-name",
            "lab_errors",
            "--edition=2024",
            "labs/errors/src/lib.rs",
        ]);
        assert_eq!(lab_crate(slot, &lab).as_deref(), Some("errors"));
        let reference = args(&[
            "--crate-name",
            "solution_errors",
            "solutions/errors/src/lib.rs",
        ]);
        assert_eq!(lab_crate(slot, &reference), None);
        let elsewhere = args(&["--crate-name", "lab_errors", "/elsewhere/src/lib.rs"]);
        assert_eq!(lab_crate(slot, &elsewhere), None);
    }

    #[test]
    fn option_values_in_both_forms() {
        let a = args(&[
            "-L",
            "dependency=/d",
            "--extern",
            "x=/d/libx.rlib",
            "-C",
            "incremental=/i",
            "--out-dir=/o",
        ]);
        assert_eq!(values(&a, "-L"), ["dependency=/d"]);
        assert_eq!(values(&a, "--extern"), ["x=/d/libx.rlib"]);
        assert_eq!(values(&a, "-C"), ["incremental=/i"]);
        assert_eq!(values(&a, "--out-dir"), ["/o"]);
    }
}
