//! Driving a learner's server as a separate process, the way an MCP client
//! does.
//!
//! The grader binary carries both servers (`lab-server` and
//! `solution-server` are libraries behind their thin `main`), so the suite
//! starts `grader __serve labs stdio ...`: the learner's server code, in
//! its own process, with its own stdin and stdout. An rmcp client talks to
//! it over stdio; HTTP checks use plain requests on a socket.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ElicitRequestParams,
    ElicitResult, ElicitationAction, Implementation,
};
use rmcp::service::{RequestContext, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use serde_json::{Value, json};

use grader_kit::Side;

/// The hidden first argument that makes the grader serve instead of grade.
pub const SERVE_FLAG: &str = "__serve";

/// `grader __serve SIDE ARGS...`: runs that side's server with `ARGS`.
pub fn serve_main(args: &[String]) -> i32 {
    let Some((side, rest)) = args.split_first() else {
        eprintln!("{SERVE_FLAG} is internal to the grader");
        return 2;
    };
    let rest = rest.iter().cloned();
    let code = if side == Side::Solution.as_str() {
        solution_server::run::main_with(rest)
    } else {
        lab_server::run::main_with(rest)
    };
    i32::from(code)
}

/// A scratch folder for one server: its data (demo database, audit log)
/// and a log root with files in it.
pub struct Sandbox {
    /// Deleted on drop.
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    /// A sandbox with `logs/app.log` (200 numbered lines).
    pub fn new() -> Result<Self, String> {
        let dir =
            tempfile::tempdir().map_err(|e| format!("cannot create a temporary folder: {e}"))?;
        let logs = dir.path().join("logs");
        std::fs::create_dir_all(&logs).map_err(|e| e.to_string())?;
        let text: String = (1..=200)
            .map(|i| format!("2026-01-01 INFO line {i}\n"))
            .collect();
        std::fs::write(logs.join("app.log"), text).map_err(|e| e.to_string())?;
        Ok(Self { dir })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The log root.
    pub fn logs(&self) -> PathBuf {
        self.path().join("logs")
    }

    /// The audit log the server writes.
    pub fn audit_log(&self) -> PathBuf {
        self.path().join("audit.jsonl")
    }

    /// The audit log's entries.
    pub fn audit_entries(&self) -> Result<Vec<Value>, String> {
        let text = std::fs::read_to_string(self.audit_log())
            .map_err(|e| format!("cannot read the audit log: {e}"))?;
        text.lines()
            .map(|l| {
                serde_json::from_str(l).map_err(|e| format!("an audit line is not JSON ({e}): {l}"))
            })
            .collect()
    }

    /// The command that starts the server of `side` in this sandbox, with
    /// `args` after the transport.
    pub fn command(
        &self,
        side: Side,
        transport: &str,
        args: &[&str],
    ) -> Result<tokio::process::Command, String> {
        let exe =
            std::env::current_exe().map_err(|e| format!("cannot find the grader binary: {e}"))?;
        let mut command = tokio::process::Command::new(exe);
        command
            .arg(SERVE_FLAG)
            .arg(side.as_str())
            .arg(transport)
            .arg("--log-root")
            .arg(self.logs())
            .arg("--audit-log")
            .arg(self.audit_log())
            .args(args)
            .env("MCP_DATA_DIR", self.path().join("data"))
            .env("RUST_LOG", "error")
            .env_remove("DATABASE_URL")
            .env_remove("MCP_TOKEN")
            .env_remove("MCP_LOG_ROOTS")
            .env_remove("MCP_AUDIT_LOG")
            .env_remove("MCP_GRANT")
            .kill_on_drop(true);
        Ok(command)
    }
}

/// How a test client answers the server's approval requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Human {
    /// The client declares no elicitation capability.
    Absent,
    /// Accepts with `{"approve": true}`.
    Approves,
    /// Declines.
    Declines,
}

/// The grader's MCP client.
#[derive(Debug, Clone)]
pub struct Client {
    human: Human,
}

impl ClientHandler for Client {
    fn get_info(&self) -> ClientConfig {
        let capabilities = match self.human {
            Human::Absent => ClientCapabilities::default(),
            _ => ClientCapabilities::builder().enable_elicitation().build(),
        };
        ClientConfig::new(
            capabilities,
            Implementation::new("grader", env!("CARGO_PKG_VERSION")),
        )
    }

    async fn create_elicitation(
        &self,
        _request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        Ok(match self.human {
            Human::Approves => {
                ElicitResult::new(ElicitationAction::Accept).with_content(json!({"approve": true}))
            }
            _ => ElicitResult::new(ElicitationAction::Decline),
        })
    }
}

/// A server process and a client session on its stdio.
pub struct Session {
    /// The client.
    pub client: RunningService<RoleClient, Client>,
    /// The server's process id.
    pub pid: Option<u32>,
}

/// How long a server may take to start and finish the handshake.
pub const START: Duration = Duration::from_secs(20);

/// How long one call may take before the check gives up on it.
pub const CALL: Duration = Duration::from_secs(15);

impl Session {
    /// Starts the server with `command` and opens a session as `human`.
    pub async fn start(command: tokio::process::Command, human: Human) -> Result<Self, String> {
        let (transport, stderr) = TokioChildProcess::builder(command)
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the server: {e}"))?;
        let pid = transport.id();
        let said = drain(stderr);
        let handshake = tokio::time::timeout(START, Client { human }.serve(transport)).await;
        match handshake {
            Ok(Ok(client)) => {
                // The handshake done is a first step: a server that never
                // gets that far is stopped soon after the reference's
                // takes, not at the check's deadline.
                grader_kit::child::tick();
                Ok(Self { client, pid })
            }
            Ok(Err(e)) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let said = said.lock().unwrap_or_else(|p| p.into_inner()).clone();
                Err(stub_reached(&said).unwrap_or_else(|| {
                    format!("the server did not complete the MCP handshake over stdio ({e}); it said: {}", said.trim())
                }))
            }
            Err(_) => Err(format!(
                "the server did not answer the MCP handshake within {START:?}"
            )),
        }
    }

    /// Calls `tool` with `args`.
    pub async fn call(&self, tool: &str, args: Value) -> Result<CallToolResult, String> {
        let Value::Object(args) = args else {
            return Err("arguments must be an object".into());
        };
        let request = CallToolRequestParams::new(tool.to_owned()).with_arguments(args);
        let answered = tokio::time::timeout(CALL, self.client.call_tool(request)).await;
        // A call answered is progress: a server whose calls hang is stopped
        // soon after, not at the check's deadline.
        grader_kit::child::tick();
        match answered {
            Ok(Ok(result)) => Ok(result),
            Ok(Err(e)) => Err(format!("{tool} got no tool result: {e}")),
            Err(_) => Err(format!("{tool} got no answer within {CALL:?}")),
        }
    }

    /// Closes the session; the server exits when its input closes.
    pub async fn close(self) {
        let _ = self.client.cancel().await;
    }
}

