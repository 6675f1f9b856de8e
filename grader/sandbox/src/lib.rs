//! Kernel-enforced limits for the processes that run students' code.
//!
//! The grader links each student's lab into a test harness and runs it in
//! a child process. That code is untrusted: it must not read the course's
//! hidden files (reference solutions, hidden tests, other submissions),
//! must have no network but the database it is handed, and must reach that
//! database only as a least-privileged role. Checks in the grader itself
//! cannot promise that; the kernel can. This crate stacks the layers Linux
//! offers, each one closing a gap the others leave:
//!
//! - **Landlock**: an allow-list of files to read, write and execute (a
//!   [`Policy`]), and (ABI 4+) TCP ports; it also forbids the child to
//!   mount anything, so it cannot undo the next layer.
//! - **A mount namespace**: empty tmpfs over `/run`, `/tmp` and the like,
//!   where Unix sockets of local services live (a PostgreSQL socket with
//!   `trust` authentication is a superuser login).
//! - **A network namespace** with only its own loopback.
//! - **`no_new_privs` and dropped capabilities**, so nothing the child
//!   executes gains privileges, even as root.
//! - **[`PgGate`]**: the one door to the database, which admits a single
//!   role on a single database.
//!
//! Any layer may be missing on a given machine (an old kernel, a container
//! that forbids namespaces). Grading still runs; [`probe`] finds out what
//! works, and [`ProtectionReport`] says exactly what was enforced and why
//! the rest was not. A strict [`Policy`] turns a missing layer into an
//! error instead.
//!
//! What it does not cover: there is no PID namespace (a child that may
//! read `/proc` sees the host's processes); under
//! [`Network::TcpPorts`] only TCP is restricted; before Landlock ABI 9,
//! connecting to a pathname Unix socket is not a file access, so a socket
//! outside the hidden directories stays reachable; CPU, memory and time
//! limits are the caller's (rlimits, deadlines); and the gate speaks to
//! the real server in plain text, so a server that demands TLS refuses it.
//!
//! ```no_run
//! use std::process::Command;
//! use std::sync::Arc;
//! use grader_sandbox::{Network, Policy, Prepared, probe};
//!
//! let policy = Policy::new()
//!     .with_system_runtime()
//!     .executable("/usr/bin/true")
//!     .read_write("/srv/grading/work")
//!     .hide_service_directories()
//!     .network(Network::Isolated);
//! let prepared = Arc::new(Prepared::new(&policy, &probe())?);
//! println!("{}", prepared.summary());
//! let mut command = Command::new("/usr/bin/true");
//! prepared.configure(&mut command);
//! let status = command.spawn().map_err(|e| prepared.explain(e))?.wait()?;
//! # Ok::<(), std::io::Error>(())
//! ```

mod elf;
mod landlock;
mod namespaces;
mod pg_gate;
mod pg_protocol;
mod policy;
mod prepared;
mod privileges;
mod probe;
mod report;
mod sys;

pub use pg_gate::{MAX_CONNECTIONS, PgGate, SOCKET_NAME, Upstream};
pub use pg_protocol::startup_message;
pub use policy::{Network, Policy};
pub use prepared::{Prepared, restrict_self};
pub use probe::{Availability, Capabilities, Reason, probe};
pub use report::{Layer, LayerState, LayerStatus, ProtectionReport};
