//! Helpers shared by the test binaries: the behaviours a sandboxed child
//! runs and reports, and a minimal PostgreSQL client.
//!
//! A test re-executes its own binary as the sandboxed child, with the
//! actions to try in an environment variable, one per line. The child
//! prints one `RESULT` line per action; the parent compares outcomes.
//! Each test binary uses only some of these helpers.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::process::{Command, Output};
use std::time::Duration;

/// The environment variable holding the child's actions.
pub const ACTIONS: &str = "GRADER_SANDBOX_TEST_ACTIONS";

/// The outcome of a successful action.
pub const OK: &str = "ok";

/// The outcome of an action that failed with `errno`.
pub fn err(errno: i32) -> String {
    format!("err:{errno}")
}

fn outcome(result: io::Result<String>) -> String {
    match result {
        Ok(detail) if detail.is_empty() => OK.to_string(),
        Ok(detail) => format!("{OK}:{detail}"),
        Err(e) => match e.raw_os_error() {
            Some(errno) => err(errno),
            None => format!("err:{e}"),
        },
    }
}

/// Runs each action of `actions` (one per line) and prints its outcome.
/// `self_args` re-executes this binary as a grandchild.
pub fn run_actions(actions: &str, self_args: &[&str]) {
    for line in actions.lines().filter(|l| !l.trim().is_empty()) {
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        let result = run_action(verb, arg, self_args);
        println!("RESULT {line} => {}", outcome(result));
    }
}

fn run_action(verb: &str, arg: &str, self_args: &[&str]) -> io::Result<String> {
    match verb {
        "read" => std::fs::read(arg).map(|_| String::new()),
        "write" => std::fs::write(arg, b"written in the sandbox").map(|_| String::new()),
        "list" => {
            let mut names: Vec<String> = std::fs::read_dir(arg)?
                .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect::<io::Result<_>>()?;
            names.sort();
            Ok(format!("[{}]", names.join(",")))
        }
        "connect" => {
            let address: SocketAddr = arg.parse().map_err(io::Error::other)?;
            TcpStream::connect_timeout(&address, Duration::from_secs(2)).map(|_| String::new())
        }
        "unix" => UnixStream::connect(arg).map(|_| String::new()),
        "bind" => TcpListener::bind(arg).map(|_| String::new()),
        "loopback" => {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let mut client = TcpStream::connect(listener.local_addr()?)?;
            let (mut server, _) = listener.accept()?;
            client.write_all(b"x")?;
            let mut byte = [0u8];
            server.read_exact(&mut byte)?;
            Ok(String::new())
        }
        "spawn" => {
            let status = Command::new(arg).status()?;
            Ok(format!("{status}"))
        }
        "spawn-kill" => {
            let mut child = Command::new(std::env::current_exe()?)
                .args(self_args)
                .env(ACTIONS, "sleep")
                .stdout(std::process::Stdio::null())
                .spawn()?;
            std::thread::sleep(Duration::from_millis(100));
            child.kill()?;
            let status = child.wait()?;
            Ok(format!("{status}"))
        }
        "sleep" => {
            std::thread::sleep(Duration::from_secs(30));
            Ok(String::new())
        }
        "signal-parent" => {
            // SAFETY: signal 0 only checks whether the signal could be sent.
            let ret = unsafe { libc::kill(libc::getppid(), 0) };
            if ret == 0 {
                Ok(String::new())
            } else {
                Err(io::Error::last_os_error())
            }
        }
        "pg" => {
            // pg SOCKET ROLE DATABASE
            let parts: Vec<&str> = arg.split(' ').collect();
            let mut stream = UnixStream::connect(parts[0])?;
            let reply = pg_session(
                &mut stream,
                &[("user", parts[1]), ("database", parts[2])],
                "SELECT current_user",
                false,
            )?;
            match reply {
                PgReply::Rows(rows) => Ok(rows.join(",")),
                PgReply::Error { code, .. } => Ok(format!("error {code}")),
            }
        }
        other => Err(io::Error::other(format!("unknown action {other}"))),
    }
}

/// The outcomes printed by a child, in order.
pub fn outcomes(output: &Output) -> Vec<String> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        // libtest may print "test child_entry ... " before the first one.
        .filter_map(|line| line.find("RESULT ").map(|at| &line[at + "RESULT ".len()..]))
        .map(|line| line.rsplit_once(" => ").map_or("", |(_, o)| o).to_string())
        .collect()
}

