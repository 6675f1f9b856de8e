//! What a sandboxed process may do, stated as an allow-list.
//!
//! A [`Policy`] starts from "nothing": no file may be read, written or
//! executed, the network is a private namespace with only a loopback, and
//! nothing is hidden. Each method adds one permission. Keeping the policy
//! a plain value, separate from how it is enforced, lets the grader print
//! it, test it, and apply it with whatever layers the machine offers
//! (see [`crate::Prepared`]).

use std::path::{Path, PathBuf};

/// How the sandboxed process may use the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Network {
    /// A new network namespace whose only interface is its own loopback,
    /// brought up. The process can listen on and connect to 127.0.0.1
    /// inside, and reaches nothing outside: not the host's loopback, not
    /// the host's PostgreSQL, not the Internet. Pathname Unix sockets (such
    /// as a [`crate::PgGate`]'s) still work across the boundary.
    Isolated,
    /// The host's network, with TCP limited by Landlock (ABI 4 and later)
    /// to the listed ports: `connect` for outgoing connections, `bind` for
    /// listening (port 0 allows binding an ephemeral port). Empty lists deny
    /// all TCP. Other protocols are not restricted.
    TcpPorts {
        /// Remote ports the process may connect to.
        connect: Vec<u16>,
        /// Local ports the process may bind.
        bind: Vec<u16>,
    },
    /// The host's network, unrestricted.
    Host,
}

/// An allow-list of what a sandboxed process may access.
///
/// Paths are resolved (symbolic links followed) when the policy is
/// prepared; a path that does not exist then is an error, except in the
/// system defaults, which only name paths found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub(crate) read_only: Vec<PathBuf>,
    pub(crate) list_only: Vec<PathBuf>,
    pub(crate) read_write: Vec<PathBuf>,
    pub(crate) executables: Vec<PathBuf>,
    pub(crate) unix_socket_dirs: Vec<PathBuf>,
    pub(crate) hidden: Vec<PathBuf>,
    pub(crate) network: Network,
    pub(crate) strict: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self::new()
    }
}

/// Library directories a dynamically linked program loads its libraries
/// from, and the loader's cache.
const SYSTEM_LIBRARIES: &[&str] = &[
    "/lib",
    "/lib64",
    "/lib32",
    "/usr/lib",
    "/usr/lib64",
    "/usr/lib32",
    "/etc/ld.so.cache",
];

/// Device files most programs expect to open.
const SYSTEM_DEVICES_READ: &[&str] = &["/dev/urandom", "/dev/random", "/dev/zero"];

/// Directories where local services keep their Unix sockets and where
/// processes share temporary files.
const SERVICE_DIRECTORIES: &[&str] = &["/run", "/var/run", "/tmp", "/var/tmp", "/dev/shm"];

impl Policy {
    /// A policy that allows nothing: no file access, an isolated network,
    /// nothing hidden, not strict.
    pub fn new() -> Self {
        Self {
            read_only: Vec::new(),
            list_only: Vec::new(),
            read_write: Vec::new(),
            executables: Vec::new(),
            unix_socket_dirs: Vec::new(),
            hidden: Vec::new(),
            network: Network::Isolated,
            strict: false,
        }
    }

    /// Allows reading `path`: a directory and everything under it, or a
    /// single file.
    pub fn read_only(mut self, path: impl Into<PathBuf>) -> Self {
        self.read_only.push(path.into());
        self
    }

    /// Allows listing the directory `path` (and those below it), but not
    /// reading its files: give the files that may be read one by one with
    /// [`Policy::read_only`].
    pub fn list_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.list_only.push(path.into());
        self
    }

    /// Allows reading and writing under the directory `path` (creating,
    /// renaming, removing and truncating files and directories), but not
    /// executing what is there. A single file may be given too.
    pub fn read_write(mut self, path: impl Into<PathBuf>) -> Self {
        self.read_write.push(path.into());
        self
    }

    /// Allows executing (and reading) the file `path`. For an ELF program,
    /// its dynamic loader is allowed too; a script needs its interpreter
    /// allowed as well.
    pub fn executable(mut self, path: impl Into<PathBuf>) -> Self {
        self.executables.push(path.into());
        self
    }

    /// Allows connecting to the Unix sockets in the directory `path`, such
    /// as a [`crate::PgGate`]'s, and keeps the directory visible when it
    /// lies under a hidden path. Reading the directory is not allowed.
    pub fn unix_socket_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.unix_socket_dirs.push(path.into());
        self
    }

    /// Covers the directory `path` with an empty tmpfs, when a mount
    /// namespace is available. Granted paths under it stay visible.
    pub fn hide(mut self, path: impl Into<PathBuf>) -> Self {
        self.hidden.push(path.into());
        self
    }

    /// Sets how the process may use the network.
    pub fn network(mut self, network: Network) -> Self {
        self.network = network;
        self
    }

    /// Makes preparing the policy fail when any layer it asks for is
    /// unavailable on this machine, instead of running with fewer
    /// protections (the grader's `--require-sandbox`).
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Adds what a dynamically linked program needs to start on this
    /// machine: reading the system library directories and a few device
    /// files, and writing `/dev/null`.
    pub fn with_system_runtime(mut self) -> Self {
        for path in SYSTEM_LIBRARIES.iter().chain(SYSTEM_DEVICES_READ) {
            if Path::new(path).exists() {
                self.read_only.push(PathBuf::from(path));
            }
        }
        if Path::new("/dev/null").exists() {
            self.read_write.push(PathBuf::from("/dev/null"));
        }
        self
    }

    /// Hides the directories where local services keep their Unix sockets
    /// and where processes share temporary files: `/run`, `/var/run`,
    /// `/tmp`, `/var/tmp` and `/dev/shm`, those that exist.
    pub fn hide_service_directories(mut self) -> Self {
        for path in SERVICE_DIRECTORIES {
            if Path::new(path).exists() {
                self.hidden.push(PathBuf::from(path));
            }
        }
        self
    }

    /// The network setting.
    pub fn network_setting(&self) -> &Network {
        &self.network
    }

    /// Whether the policy is strict (see [`Policy::strict`]).
    pub fn is_strict(&self) -> bool {
        self.strict
    }
}
