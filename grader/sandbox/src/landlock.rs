//! Landlock: an allow-list of file and network access, enforced by the
//! kernel on a process and all its descendants.
//!
//! A Landlock ruleset names the kinds of access it *handles*; any handled
//! access that no rule grants is denied. So the ruleset here handles every
//! file-system right the running kernel knows (read, write, execute, make,
//! remove, `refer` from ABI 2, `truncate` from ABI 3, device `ioctl` from
//! ABI 5, ...) and then grants, path by path, only what the policy allows.
//! A right the ruleset did not handle would stay allowed everywhere.
//!
//! From ABI 4 it can also handle TCP `bind` and `connect` by port; from ABI
//! 6 it can *scope* the process: no connecting to abstract Unix sockets
//! made outside the sandbox, and no signals to processes outside it (its
//! own children are inside, so it can still kill them).
//!
//! The ruleset is built in the parent, where allocation and error messages
//! are easy. The child only makes two system calls: `prctl` for
//! `no_new_privs` (see [`crate::privileges`]) and `landlock_restrict_self`
//! with the ruleset's descriptor. Landlock also forbids a restricted
//! process to mount or unmount anything, so the tmpfs mounts of
//! [`crate::namespaces`] must be done before.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;

use landlock::{
    ABI, Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, NetPort, PathBeneath,
    PathFd, Ruleset, RulesetAttr, RulesetCreatedAttr, Scope,
};

use crate::policy::Network;
use crate::sys::check_long;

/// `LANDLOCK_CREATE_RULESET_VERSION`: asks `landlock_create_ruleset` for
/// the ABI version instead of creating a ruleset.
const CREATE_RULESET_VERSION: libc::c_uint = 1;

/// The ABI that brought TCP port rules.
pub(crate) const ABI_TCP: u32 = 4;

/// The ABI that brought scoping of abstract Unix sockets and signals.
pub(crate) const ABI_SCOPES: u32 = 6;

/// Asks the kernel for its Landlock ABI version; the error is the `errno`
/// that says why there is none.
pub(crate) fn abi_version() -> Result<u32, i32> {
    // SAFETY: with a null attribute pointer, size 0 and the VERSION flag,
    // the call only returns a number.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            CREATE_RULESET_VERSION,
        )
    };
    if ret < 0 {
        Err(io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        Ok(u32::try_from(ret).unwrap_or(u32::MAX))
    }
}

/// The paths a ruleset grants, already resolved to existing files.
#[derive(Debug, Default, Clone)]
pub(crate) struct Grants {
    pub(crate) read_only: Vec<PathBuf>,
    pub(crate) list_only: Vec<PathBuf>,
    pub(crate) read_write: Vec<PathBuf>,
    pub(crate) executables: Vec<PathBuf>,
    pub(crate) unix_socket_dirs: Vec<PathBuf>,
}

/// What a built ruleset enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Coverage {
    pub(crate) tcp: bool,
    pub(crate) scopes: bool,
}