/// Fails the test with the child's output when it did not run cleanly.
pub fn assert_ran(output: &Output, expected_actions: usize) {
    let got = outcomes(output).len();
    assert!(
        output.status.success() && got == expected_actions,
        "child status {}, {got} of {expected_actions} results\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The address of the test PostgreSQL server.
pub fn pg_address() -> String {
    std::env::var("GRADER_SANDBOX_PG_ADDR").unwrap_or_else(|_| "127.0.0.1:5432".to_string())
}

/// Whether PostgreSQL answers at [`pg_address`].
pub fn pg_reachable() -> bool {
    pg_address()
        .parse::<SocketAddr>()
        .is_ok_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok())
}

/// What a query returned: the first column of each row, or an error.
#[derive(Debug, PartialEq, Eq)]
pub enum PgReply {
    /// The rows' first column, as text.
    Rows(Vec<String>),
    /// An `ErrorResponse`: SQLSTATE and message.
    Error { code: String, message: String },
}

fn read_message(stream: &mut impl Read) -> io::Result<(u8, Vec<u8>)> {
    let mut header = [0u8; 5];
    stream.read_exact(&mut header)?;
    let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
    if !(4..=1 << 20).contains(&len) {
        return Err(io::Error::other(format!("bad message length {len}")));
    }
    let mut body = vec![0u8; len - 4];
    stream.read_exact(&mut body)?;
    Ok((header[0], body))
}

/// Parses an `ErrorResponse` body.
pub fn parse_error(body: &[u8]) -> PgReply {
    let mut code = String::new();
    let mut message = String::new();
    for field in body.split(|b| *b == 0).filter(|f| !f.is_empty()) {
        let value = String::from_utf8_lossy(&field[1..]).into_owned();
        match field[0] {
            b'C' => code = value,
            b'M' => message = value,
            _ => {}
        }
    }
    PgReply::Error { code, message }
}

/// Logs in with `params` (trust authentication only), runs one simple
/// query and says goodbye. With `ssl_first`, sends an `SSLRequest` first
/// and expects `N`.
pub fn pg_session(
    stream: &mut (impl Read + Write),
    params: &[(&str, &str)],
    query: &str,
    ssl_first: bool,
) -> io::Result<PgReply> {
    if ssl_first {
        stream.write_all(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])?;
        let mut answer = [0u8];
        stream.read_exact(&mut answer)?;
        if answer[0] != b'N' {
            return Err(io::Error::other(format!(
                "SSLRequest answered {}",
                answer[0]
            )));
        }
    }
    stream.write_all(&grader_sandbox::startup_message(params))?;
    loop {
        let (kind, body) = read_message(stream)?;
        match kind {
            b'R' if body[..4] == [0, 0, 0, 0] => {}
            b'R' => return Err(io::Error::other("the server asks for a password")),
            b'E' => return Ok(parse_error(&body)),
            b'Z' => break,
            _ => {}
        }
    }
    let mut message = vec![b'Q'];
    message.extend_from_slice(&((query.len() + 5) as u32).to_be_bytes());
    message.extend_from_slice(query.as_bytes());
    message.push(0);
    stream.write_all(&message)?;
    let mut rows = Vec::new();
    let mut error = None;
    loop {
        let (kind, body) = read_message(stream)?;
        match kind {
            b'D' => {
                let len = i32::from_be_bytes([body[2], body[3], body[4], body[5]]);
                let value = if len < 0 {
                    "NULL".to_string()
                } else {
                    String::from_utf8_lossy(&body[6..6 + len as usize]).into_owned()
                };
                rows.push(value);
            }
            b'E' => error = Some(parse_error(&body)),
            b'Z' => break,
            _ => {}
        }
    }
    stream.write_all(&[b'X', 0, 0, 0, 4])?;
    Ok(error.unwrap_or(PgReply::Rows(rows)))
}

/// Runs `sql` as the superuser over TCP, for test setup.
pub fn pg_admin(sql: &str) -> io::Result<PgReply> {
    let mut stream = TcpStream::connect(pg_address())?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    pg_session(
        &mut stream,
        &[("user", "postgres"), ("database", "test")],
        sql,
        false,
    )
}

/// Creates the least-privileged role the gate admits, if missing.
pub fn ensure_role(role: &str) {
    let sql = format!(
        "DO $$ BEGIN CREATE ROLE {role} LOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
    );
    match pg_admin(&sql) {
        Ok(PgReply::Rows(_)) => {}
        other => panic!("cannot create role {role}: {other:?}"),
    }
}