/// When a server process died on a `todo!()`, says which one and where:
/// `not implemented: NAME (the server stopped at FILE:LINE:COL)`.
pub fn stub_reached(said: &str) -> Option<String> {
    let mut lines = said.lines();
    while let Some(line) = lines.next() {
        if let Some((_, at)) = line.split_once("panicked at ") {
            let message = lines.next().unwrap_or_default();
            if message.contains("not yet implemented") {
                let at = at.trim_end_matches(':');
                return Some(format!(
                    "{} (the server stopped at {at})",
                    grader_kit::check::describe_panic(message)
                ));
            }
        }
    }
    None
}

/// Reads the server's stderr for as long as it runs, keeping the first
/// few kilobytes: a server whose stderr is not read blocks, or fails, on
/// its next log line.
fn drain(stderr: Option<tokio::process::ChildStderr>) -> Arc<Mutex<String>> {
    drain_up_to(stderr, 8192)
}

/// Reads the server's stderr for as long as it runs, keeping the first
/// `limit` bytes or so.
pub fn drain_up_to(
    stderr: Option<tokio::process::ChildStderr>,
    limit: usize,
) -> Arc<Mutex<String>> {
    use tokio::io::AsyncReadExt;
    let said = Arc::new(Mutex::new(String::new()));
    if let Some(mut stderr) = stderr {
        let keep = Arc::clone(&said);
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                let mut kept = keep.lock().unwrap_or_else(|p| p.into_inner());
                if kept.len() < limit {
                    kept.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
    }
    said
}

/// A tool result's text.
pub fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text())
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The error code of a result, when it is a structured error.
pub fn error_code(result: &CallToolResult) -> Option<String> {
    if result.is_error != Some(true) {
        return None;
    }
    let text = text(result);
    let rest = text.strip_prefix("Error [")?;
    Some(rest.split(']').next()?.to_owned())
}

