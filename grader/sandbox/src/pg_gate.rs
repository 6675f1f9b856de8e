//! A PostgreSQL connection gate: one role, one database, nothing else.
//!
//! A sandboxed child has no network, yet its lab needs the database. The
//! gate gives it one door: a Unix socket named like PostgreSQL's own
//! (`DIR/.s.PGSQL.5432`), in a directory the child can reach. Pathname
//! Unix sockets work across network namespaces, so clients connect with
//! an ordinary URL (see [`PgGate::url`]).
//!
//! The gate reads each client's first packets itself. It declines TLS and
//! GSSAPI encryption (the socket never leaves the machine), forwards
//! cancel requests, and lets a startup message through only for the role
//! and database it was made for, without `options` (which can carry `-c`
//! settings) or `replication`. Anything else gets a FATAL `ErrorResponse`
//! saying what was refused. After a good startup, the gate connects to the
//! real server, replays the startup message, and copies bytes both ways;
//! authentication is the server's business.
//!
//! The gate bounds what a hostile client can cost it: the size of the
//! first packet, the time to send it, and the number of connections open
//! at once.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::pg_protocol::{
    self, CANNOT_CONNECT, FirstPacket, PROTOCOL_VIOLATION, ReadError, Refusal, TOO_MANY_CONNECTIONS,
};

/// The socket file name clients derive from port 5432.
pub const SOCKET_NAME: &str = ".s.PGSQL.5432";

/// How many client connections the gate keeps open at once.
pub const MAX_CONNECTIONS: usize = 32;

/// How long a client may take to send its first packets.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// How long connecting to the real server may take.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the accept loop checks whether the gate is stopping.
const POLL_INTERVAL_MS: libc::c_int = 100;

/// How many encryption requests a client may make before its startup
/// message (libpq may try GSSAPI, then TLS).
const MAX_ENCRYPTION_REQUESTS: usize = 2;

/// Where the real PostgreSQL server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upstream {
    /// A TCP address, `host:port`, e.g. `127.0.0.1:5432`.
    Tcp(String),
    /// The path of a Unix socket file, e.g.
    /// `/var/run/postgresql/.s.PGSQL.5432`.
    Unix(PathBuf),
}

impl std::fmt::Display for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Upstream::Tcp(address) => write!(f, "{address}"),
            Upstream::Unix(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A running gate. Stops, closes every connection through it, and removes
/// its socket file when dropped.
#[derive(Debug)]
pub struct PgGate {
    dir: PathBuf,
    socket_path: PathBuf,
    shared: Arc<Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    role: String,
    database: String,
    upstream: Upstream,
    stopping: AtomicBool,
    active: AtomicUsize,
    next_id: AtomicU64,
    /// A handle on each open client connection, to close them on drop.
    connections: Mutex<HashMap<u64, UnixStream>>,
}

impl PgGate {
    /// Starts a gate listening on `dir/.s.PGSQL.5432` that admits only
    /// `role` on `database` and forwards to `upstream`.
    ///
    /// `dir` must exist. A stale socket file left there by a gate that is
    /// gone is replaced; a live one is an error.
    pub fn start(
        dir: impl Into<PathBuf>,
        upstream: Upstream,
        role: &str,
        database: &str,
    ) -> io::Result<Self> {
        let dir = dir.into();
        let socket_path = dir.join(SOCKET_NAME);
        // sun_path holds 108 bytes, NUL included.
        if socket_path.as_os_str().len() > 107 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the gate's socket path {} is longer than the 107 bytes a Unix socket path may have: use a shorter directory",
                    socket_path.display()
                ),
            ));
        }
        if socket_path.exists() {
            if UnixStream::connect(&socket_path).is_ok() {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!(
                        "another gate or server listens on {}: use another directory",
                        socket_path.display()
                    ),
                ));
            }
            std::fs::remove_file(&socket_path)?;
        }
        let listener = UnixListener::bind(&socket_path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot listen on {} ({e}): the directory must exist and be writable",
                    socket_path.display()
                ),
            )
        })?;
        listener.set_nonblocking(true)?;
        let shared = Arc::new(Shared {
            role: role.to_string(),
            database: database.to_string(),
            upstream,
            stopping: AtomicBool::new(false),
            active: AtomicUsize::new(0),
            next_id: AtomicU64::new(0),
            connections: Mutex::new(HashMap::new()),
        });
        let accept_shared = Arc::clone(&shared);
        let accept_thread = thread::Builder::new()
            .name("pg-gate-accept".into())
            .spawn(move || accept_loop(&listener, &accept_shared))?;
        Ok(Self {
            dir,
            socket_path,
            shared,
            accept_thread: Some(accept_thread),
        })
    }

    /// The directory holding the socket: what a client passes as `host`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The socket file.
    pub fn socket_path(&self) -> &Path {
        &self.socket_path
    }

    /// The URL a child should connect with, in the form sqlx and libpq
    /// both accept for a Unix socket directory:
    /// `postgres://USER[:PASSWORD]@localhost:5432/DATABASE?host=DIR&sslmode=disable`.
    ///
    /// The port names the socket file; `sslmode=disable` overrides a
    /// `PGSSLMODE` in the child's environment, since the gate never offers
    /// TLS. The child's environment must not set `PGOPTIONS`: sqlx and
    /// libpq would send it as `options`, which the gate refuses.
    pub fn url(&self, user: &str, password: Option<&str>, database: &str) -> String {
        let mut url = format!("postgres://{}", encode(user, false));
        if let Some(password) = password {
            let _ = write!(url, ":{}", encode(password, false));
        }
        let _ = write!(
            url,
            "@localhost:5432/{}?host={}&sslmode=disable",
            encode(database, false),
            encode(&self.dir.to_string_lossy(), true)
        );
        url
    }

    /// How many client connections are open through the gate now.
    pub fn active_connections(&self) -> usize {
        self.shared.active.load(Ordering::SeqCst)
    }
}

