//! The sandbox, tested on real child processes.
//!
//! Each test re-executes this test binary as the sandboxed child (the
//! `child_entry` test, selected with `--exact`), which tries the actions it
//! is given and prints their outcomes. A test fails when a protection it
//! checks is absent; it is skipped, with the reason printed, only when
//! `probe()` says this machine cannot provide that protection.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use common::{ACTIONS, OK, assert_ran, err, outcomes};
use grader_sandbox::{
    Availability, Capabilities, Layer, LayerState, LayerStatus, Network, PgGate, Policy, Prepared,
    ProtectionReport, Reason, Upstream, probe,
};

/// Arguments that make the test binary run only `child_entry`.
const SELF_ARGS: &[&str] = &["child_entry", "--exact", "--nocapture", "--test-threads=1"];

/// The sandboxed child: does nothing in a normal test run.
#[test]
fn child_entry() {
    if let Ok(actions) = std::env::var(ACTIONS) {
        common::run_actions(&actions, SELF_ARGS);
    }
}

fn skip(test: &str, reason: &dyn std::fmt::Display) {
    println!("SKIPPED {test}: {reason}");
}

/// A policy that lets this test binary start: its libraries and itself.
fn base_policy() -> Policy {
    Policy::new()
        .with_system_runtime()
        .executable(std::env::current_exe().unwrap())
}

