//! The PostgreSQL gate against the real server at `127.0.0.1:5432`
//! (or `GRADER_SANDBOX_PG_ADDR`), with trust authentication.
//!
//! Each test is skipped, with the reason printed, when no server answers.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use common::{PgReply, ensure_role, parse_error, pg_address, pg_reachable, pg_session};
use grader_sandbox::{MAX_CONNECTIONS, PgGate, Upstream};

const ROLE: &str = "grader_sandbox_student";
const DATABASE: &str = "test";

/// A gate for [`ROLE`] on [`DATABASE`], or `None` (test skipped) when
/// PostgreSQL is not running.
fn gate(test: &str) -> Option<(PgGate, tempfile::TempDir)> {
    if !pg_reachable() {
        println!("SKIPPED {test}: nothing listens on {}", pg_address());
        return None;
    }
    ensure_role(ROLE);
    let dir = tempfile::tempdir().unwrap();
    let gate = PgGate::start(dir.path(), Upstream::Tcp(pg_address()), ROLE, DATABASE).unwrap();
    Some((gate, dir))
}

fn connect(gate: &PgGate) -> UnixStream {
    let stream = UnixStream::connect(gate.socket_path()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    stream
}

fn session(gate: &PgGate, params: &[(&str, &str)], ssl_first: bool) -> PgReply {
    pg_session(&mut connect(gate), params, "SELECT current_user", ssl_first).unwrap()
}

/// Reads what the gate sends before closing: it must be one ErrorResponse.
fn refusal(mut stream: UnixStream) -> (String, String) {
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    assert!(
        bytes.len() > 5 && bytes[0] == b'E',
        "not an ErrorResponse: {bytes:?}"
    );
    let len = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as usize;
    assert_eq!(
        len + 1,
        bytes.len(),
        "one message, then the connection closes"
    );
    assert_eq!(*bytes.last().unwrap(), 0, "the field list is terminated");
    match parse_error(&bytes[5..]) {
        PgReply::Error { code, message } => (code, message),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_allowed_role_gets_in_and_its_queries_work() {
    let Some((gate, _dir)) = gate("the_allowed_role_gets_in") else {
        return;
    };
    let params = [("user", ROLE), ("database", DATABASE)];
    assert_eq!(
        session(&gate, &params, false),
        PgReply::Rows(vec![ROLE.to_string()])
    );
    // SSLRequest first: the gate answers N and the startup goes on.
    assert_eq!(
        session(&gate, &params, true),
        PgReply::Rows(vec![ROLE.to_string()])
    );
}

#[test]
fn other_roles_databases_and_settings_are_refused() {
    let Some((gate, _dir)) = gate("other_roles_are_refused") else {
        return;
    };
    let refused = |params: &[(&str, &str)]| match session(&gate, params, false) {
        PgReply::Error { code, message } => (code, message),
        rows => panic!("{params:?} got in: {rows:?}"),
    };
    let (code, message) = refused(&[("user", "postgres"), ("database", DATABASE)]);
    assert_eq!(code, "28000");
    assert!(message.contains("\"postgres\" is not allowed"), "{message}");

    let (code, message) = refused(&[("user", ROLE), ("database", "postgres")]);
    assert_eq!(code, "28000");
    assert!(message.contains("database \"postgres\""), "{message}");

    let (code, message) = refused(&[
        ("user", ROLE),
        ("database", DATABASE),
        ("options", "-c role=postgres"),
    ]);
    assert_eq!(code, "28000");
    assert!(message.contains("options"), "{message}");

    let (code, _) = refused(&[
        ("user", ROLE),
        ("database", DATABASE),
        ("replication", "database"),
    ]);
    assert_eq!(code, "28000");
}

#[test]
fn garbage_and_oversized_packets_are_refused_and_the_gate_survives() {
    let Some((gate, _dir)) = gate("garbage_is_refused") else {
        return;
    };
    let send = |bytes: &[u8]| {
        let mut stream = connect(&gate);
        stream.write_all(bytes).unwrap();
        stream
    };
    let (code, _) = refusal(send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert_eq!(code, "08P01");

    // Announces a 1 MiB startup packet.
    let (code, message) = refusal(send(&[0, 0x10, 0, 0, 0, 3, 0, 0]));
    assert_eq!(code, "08P01");
    assert!(message.contains("length"), "{message}");

    // Protocol 2.0, and an unknown request code.
    let (code, message) = refusal(send(&[0, 0, 0, 9, 0, 2, 0, 0, 0]));
    assert_eq!(code, "08P01");
    assert!(message.contains("2.0"), "{message}");

    // Parameters without their terminator.
    let (code, _) = refusal(send(&[0, 0, 0, 13, 0, 3, 0, 0, b'u', b's', b'e', b'r', 0]));
    assert_eq!(code, "08P01");

    // A client that sends half a length and hangs up.
    drop(send(&[0, 0]));

    // Still serving.
    assert_eq!(
        session(&gate, &[("user", ROLE), ("database", DATABASE)], false),
        PgReply::Rows(vec![ROLE.to_string()])
    );
}

#[test]
fn connections_beyond_the_limit_are_refused() {
    let Some((gate, _dir)) = gate("connections_beyond_the_limit") else {
        return;
    };
    let idle: Vec<UnixStream> = (0..MAX_CONNECTIONS).map(|_| connect(&gate)).collect();
    // Let the gate accept them all.
    for _ in 0..100 {
        if gate.active_connections() == MAX_CONNECTIONS {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(gate.active_connections(), MAX_CONNECTIONS);
    let (code, _) = refusal(connect(&gate));
    assert_eq!(code, "53300");
    drop(idle);
    for _ in 0..100 {
        if gate.active_connections() == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        session(&gate, &[("user", ROLE), ("database", DATABASE)], false),
        PgReply::Rows(vec![ROLE.to_string()])
    );
}

#[test]
fn sqlx_connects_with_the_gate_url() {
    let Some((gate, _dir)) = gate("sqlx_connects_with_the_gate_url") else {
        return;
    };
    let url = gate.url(ROLE, None, DATABASE);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let user: String = runtime.block_on(async {
        use sqlx::Connection;
        let mut connection = sqlx::PgConnection::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let user = sqlx::query_scalar("SELECT current_user::text")
            .fetch_one(&mut connection)
            .await
            .unwrap();
        connection.close().await.unwrap();
        user
    });
    assert_eq!(user, ROLE);

    // The superuser's URL through the same gate is refused.
    let refused = runtime.block_on(async {
        use sqlx::Connection;
        sqlx::PgConnection::connect(&gate.url("postgres", None, DATABASE))
            .await
            .unwrap_err()
    });
    assert!(refused.to_string().contains("not allowed"), "{refused}");
}

#[test]
fn dropping_the_gate_removes_its_socket_and_closes_connections() {
    let Some((gate, _dir)) = gate("dropping_the_gate") else {
        return;
    };
    let socket = gate.socket_path().to_path_buf();
    let mut open = connect(&gate);
    drop(gate);
    assert!(!socket.exists());
    let mut buf = [0u8; 1];
    assert_eq!(open.read(&mut buf).unwrap_or(0), 0, "closed by the gate");
    assert!(UnixStream::connect(&socket).is_err());
}
