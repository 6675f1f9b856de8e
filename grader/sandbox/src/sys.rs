//! Thin wrappers over raw system calls, safe to use between `fork` and
//! `exec`.
//!
//! After `fork` in a multi-threaded program, the child may only call
//! async-signal-safe functions: another thread may have held the allocator's
//! lock at the moment of the fork, and that lock is never released in the
//! child. Everything here works on borrowed buffers and file descriptors,
//! never allocates, and reports failures as a bare `errno` (an
//! [`io::Error`] built from an OS code does not allocate either).

use std::ffi::CStr;
use std::io;

/// Turns a `-1` return value into the `errno` that explains it.
pub(crate) fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Same as [`check`] for system calls made through `libc::syscall`, which
/// return a `c_long`.
pub(crate) fn check_long(ret: libc::c_long) -> io::Result<libc::c_long> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Writes `contents` to the file at `path` in one `write` call, as the
/// `/proc/self/{uid_map,gid_map,setgroups}` files require.
pub(crate) fn write_file(path: &CStr, contents: &[u8]) -> io::Result<()> {
    // SAFETY: `path` is a valid NUL-terminated string; the flags ask for a
    // plain write-only descriptor that is closed below.
    let fd = check(unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) })?;
    // SAFETY: `contents` is a valid buffer of the given length and `fd` is
    // open.
    let written = unsafe { libc::write(fd, contents.as_ptr().cast(), contents.len()) };
    let result = if written < 0 {
        Err(io::Error::last_os_error())
    } else if written as usize != contents.len() {
        Err(io::Error::from_raw_os_error(libc::EIO))
    } else {
        Ok(())
    };
    // SAFETY: `fd` was opened above and is closed exactly once.
    unsafe { libc::close(fd) };
    result
}

/// Closes a descriptor opened in the child, ignoring errors (there is
/// nothing useful to do about a failed `close` before `exec`).
pub(crate) fn close(fd: libc::c_int) {
    // SAFETY: the caller owns `fd` and does not use it afterwards.
    unsafe { libc::close(fd) };
}

/// Formats `/proc/self/fd/N` into `buf` without allocating, for bind
/// mounting a directory that was opened before it was hidden.
pub(crate) fn proc_fd_path(buf: &mut [u8; 32], fd: libc::c_int) -> &CStr {
    const PREFIX: &[u8] = b"/proc/self/fd/";
    buf[..PREFIX.len()].copy_from_slice(PREFIX);
    let mut digits = [0u8; 12];
    let mut n = fd.unsigned_abs();
    let mut count = 0;
    loop {
        digits[count] = b'0' + (n % 10) as u8;
        count += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut at = PREFIX.len();
    for digit in digits[..count].iter().rev() {
        buf[at] = *digit;
        at += 1;
    }
    buf[at] = 0;
    match CStr::from_bytes_with_nul(&buf[..=at]) {
        Ok(path) => path,
        Err(_) => c"/proc/self/fd/",
    }
}

/// The symbolic name of an `errno` value, for messages such as
/// "cannot create a network namespace (EPERM)".
pub(crate) fn errno_name(errno: i32) -> &'static str {
    match errno {
        libc::EPERM => "EPERM",
        libc::EACCES => "EACCES",
        libc::ENOENT => "ENOENT",
        libc::ENOSYS => "ENOSYS",
        libc::EINVAL => "EINVAL",
        libc::ENOSPC => "ENOSPC",
        libc::EUSERS => "EUSERS",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::ENOTDIR => "ENOTDIR",
        libc::EBUSY => "EBUSY",
        libc::ENOMEM => "ENOMEM",
        libc::E2BIG => "E2BIG",
        libc::EBADF => "EBADF",
        libc::EEXIST => "EEXIST",
        libc::EROFS => "EROFS",
        _ => "errno",
    }
}

/// The process's effective user id.
pub(crate) fn euid() -> u32 {
    // SAFETY: `geteuid` has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The process's effective group id.
pub(crate) fn egid() -> u32 {
    // SAFETY: `getegid` has no preconditions and cannot fail.
    unsafe { libc::getegid() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_fd_path_formats_the_number() {
        let mut buf = [0u8; 32];
        assert_eq!(proc_fd_path(&mut buf, 0), c"/proc/self/fd/0");
        assert_eq!(proc_fd_path(&mut buf, 1234), c"/proc/self/fd/1234");
        assert_eq!(
            proc_fd_path(&mut buf, i32::MAX),
            c"/proc/self/fd/2147483647"
        );
    }
}
