//! Finding out which protections this machine allows, before relying on
//! them.
//!
//! A kernel may be too old for Landlock or boot with it disabled; a
//! container may forbid namespaces. The grader must still grade there, and
//! say plainly what was not enforced. So each layer is tried once, for
//! real, in a throw-away child process (a fork that makes a few raw system
//! calls and exits), which leaves the calling process untouched. The
//! result, [`Capabilities`], is what [`crate::Prepared`] builds on.

use std::fmt;
use std::io;

use crate::landlock;
use crate::namespaces::{self, IdMaps};
use crate::privileges;
use crate::sys;

/// Why a protection is unavailable: a few words for one-line summaries,
/// and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// A few words, e.g. "operation not permitted".
    pub short: String,
    /// What it means and what to do next.
    pub advice: String,
}

impl Reason {
    /// A reason from its two parts.
    pub fn new(short: impl Into<String>, advice: impl Into<String>) -> Self {
        Self {
            short: short.into(),
            advice: advice.into(),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.short, self.advice)
    }
}

/// Whether one kind of protection works on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// It works.
    Available,
    /// It does not, and why.
    Unavailable(Reason),
}

impl Availability {
    /// Whether it works.
    pub fn is_available(&self) -> bool {
        matches!(self, Availability::Available)
    }

    /// The reason it does not work, if it does not.
    pub fn reason(&self) -> Option<&Reason> {
        match self {
            Availability::Available => None,
            Availability::Unavailable(reason) => Some(reason),
        }
    }
}

/// What this machine allows a process to do to restrict its children.
///
/// Built by [`probe`]; the fields are public so a test or a report can
/// describe another machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// The Landlock ABI version, 0 when Landlock is unavailable.
    pub landlock_abi: u32,
    /// Whether Landlock works, and why not.
    pub landlock: Availability,
    /// Whether a new user namespace (with id maps) can be created. When it
    /// can, the other namespaces are created inside one.
    pub user_namespace: Availability,
    /// Whether a new mount namespace works, with a private tmpfs mount.
    pub mount_namespace: Availability,
    /// Whether a new network namespace works, with its loopback up.
    pub network_namespace: Availability,
    /// Whether the children's capabilities can be dropped (needed when they
    /// would otherwise be root, really or in their user namespace).
    pub capability_drop: Availability,
    /// Whether the caller runs as root (effective uid 0).
    pub root: bool,
}

impl Capabilities {
    /// A machine where nothing works, for the same `reason` (as on a
    /// non-Linux host or in a locked-down container).
    pub fn none(reason: Reason) -> Self {
        let unavailable = Availability::Unavailable(reason);
        Self {
            landlock_abi: 0,
            landlock: unavailable.clone(),
            user_namespace: unavailable.clone(),
            mount_namespace: unavailable.clone(),
            network_namespace: unavailable.clone(),
            capability_drop: unavailable,
            root: false,
        }
    }
}

impl fmt::Display for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = |f: &mut fmt::Formatter<'_>, name: &str, a: &Availability| match a {
            Availability::Available => writeln!(f, "  {name}: available"),
            Availability::Unavailable(reason) => writeln!(f, "  {name}: unavailable ({reason})"),
        };
        writeln!(f, "sandbox capabilities:")?;
        match &self.landlock {
            Availability::Available => writeln!(f, "  landlock: ABI {}", self.landlock_abi)?,
            Availability::Unavailable(reason) => writeln!(f, "  landlock: none ({reason})")?,
        }
        line(f, "user namespace", &self.user_namespace)?;
        line(f, "mount namespace", &self.mount_namespace)?;
        line(f, "network namespace", &self.network_namespace)?;
        line(f, "capability drop", &self.capability_drop)?;
        write!(
            f,
            "  running as root: {}",
            if self.root { "yes" } else { "no" }
        )
    }
}

/// Detects what this machine allows, without changing the calling
/// process: Landlock is asked for its version, and each namespace is
/// created for real in a short-lived forked child.
pub fn probe() -> Capabilities {
    let (landlock_abi, landlock) = match landlock::abi_version() {
        Ok(abi) if abi > 0 => (abi, Availability::Available),
        Ok(_) => (0, Availability::Unavailable(landlock_reason(libc::ENOSYS))),
        Err(errno) => (0, Availability::Unavailable(landlock_reason(errno))),
    };
    let root = sys::euid() == 0;
    let maps = IdMaps::identity();

    let user_namespace = availability("a user namespace", || {
        step(namespaces::unshare(libc::CLONE_NEWUSER))?;
        step(maps.write())
    });
    let via_user = user_namespace.is_available();
    let route = |flags: libc::c_int| -> Result<(), i32> {
        if via_user {
            step(namespaces::unshare(libc::CLONE_NEWUSER | flags))?;
            step(maps.write())
        } else {
            step(namespaces::unshare(flags))
        }
    };
    let needs_user = |what: &str| {
        Availability::Unavailable(Reason::new(
            "needs a user namespace",
            format!(
                "only root can create {what} without a user namespace, and user namespaces are unavailable here; grading continues without it"
            ),
        ))
    };

    let mount_namespace = if via_user || root {
        availability("a mount namespace", || {
            route(libc::CLONE_NEWNS)?;
            step(namespaces::make_mounts_private())?;
            step(namespaces::mount_empty_tmpfs(c"/"))
        })
    } else {
        needs_user("a mount namespace")
    };
    let network_namespace = if via_user || root {
        availability("a network namespace", || {
            route(libc::CLONE_NEWNET)?;
            step(namespaces::loopback_up())
        })
    } else {
        needs_user("a network namespace")
    };
    let capability_drop = if via_user || root {
        availability("a process without capabilities (capset)", || {
            if via_user {
                route(0)?;
            }
            step(privileges::drop_capabilities())
        })
    } else {
        Availability::Unavailable(Reason::new(
            "not needed",
            "the caller is not root and creates no user namespace, so its children hold no capabilities to drop",
        ))
    };

    Capabilities {
        landlock_abi,
        landlock,
        user_namespace,
        mount_namespace,
        network_namespace,
        capability_drop,
        root,
    }
}

