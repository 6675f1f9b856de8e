//! `restrict_self` in a forked helper process.
//!
//! This test has a plain `main` (no test harness, so no extra threads):
//! run by `cargo test`, it re-executes itself as the helper, which applies
//! the policy to itself with `restrict_self` and then tries the actions,
//! like a wrapper that would `exec` the program to confine next.

mod common;

use std::process::Command;

use common::{ACTIONS, OK, assert_ran, err, outcomes};
use grader_sandbox::{Layer, Network, Policy, probe, restrict_self};

/// Tells the helper which directories to use.
const WORK: &str = "GRADER_SANDBOX_TEST_WORK";
const SECRET: &str = "GRADER_SANDBOX_TEST_SECRET";

fn main() {
    if let Ok(actions) = std::env::var(ACTIONS) {
        return helper(&actions);
    }
    // `cargo test -- --list` and similar harness queries: nothing to list.
    if std::env::args().any(|a| a == "--list") {
        return;
    }

    let caps = probe();
    if let Some(reason) = caps.landlock.reason() {
        println!("SKIPPED restrict_self: {reason}");
        return;
    }
    // Outside the hidden directories, so only Landlock stands in the way.
    let secret = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    std::fs::write(secret.path().join("secret.txt"), "hidden").unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut actions = vec![
        format!("read {}", secret.path().join("secret.txt").display()),
        format!("write {}", work.path().join("out.txt").display()),
        "spawn-kill".to_string(),
    ];
    // Landlock refuses it (EACCES); when the build folder itself lies under
    // a hidden path (a clone in /tmp), it is not there at all (ENOENT).
    let secret_is_hidden = caps.mount_namespace.is_available()
        && ["/run", "/var/run", "/tmp", "/var/tmp", "/dev/shm"]
            .iter()
            .any(|d| secret.path().canonicalize().unwrap().starts_with(d));
    let refused = if secret_is_hidden {
        libc::ENOENT
    } else {
        libc::EACCES
    };
    let mut expected = vec![err(refused), OK.to_string()];
    // Under /tmp, which the helper hides when it can.
    let hidden_secret = tempfile::tempdir().unwrap();
    std::fs::write(hidden_secret.path().join("secret.txt"), "hidden").unwrap();
    let hidden = caps.mount_namespace.is_available();
    if hidden {
        actions.push(format!(
            "read {}",
            hidden_secret.path().join("secret.txt").display()
        ));
    }
    let isolated = caps.network_namespace.is_available() && common::pg_reachable();
    if isolated {
        actions.push(format!("connect {}", common::pg_address()));
        actions.push("loopback".to_string());
    }

    // The root as working directory: the checkout itself may lie under a
    // path the helper hides (a clone in /tmp).
    let output = Command::new(std::env::current_exe().unwrap())
        .current_dir("/")
        .env(ACTIONS, actions.join("\n"))
        .env(WORK, work.path())
        .env(SECRET, secret.path())
        .output()
        .unwrap();
    assert_ran(&output, actions.len());
    let got = outcomes(&output);
    assert_eq!(got[..2], expected[..], "{actions:#?}");
    assert!(got[2].starts_with("ok:signal: 9"), "{got:?}");
    let mut next = 3;
    if hidden {
        // Not there at all (Landlock alone would say EACCES): /tmp is an
        // empty tmpfs but for the work directory mounted back.
        assert_eq!(got[next], err(libc::ENOENT), "{actions:#?}");
        next += 1;
    }
    if isolated {
        expected = vec![err(libc::ECONNREFUSED), OK.to_string()];
        assert_eq!(got[next..], expected[..], "{actions:#?}");
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("helper: sandbox: landlock ABI"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(work.path().join("out.txt")).unwrap(),
        "written in the sandbox"
    );
    println!("restrict_self: ok");
}

/// The helper: restricts itself, then runs the actions.
fn helper(actions: &str) {
    if actions == "sleep" {
        // A grandchild started by `spawn-kill`: already restricted.
        return common::run_actions(actions, &[]);
    }
    let work = std::env::var(WORK).unwrap();
    let policy = Policy::new()
        .with_system_runtime()
        .executable(std::env::current_exe().unwrap())
        .read_write(work)
        .hide_service_directories()
        .network(Network::Isolated);
    let report = restrict_self(&policy).unwrap();
    assert!(report.is_active(Layer::Landlock));
    println!("helper: {report}");
    common::run_actions(actions, &[]);
}