/// Builds the ruleset for `abi` and returns its descriptor, ready for
/// [`restrict_self`].
pub(crate) fn build_ruleset(
    abi: u32,
    grants: &Grants,
    network: &Network,
) -> io::Result<(OwnedFd, Coverage)> {
    let known = ABI::from(i32::try_from(abi).unwrap_or(i32::MAX));
    let all = AccessFs::from_all(known);
    let file_rights = AccessFs::from_file(known);
    let read = all & (AccessFs::ReadFile | AccessFs::ReadDir);
    let list = all & AccessFs::ReadDir;
    // Writing everywhere it is granted, but never executing what was
    // written, and no device ioctls.
    let write = all & !(AccessFs::Execute | AccessFs::IoctlDev);
    let execute = all & (AccessFs::ReadFile | AccessFs::Execute);
    let connect_unix = all & AccessFs::ResolveUnix;

    let coverage = Coverage {
        tcp: matches!(network, Network::TcpPorts { .. }) && abi >= ABI_TCP,
        scopes: abi >= ABI_SCOPES,
    };

    let fail = |what: &str, e: &dyn std::fmt::Display| {
        io::Error::other(format!("cannot build the Landlock ruleset: {what}: {e}"))
    };
    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(all)
        .map_err(|e| fail("file-system rights", &e))?;
    if coverage.tcp {
        ruleset = ruleset
            .handle_access(AccessNet::BindTcp | AccessNet::ConnectTcp)
            .map_err(|e| fail("TCP rights", &e))?;
    }
    if coverage.scopes {
        ruleset = ruleset
            .scope(Scope::AbstractUnixSocket | Scope::Signal)
            .map_err(|e| fail("scopes", &e))?;
    }
    let mut created = ruleset.create().map_err(|e| fail("create", &e))?;

    let lists: [(&[PathBuf], BitFlags<AccessFs>); 5] = [
        (&grants.read_only, read),
        (&grants.list_only, list),
        (&grants.read_write, write),
        (&grants.executables, execute),
        (&grants.unix_socket_dirs, connect_unix),
    ];
    for (paths, rights) in lists {
        for path in paths {
            let rights = if path.is_dir() {
                rights
            } else {
                rights & file_rights
            };
            if rights.is_empty() {
                continue;
            }
            let fd = PathFd::new(path).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("cannot open {} for a Landlock rule: {e}", path.display()),
                )
            })?;
            created = created
                .add_rule(PathBeneath::new(fd, rights))
                .map_err(|e| fail(&format!("rule for {}", path.display()), &e))?;
        }
    }
    if let (true, Network::TcpPorts { connect, bind }) = (coverage.tcp, network) {
        for port in connect {
            created = created
                .add_rule(NetPort::new(*port, AccessNet::ConnectTcp))
                .map_err(|e| fail(&format!("connect rule for port {port}"), &e))?;
        }
        for port in bind {
            created = created
                .add_rule(NetPort::new(*port, AccessNet::BindTcp))
                .map_err(|e| fail(&format!("bind rule for port {port}"), &e))?;
        }
    }
    let fd: Option<OwnedFd> = created.into();
    let fd = fd.ok_or_else(|| {
        io::Error::other(
            "cannot build the Landlock ruleset: the kernel gave no ruleset descriptor; probe again",
        )
    })?;
    Ok((above_low_numbers(fd)?, coverage))
}

/// The lowest number the ruleset's descriptor may have.
///
/// A caller's own `pre_exec` step often puts a pipe on a fixed low number
/// (`dup2(pipe, 3)`) before the sandbox is entered; had the ruleset been
/// given that number, it would be replaced by the pipe and
/// `landlock_restrict_self` would fail with EBADFD, now and then, as the
/// parent's descriptors come and go.
pub(crate) const RULESET_FD_FLOOR: libc::c_int = 64;

/// `fd` moved to a number at or above [`RULESET_FD_FLOOR`].
fn above_low_numbers(fd: OwnedFd) -> io::Result<OwnedFd> {
    use std::os::fd::FromRawFd;
    if fd.as_raw_fd() >= RULESET_FD_FLOOR {
        return Ok(fd);
    }
    // SAFETY: `fd` is open; F_DUPFD_CLOEXEC returns a new descriptor that
    // this function then owns alone.
    let moved = check_long(unsafe {
        libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, RULESET_FD_FLOOR) as libc::c_long
    })
    .map_err(|e| {
        io::Error::other(format!(
            "cannot move the Landlock ruleset's descriptor: {e}"
        ))
    })?;
    // SAFETY: `moved` is a fresh descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(moved as libc::c_int) })
}

/// Restricts the calling thread (and everything it later starts) with the
/// ruleset. `no_new_privs` must already be set.
pub(crate) fn restrict_self(ruleset: &OwnedFd) -> io::Result<()> {
    // SAFETY: the descriptor is a Landlock ruleset kept open by the caller;
    // flags 0 asks for the default behaviour.
    check_long(unsafe {
        libc::syscall(
            libc::SYS_landlock_restrict_self,
            ruleset.as_raw_fd(),
            0 as libc::c_uint,
        )
    })
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_low_descriptor_is_moved_above_the_floor_and_stays_usable() {
        let low: OwnedFd = std::fs::File::open("/dev/null").unwrap().into();
        let moved = above_low_numbers(low).unwrap();
        assert!(
            moved.as_raw_fd() >= RULESET_FD_FLOOR,
            "{}",
            moved.as_raw_fd()
        );
        // SAFETY: querying the flags of an open descriptor.
        let flags = unsafe { libc::fcntl(moved.as_raw_fd(), libc::F_GETFD) };
        assert_eq!(flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
    }
}