/// Keeps only the `errno` of a failed step (it is all a forked child can
/// report without allocating).
fn step(result: io::Result<()>) -> Result<(), i32> {
    result.map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))
}

/// Runs `test` in a forked child and turns its outcome into an
/// [`Availability`] for `what`.
fn availability(what: &str, test: impl Fn() -> Result<(), i32>) -> Availability {
    match in_child(test) {
        Ok(()) => Availability::Available,
        Err(errno) => Availability::Unavailable(namespace_reason(what, errno)),
    }
}

/// Runs `test` in a forked child, which reports its `errno` on a pipe and
/// exits. `test` must only make async-signal-safe calls.
fn in_child(test: impl Fn() -> Result<(), i32>) -> Result<(), i32> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe2` writes.
    sys::check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })
        .map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))?;
    let [read_end, write_end] = fds;
    // SAFETY: the child only runs `test` (raw system calls on memory
    // prepared before the fork), writes to the pipe and calls `_exit`.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let code: i32 = match test() {
            Ok(()) => 0,
            Err(errno) => errno,
        };
        let bytes = code.to_ne_bytes();
        // SAFETY: writing a local buffer to an open pipe, then leaving
        // without running any destructor or exit handler.
        unsafe {
            libc::write(write_end, bytes.as_ptr().cast(), bytes.len());
            libc::_exit(0);
        }
    }
    sys::close(write_end);
    if pid < 0 {
        let errno = io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        sys::close(read_end);
        return Err(errno);
    }
    let mut bytes = [0u8; 4];
    // SAFETY: reading into a local buffer of the given size.
    let got = unsafe { libc::read(read_end, bytes.as_mut_ptr().cast(), bytes.len()) };
    sys::close(read_end);
    let mut status = 0;
    // SAFETY: waiting for the child forked above.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    if got != 4 {
        // The child died before reporting.
        return Err(libc::EIO);
    }
    match i32::from_ne_bytes(bytes) {
        0 => Ok(()),
        errno => Err(errno),
    }
}

/// Explains a failure to create a namespace.
fn namespace_reason(what: &str, errno: i32) -> Reason {
    let name = sys::errno_name(errno);
    let (short, why) = match errno {
        libc::EPERM => (
            "operation not permitted",
            "this container or a security policy (seccomp, AppArmor, kernel.unprivileged_userns_clone=0) forbids it",
        ),
        libc::EACCES => (
            "permission denied",
            "writing the user namespace's id maps was refused (an AppArmor or SELinux policy?)",
        ),
        libc::ENOSPC | libc::EUSERS => (
            "namespace limit reached",
            "the limit in /proc/sys/user/max_*_namespaces is reached or set to 0",
        ),
        libc::EINVAL | libc::ENOSYS => (
            "not supported by this kernel",
            "the kernel was built without this kind of namespace",
        ),
        _ => ("failed", "unexpected error"),
    };
    Reason::new(
        short,
        format!(
            "cannot create {what} ({name}, {}): {why}; grading continues without it",
            io::Error::from_raw_os_error(errno)
        ),
    )
}

/// Explains why Landlock is unavailable.
fn landlock_reason(errno: i32) -> Reason {
    match errno {
        libc::ENOSYS => Reason::new(
            "not supported by this kernel",
            "Landlock needs Linux 5.13 or later built with CONFIG_SECURITY_LANDLOCK (a seccomp filter may also hide it); grading continues without file and TCP restrictions",
        ),
        libc::EOPNOTSUPP => Reason::new(
            "disabled at boot",
            "the kernel has Landlock but did not enable it: add `landlock` to the `lsm=` boot parameter; grading continues without file and TCP restrictions",
        ),
        libc::EPERM => Reason::new(
            "forbidden by seccomp",
            "a seccomp filter (a container runtime's) refuses the Landlock system calls: allow landlock_create_ruleset, landlock_add_rule and landlock_restrict_self; grading continues without file and TCP restrictions",
        ),
        other => Reason::new(
            sys::errno_name(other),
            format!(
                "asking the kernel for its Landlock version failed ({}); grading continues without file and TCP restrictions",
                io::Error::from_raw_os_error(other)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_does_not_change_the_caller() {
        let before = std::fs::read_link("/proc/self/ns/net").unwrap();
        let caps = probe();
        println!("{caps}");
        assert_eq!(std::fs::read_link("/proc/self/ns/net").unwrap(), before);
        assert_eq!(caps.landlock.is_available(), caps.landlock_abi > 0);
    }
}