/// Checks that `result` is the error `code`.
pub fn expect_error(what: &str, result: &CallToolResult, code: &str) -> Result<(), String> {
    match error_code(result) {
        Some(got) if got == code => Ok(()),
        _ => Err(format!(
            "{what}: expected an isError result `Error [{code}]: ...`, got isError={:?} {:?}",
            result.is_error,
            text(result)
        )),
    }
}

/// Checks that `result` is a success.
pub fn expect_ok(what: &str, result: &CallToolResult) -> Result<String, String> {
    if result.is_error == Some(true) {
        return Err(format!(
            "{what}: expected a result, got the error {:?}",
            text(result)
        ));
    }
    Ok(text(result))
}

/// A server started over HTTP, killed on drop.
pub struct HttpServer {
    child: Child,
    /// Where it listens.
    pub port: u16,
}

impl HttpServer {
    /// Starts the server of `side` over HTTP on a free port, with `env`,
    /// and waits for its `serving MCP at http://...` log line.
    pub fn start(
        sandbox: &Sandbox,
        side: Side,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut command = std::process::Command::new(exe);
        command
            .args([
                SERVE_FLAG,
                side.as_str(),
                "http",
                "--listen",
                "127.0.0.1:0",
                "--log-root",
            ])
            .arg(sandbox.logs())
            .arg("--audit-log")
            .arg(sandbox.audit_log())
            .args(args)
            .env("MCP_DATA_DIR", sandbox.path().join("data"))
            .env("RUST_LOG", "info")
            .env_remove("DATABASE_URL")
            .env_remove("MCP_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start the server: {e}"))?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let (found, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut said = String::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.split("serving MCP at http://").nth(1) {
                    let port = at
                        .split('/')
                        .next()
                        .and_then(|a| a.rsplit(':').next())
                        .and_then(|p| p.parse::<u16>().ok());
                    // The loop goes on draining, so the server never
                    // blocks on a full stderr pipe.
                    let _ = found.send(port.ok_or(line.clone()));
                } else if said.len() < 4000 {
                    said.push_str(&line);
                    said.push('\n');
                }
            }
            let _ = found.send(Err(said));
        });
        let port = match rx.recv_timeout(START) {
            Ok(Ok(port)) => port,
            Ok(Err(said)) => {
                let _ = child.kill();
                return Err(stub_reached(&said).unwrap_or_else(|| {
                    format!("the HTTP server did not start; it said: {}", said.trim())
                }));
            }
            Err(_) => {
                let _ = child.kill();
                return Err(format!(
                    "the HTTP server did not log `serving MCP at http://...` within {START:?}"
                ));
            }
        };
        Ok(Self { child, port })
    }

    /// Sends one HTTP/1.1 request and returns the status and the body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Result<(u16, String), String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))
            .map_err(|e| format!("cannot connect: {e}"))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            request.push_str(&format!("Host: 127.0.0.1:{}\r\n", self.port));
        }
        for (k, v) in headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut response = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut buf = [0u8; 8192];
        // Read until the server closes, or until a streamed response has
        // shown enough (an SSE stream stays open).
        while Instant::now() < deadline {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    response.extend_from_slice(&buf[..n]);
                    let seen = String::from_utf8_lossy(&response);
                    if seen.contains("text/event-stream") && seen.contains("\"result\"") {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| {
                format!(
                    "not an HTTP response: {:?}",
                    text.chars().take(200).collect::<String>()
                )
            })?;
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        Ok((status, body))
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