impl Drop for PgGate {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        if let Some(thread) = self.accept_thread.take() {
            let _ = thread.join();
        }
        if let Ok(connections) = self.shared.connections.lock() {
            for stream in connections.values() {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
        let _ = std::fs::remove_file(&self.socket_path);
    }
}

/// Percent-encodes `text` for a URL, keeping only unreserved characters
/// (and `/` when `keep_slash`, for a path in the query).
fn encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let plain = byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && byte == b'/');
        if plain {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

fn accept_loop(listener: &UnixListener, shared: &Arc<Shared>) {
    while !shared.stopping.load(Ordering::SeqCst) {
        let mut poll = libc::pollfd {
            fd: listener.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: `poll` points to one valid `pollfd` for the call's length.
        unsafe { libc::poll(&mut poll, 1, POLL_INTERVAL_MS) };
        match listener.accept() {
            Ok((stream, _)) => admit(stream, shared),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // Out of descriptors or memory: wait instead of spinning.
            Err(_) => thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Takes a new connection: refuses it when the gate is full, else serves
/// it on its own thread.
fn admit(stream: UnixStream, shared: &Arc<Shared>) {
    let _ = stream.set_nonblocking(false);
    let previous = shared.active.fetch_add(1, Ordering::SeqCst);
    let guard = ActiveGuard {
        shared: Arc::clone(shared),
        id: shared.next_id.fetch_add(1, Ordering::SeqCst),
    };
    if previous >= MAX_CONNECTIONS {
        refuse(
            &stream,
            &Refusal::new(
                TOO_MANY_CONNECTIONS,
                format!("too many connections through this gate (at most {MAX_CONNECTIONS})"),
            ),
        );
        return;
    }
    if let (Ok(handle), Ok(mut connections)) = (stream.try_clone(), shared.connections.lock()) {
        connections.insert(guard.id, handle);
    }
    let spawned = thread::Builder::new()
        .name("pg-gate-conn".into())
        .spawn(move || {
            let _guard = guard;
            serve(stream, &_guard.shared);
        });
    // When no thread can be started, the guard is dropped with the closure
    // and the stream closed: the client sees the connection end.
    drop(spawned);
}

/// Counts a connection as active until dropped.
struct ActiveGuard {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        if let Ok(mut connections) = self.shared.connections.lock() {
            connections.remove(&self.id);
        }
        self.shared.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Sends a FATAL `ErrorResponse` and closes.
fn refuse(mut stream: &UnixStream, refusal: &Refusal) {
    let _ = stream.set_write_timeout(Some(STARTUP_TIMEOUT));
    let _ = stream.write_all(&pg_protocol::error_response(refusal));
    let _ = stream.shutdown(Shutdown::Both);
}

fn serve(client: UnixStream, shared: &Shared) {
    if client.set_read_timeout(Some(STARTUP_TIMEOUT)).is_err()
        || client.set_write_timeout(Some(STARTUP_TIMEOUT)).is_err()
    {
        return;
    }
    let mut encryption_requests = 0;
    loop {
        let packet = match pg_protocol::read_first_packet(&mut &client) {
            Ok(packet) => packet,
            Err(ReadError::Closed) => return,
            Err(ReadError::Refused(refusal)) => return refuse(&client, &refusal),
        };
        match packet {
            FirstPacket::SslRequest | FirstPacket::GssEncRequest => {
                encryption_requests += 1;
                if encryption_requests > MAX_ENCRYPTION_REQUESTS {
                    return refuse(
                        &client,
                        &Refusal::new(PROTOCOL_VIOLATION, "too many encryption requests"),
                    );
                }
                // "N": no encryption; the client goes on in plain text.
                if (&client).write_all(b"N").is_err() {
                    return;
                }
            }
            FirstPacket::Cancel(raw) => {
                if let Ok(mut upstream) = connect_upstream(&shared.upstream) {
                    let _ = upstream.write_all(&raw);
                }
                return;
            }
            FirstPacket::Startup { raw, params } => {
                if let Err(refusal) =
                    pg_protocol::check_startup(&params, &shared.role, &shared.database)
                {
                    return refuse(&client, &refusal);
                }
                let mut upstream = match connect_upstream(&shared.upstream) {
                    Ok(upstream) => upstream,
                    Err(e) => {
                        return refuse(
                            &client,
                            &Refusal::new(
                                CANNOT_CONNECT,
                                format!(
                                    "the gate cannot reach the database at {} ({e})",
                                    shared.upstream
                                ),
                            ),
                        );
                    }
                };
                if upstream.write_all(&raw).is_err() {
                    return;
                }
                return relay(client, upstream);
            }
        }
    }
}

/// A connection to the real server, over TCP or a Unix socket.
enum UpstreamStream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl UpstreamStream {
    fn try_clone(&self) -> io::Result<Self> {
        Ok(match self {
            UpstreamStream::Tcp(s) => UpstreamStream::Tcp(s.try_clone()?),
            UpstreamStream::Unix(s) => UpstreamStream::Unix(s.try_clone()?),
        })
    }

    fn shutdown(&self) {
        let _ = match self {
            UpstreamStream::Tcp(s) => s.shutdown(Shutdown::Both),
            UpstreamStream::Unix(s) => s.shutdown(Shutdown::Both),
        };
    }
}

impl Read for UpstreamStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            UpstreamStream::Tcp(s) => s.read(buf),
            UpstreamStream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for UpstreamStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            UpstreamStream::Tcp(s) => s.write(buf),
            UpstreamStream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn connect_upstream(upstream: &Upstream) -> io::Result<UpstreamStream> {
    match upstream {
        Upstream::Tcp(address) => {
            let mut last = io::Error::new(
                io::ErrorKind::NotFound,
                format!("{address} resolves to no address"),
            );
            for candidate in address.to_socket_addrs()? {
                match TcpStream::connect_timeout(&candidate, UPSTREAM_TIMEOUT) {
                    Ok(stream) => {
                        let _ = stream.set_nodelay(true);
                        return Ok(UpstreamStream::Tcp(stream));
                    }
                    Err(e) => last = e,
                }
            }
            Err(last)
        }
        Upstream::Unix(path) => UnixStream::connect(path).map(UpstreamStream::Unix),
    }
}

/// Copies bytes both ways until either side closes, then closes both.
fn relay(client: UnixStream, upstream: UpstreamStream) {
    if client.set_read_timeout(None).is_err() || client.set_write_timeout(None).is_err() {
        return;
    }
    let (Ok(mut client_reader), Ok(mut upstream_writer)) =
        (client.try_clone(), upstream.try_clone())
    else {
        return;
    };
    let mut client_writer = client;
    let mut upstream_reader = upstream;
    let to_server = thread::Builder::new()
        .name("pg-gate-relay".into())
        .spawn(move || {
            let _ = io::copy(&mut client_reader, &mut upstream_writer);
            upstream_writer.shutdown();
            let _ = client_reader.shutdown(Shutdown::Both);
        });
    let _ = io::copy(&mut upstream_reader, &mut client_writer);
    upstream_reader.shutdown();
    let _ = client_writer.shutdown(Shutdown::Both);
    if let Ok(thread) = to_server {
        let _ = thread.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encodes_each_part() {
        let dir = tempfile::tempdir().unwrap();
        let gate =
            PgGate::start(dir.path(), Upstream::Tcp("127.0.0.1:1".into()), "s", "db").unwrap();
        let url = gate.url("stu dent", Some("p@ss/word"), "my db");
        assert_eq!(
            url,
            format!(
                "postgres://stu%20dent:p%40ss%2Fword@localhost:5432/my%20db?host={}&sslmode=disable",
                dir.path().display()
            )
        );
        let socket = gate.socket_path().to_path_buf();
        assert!(socket.exists());
        drop(gate);
        assert!(!socket.exists(), "the socket file is removed on drop");
    }
}
