//! Giving up privileges before running untrusted code.
//!
//! `no_new_privs` makes `execve` unable to grant anything: set-user-id
//! binaries and file capabilities stop working. The kernel requires it (or
//! `CAP_SYS_ADMIN`) before a process may restrict itself with Landlock,
//! and it survives `fork` and `exec`.
//!
//! Capabilities are the other half. A child that is root (really, or inside
//! the user namespace it just created) holds capabilities that would let it
//! undo the sandbox: unmount the tmpfs that hides `/run`, or, as real root,
//! enter the host's network namespace again. Emptying the bounding set and
//! locking the "no root" secure bits means that no later `exec`, even of a
//! uid-0 process, gets any capability back.

use std::io;

use crate::sys::{check, check_long};

/// Sets `no_new_privs` on the calling thread (inherited by its children).
pub(crate) fn set_no_new_privs() -> io::Result<()> {
    // SAFETY: PR_SET_NO_NEW_PRIVS takes integer arguments only.
    check(unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) }).map(drop)
}

/// The secure bits that keep uid 0 from regaining capabilities on `exec`,
/// each locked so the child cannot clear it.
const LOCKED_SECURE_BITS: libc::c_int = libc::SECBIT_NOROOT
    | libc::SECBIT_NOROOT_LOCKED
    | libc::SECBIT_NO_SETUID_FIXUP
    | libc::SECBIT_NO_SETUID_FIXUP_LOCKED
    | libc::SECBIT_KEEP_CAPS_LOCKED
    | libc::SECBIT_NO_CAP_AMBIENT_RAISE
    | libc::SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;

/// The highest capability number tried when emptying the bounding set; the
/// kernel answers EINVAL past its own last one.
const LAST_CAPABILITY_TRIED: libc::c_int = 63;

/// Drops every capability for good: ambient, bounding, permitted,
/// effective and inheritable sets, and locks the secure bits.
///
/// Needs `CAP_SETPCAP`, which the process has as root or right after
/// creating a user namespace.
pub(crate) fn drop_capabilities() -> io::Result<()> {
    // SAFETY: prctl calls with integer arguments only.
    check(unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        )
    })?;
    for capability in 0..=LAST_CAPABILITY_TRIED {
        // SAFETY: as above.
        let ret = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, capability, 0, 0, 0) };
        if ret == -1 {
            match io::Error::last_os_error().raw_os_error() {
                Some(libc::EINVAL) => break,
                _ => return Err(io::Error::last_os_error()),
            }
        }
    }
    // SAFETY: as above.
    check(unsafe { libc::prctl(libc::PR_SET_SECUREBITS, LOCKED_SECURE_BITS, 0, 0, 0) })?;
    let header = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let data = [CapData::default(); 2];
    // SAFETY: `header` and `data` have the layout `capset(2)` expects for
    // version 3 (two 32-bit data words), and outlive the call.
    check_long(unsafe { libc::syscall(libc::SYS_capset, &header, data.as_ptr()) }).map(drop)
}

/// `_LINUX_CAPABILITY_VERSION_3` from `<linux/capability.h>`.
const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// `struct __user_cap_header_struct`.
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

/// `struct __user_cap_data_struct`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}