fn run_child(prepared: &Arc<Prepared>, actions: &[String], cwd: Option<&Path>) -> Output {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args(SELF_ARGS).env(ACTIONS, actions.join("\n"));
    // The root unless told otherwise: the checkout itself may lie under a
    // path the child hides (a clone in /tmp).
    command.current_dir(cwd.unwrap_or(Path::new("/")));
    prepared.configure(&mut command);
    let output = command
        .output()
        .map_err(|e| prepared.explain(e))
        .expect("spawn the sandboxed child");
    assert_ran(&output, actions.len());
    output
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn landlock_confines_file_access() {
    let caps = probe();
    if let Some(reason) = caps.landlock.reason() {
        return skip("landlock_confines_file_access", reason);
    }
    let secret = tempfile::tempdir().unwrap();
    std::fs::write(secret.path().join("secret.txt"), "hidden tests").unwrap();
    let read_only = tempfile::tempdir().unwrap();
    std::fs::write(read_only.path().join("data.txt"), "fixture").unwrap();
    let work = tempfile::tempdir().unwrap();

    let policy = base_policy()
        .read_only(read_only.path())
        .read_write(work.path())
        .network(Network::Host);
    let prepared = Arc::new(Prepared::new(&policy, &caps).unwrap());
    assert!(prepared.report().is_active(Layer::Landlock));

    let actions = [
        format!("read {}", path(&secret.path().join("secret.txt"))),
        format!("list {}", path(secret.path())),
        "read /etc/passwd".to_string(),
        format!("read {}", path(&read_only.path().join("data.txt"))),
        format!("write {}", path(&read_only.path().join("data.txt"))),
        format!("write {}", path(&read_only.path().join("new.txt"))),
        format!("write {}", path(&work.path().join("out.txt"))),
        format!("read {}", path(&work.path().join("out.txt"))),
    ];
    let output = run_child(&prepared, &actions, None);
    let eacces = err(libc::EACCES);
    assert_eq!(
        outcomes(&output),
        [&eacces, &eacces, &eacces, OK, &eacces, &eacces, OK, OK],
        "{actions:#?}"
    );
    assert_eq!(
        std::fs::read_to_string(work.path().join("out.txt")).unwrap(),
        "written in the sandbox"
    );
    assert_eq!(
        std::fs::read_to_string(read_only.path().join("data.txt")).unwrap(),
        "fixture"
    );
    assert!(!read_only.path().join("new.txt").exists());
}

#[test]
fn a_listed_folder_shows_its_names_and_only_granted_files_read() {
    let caps = probe();
    if let Some(reason) = caps.landlock.reason() {
        return skip(
            "a_listed_folder_shows_its_names_and_only_granted_files_read",
            reason,
        );
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("libfoo.rlib"), "dependency").unwrap();
    std::fs::write(dir.path().join("libsolution_x.rlib"), "the answers").unwrap();
    let policy = base_policy()
        .list_dir(dir.path())
        .read_only(dir.path().join("libfoo.rlib"))
        .network(Network::Host);
    let prepared = Arc::new(Prepared::new(&policy, &caps).unwrap());
    let actions = [
        format!("list {}", path(dir.path())),
        format!("read {}", path(&dir.path().join("libfoo.rlib"))),
        format!("read {}", path(&dir.path().join("libsolution_x.rlib"))),
        format!("write {}", path(&dir.path().join("new.rlib"))),
    ];
    let output = run_child(&prepared, &actions, None);
    let found = outcomes(&output);
    assert!(
        found[0].contains("libfoo.rlib") && found[0].contains("libsolution_x.rlib"),
        "{found:?}"
    );
    let eacces = err(libc::EACCES);
    assert_eq!(&found[1..], [OK, &eacces, &eacces], "{actions:#?}");
}

#[test]
fn isolated_network_reaches_only_its_own_loopback() {
    let caps = probe();
    if let Some(reason) = caps.network_namespace.reason() {
        return skip("isolated_network_reaches_only_its_own_loopback", reason);
    }
    if !common::pg_reachable() {
        return skip(
            "isolated_network_reaches_only_its_own_loopback",
            &format!("nothing listens on {}", common::pg_address()),
        );
    }
    let actions = [
        format!("connect {}", common::pg_address()),
        "loopback".to_string(),
    ];

    // The same child on the host's network reaches the database: the
    // check below is not vacuous.
    let host = Arc::new(Prepared::new(&base_policy().network(Network::Host), &caps).unwrap());
    assert_eq!(outcomes(&run_child(&host, &actions, None)), [OK, OK]);

    let isolated =
        Arc::new(Prepared::new(&base_policy().network(Network::Isolated), &caps).unwrap());
    assert!(isolated.report().is_active(Layer::NetworkNamespace));
    assert_eq!(
        outcomes(&run_child(&isolated, &actions, None)),
        [err(libc::ECONNREFUSED).as_str(), OK]
    );
}

#[test]
fn tcp_ports_limit_the_host_network_with_landlock() {
    let caps = probe();
    if caps.landlock_abi < 4 {
        return skip(
            "tcp_ports_limit_the_host_network_with_landlock",
            &"Landlock ABI 4 is needed for TCP rules",
        );
    }
    if !common::pg_reachable() {
        return skip(
            "tcp_ports_limit_the_host_network_with_landlock",
            &format!("nothing listens on {}", common::pg_address()),
        );
    }
    let pg_port: u16 = common::pg_address()
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
        .unwrap();
    let actions = [
        format!("connect {}", common::pg_address()),
        "bind 127.0.0.1:0".to_string(),
    ];
    let run = |connect: Vec<u16>, bind: Vec<u16>| {
        let policy = base_policy().network(Network::TcpPorts { connect, bind });
        let prepared = Arc::new(Prepared::new(&policy, &caps).unwrap());
        assert!(prepared.report().is_active(Layer::LandlockTcp));
        assert!(
            prepared.summary().contains("(files, tcp"),
            "{}",
            prepared.summary()
        );
        outcomes(&run_child(&prepared, &actions, None))
    };
    assert_eq!(run(vec![], vec![]), [err(libc::EACCES), err(libc::EACCES)]);
    assert_eq!(run(vec![pg_port], vec![0]), [OK, OK]);
}

#[test]
fn hidden_paths_appear_empty_and_granted_paths_stay() {
    let caps = probe();
    if let Some(reason) = caps.mount_namespace.reason() {
        return skip("hidden_paths_appear_empty_and_granted_paths_stay", reason);
    }
    let parent = tempfile::tempdir().unwrap();
    let hidden = parent.path().join("hidden");
    let granted = hidden.join("granted");
    std::fs::create_dir_all(&granted).unwrap();
    std::fs::write(hidden.join("secret.txt"), "reference solution").unwrap();
    std::fs::write(granted.join("kept.txt"), "lab input").unwrap();
    let pg_socket = Path::new("/run/postgresql/.s.PGSQL.5432");

    let policy = base_policy()
        .read_only(parent.path())
        .read_write(&granted)
        .hide(&hidden)
        .hide_service_directories()
        .network(Network::Host);
    let prepared = Arc::new(Prepared::new(&policy, &caps).unwrap());
    assert!(prepared.report().is_active(Layer::MountNamespace));

    let mut actions = vec![
        format!("list {}", path(&hidden)),
        format!("read {}", path(&hidden.join("secret.txt"))),
        // Relative to the working directory, which `Command` entered
        // before the tmpfs covered it.
        "read ../secret.txt".to_string(),
        format!("read {}", path(&granted.join("kept.txt"))),
        format!("write {}", path(&granted.join("new.txt"))),
        "list /run".to_string(),
    ];
    // With Landlock, /run is not even listable (it is not granted); without,
    // it lists as the empty tmpfs.
    let run_listing = if caps.landlock.is_available() {
        err(libc::EACCES)
    } else {
        "ok:[]".to_string()
    };
    let mut expected = vec![
        "ok:[granted]".to_string(),
        err(libc::ENOENT),
        err(libc::ENOENT),
        OK.to_string(),
        OK.to_string(),
        run_listing,
    ];
    if pg_socket.exists() {
        actions.push(format!("unix {}", path(pg_socket)));
        expected.push(err(libc::ENOENT));
    }
    let output = run_child(&prepared, &actions, Some(&granted));
    assert_eq!(outcomes(&output), expected, "{actions:#?}");

    // The host's view is untouched, and the write went through.
    assert!(hidden.join("secret.txt").exists());
    assert!(pg_socket.exists() || !Path::new("/run/postgresql").exists());
    assert_eq!(
        std::fs::read_to_string(granted.join("new.txt")).unwrap(),
        "written in the sandbox"
    );
}

#[test]
fn sandboxed_child_can_spawn_kill_and_wait_its_own_children() {
    let caps = probe();
    let policy = base_policy()
        .executable("/bin/true")
        .hide_service_directories();
    let prepared = Arc::new(Prepared::new(&policy, &caps).unwrap());
    println!("{}", prepared.report().details());
    let actions = [
        "spawn /bin/true".to_string(),
        "spawn-kill".to_string(),
        "signal-parent".to_string(),
    ];
    let got = outcomes(&run_child(&prepared, &actions, None));
    assert_eq!(got[0], "ok:exit status: 0");
    assert!(got[1].starts_with("ok:signal: 9"), "{got:?}");
    if prepared.report().landlock_scopes {
        // Scoped signals: the grader, outside the sandbox, is out of reach.
        assert_eq!(got[2], err(libc::EPERM));
    } else {
        skip(
            "signal scoping",
            &"Landlock ABI 6 is needed to scope signals",
        );
    }
}

#[test]
fn a_program_not_granted_cannot_be_executed_and_the_error_says_why() {
    let caps = probe();
    if let Some(reason) = caps.landlock.reason() {
        return skip("a_program_not_granted_cannot_be_executed", reason);
    }
    let policy = base_policy().network(Network::Host);
    let prepared = Arc::new(Prepared::new(&policy, &caps).unwrap());
    let mut command = Command::new("/bin/true");
    prepared.configure(&mut command);
    let error = command
        .status()
        .map_err(|e| prepared.explain(e))
        .unwrap_err();
    assert!(error.to_string().contains("Policy::executable"), "{error}");
}

#[test]
fn summary_names_each_layer_or_why_it_is_missing() {
    let parent = tempfile::tempdir().unwrap();
    let not_permitted = Reason::new(
        "operation not permitted",
        "cannot create a namespace (EPERM): this container forbids namespaces",
    );
    let degraded = Capabilities {
        landlock_abi: 0,
        landlock: Availability::Unavailable(Reason::new(
            "not supported by this kernel",
            "Landlock needs Linux 5.13",
        )),
        user_namespace: Availability::Unavailable(not_permitted.clone()),
        mount_namespace: Availability::Unavailable(not_permitted.clone()),
        network_namespace: Availability::Unavailable(not_permitted),
        capability_drop: Availability::Available,
        root: false,
    };
    let policy = Policy::new().hide(parent.path()).network(Network::Isolated);
    let prepared = Prepared::new(&policy, &degraded).unwrap();
    assert_eq!(
        prepared.summary(),
        "sandbox: none (landlock: not supported by this kernel; namespaces: operation not permitted)"
    );
    assert!(!prepared.report().is_complete());

    let strict = Prepared::new(&policy.clone().strict(true), &degraded).unwrap_err();
    let message = strict.to_string();
    assert!(
        message.contains("strict mode") && message.contains("landlock: Landlock needs Linux 5.13"),
        "{message}"
    );

    let active = |layer| LayerStatus {
        layer,
        state: LayerState::Active,
    };
    let full = ProtectionReport {
        landlock_abi: 7,
        landlock_scopes: false,
        layers: vec![
            active(Layer::Landlock),
            active(Layer::LandlockTcp),
            active(Layer::NetworkNamespace),
            active(Layer::MountNamespace),
        ],
        hidden: Vec::new(),
    };
    assert_eq!(
        full.summary(),
        "sandbox: landlock ABI 7 (files, tcp), network namespace, mount namespace"
    );
    assert!(full.require_complete().is_ok());

    // On this machine: every available layer is named.
    let caps = probe();
    let prepared = Prepared::new(&policy, &caps).unwrap();
    println!("{caps}\n{}", prepared.report().details());
    let all = [
        &caps.landlock,
        &caps.user_namespace,
        &caps.mount_namespace,
        &caps.network_namespace,
        &caps.capability_drop,
    ];
    if all.iter().all(|a| a.is_available()) && caps.landlock_abi >= 6 {
        assert_eq!(
            prepared.summary(),
            format!(
                "sandbox: landlock ABI {} (files, scopes), network namespace, mount namespace, no capabilities",
                caps.landlock_abi
            )
        );
    }
}

#[test]
fn a_sandboxed_child_reaches_the_database_only_through_the_gate() {
    let caps = probe();
    let missing: Vec<String> = [
        ("network namespace", &caps.network_namespace),
        ("mount namespace", &caps.mount_namespace),
    ]
    .iter()
    .filter_map(|(name, a)| a.reason().map(|r| format!("{name}: {r}")))
    .collect();
    if !missing.is_empty() {
        return skip(
            "a_sandboxed_child_reaches_the_database",
            &missing.join("; "),
        );
    }
    if !common::pg_reachable() {
        return skip(
            "a_sandboxed_child_reaches_the_database",
            &format!("nothing listens on {}", common::pg_address()),
        );
    }
    let role = "grader_sandbox_student";
    common::ensure_role(role);
    // Under /tmp, which the child sees only through the mount back.
    let gate_dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(gate_dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let gate = PgGate::start(
        gate_dir.path(),
        Upstream::Tcp(common::pg_address()),
        role,
        "test",
    )
    .unwrap();

    let policy = base_policy()
        .unix_socket_dir(gate.dir())
        .hide_service_directories()
        .network(Network::Isolated);
    let prepared = Arc::new(Prepared::new(&policy, &caps).unwrap());
    let socket = path(gate.socket_path());
    let actions = [
        format!("pg {socket} {role} test"),
        format!("pg {socket} postgres test"),
        format!("connect {}", common::pg_address()),
        "unix /run/postgresql/.s.PGSQL.5432".to_string(),
    ];
    let got = outcomes(&run_child(&prepared, &actions, None));
    assert_eq!(
        got,
        [
            format!("ok:{role}"),
            "ok:error 28000".to_string(),
            err(libc::ECONNREFUSED),
            err(libc::ENOENT),
        ]
    );
}
