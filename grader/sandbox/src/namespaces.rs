//! Linux namespaces: a private view of the network and of the mount table.
//!
//! A network namespace starts with one interface, `lo`, and it is down: a
//! process in it reaches no other machine and no service of the host, not
//! even the host's loopback. Bringing `lo` up gives the child a loopback of
//! its own, so a lab that starts a server on 127.0.0.1 and connects to it
//! still works.
//!
//! A mount namespace lets the child see a different file tree. Mounting an
//! empty tmpfs over `/run` or `/tmp` hides the Unix sockets that local
//! services listen on there: with PostgreSQL's `trust` authentication, a
//! reachable socket is a superuser login. The change is private to the
//! child (the tree is made private first, so nothing propagates back to the
//! host). Paths the policy grants that lie under a hidden directory are
//! bind-mounted back on top of the empty tmpfs.
//!
//! An unprivileged user creates these namespaces inside a new user
//! namespace, in which it is root but only over what it owns. Root may also
//! create them directly.
//!
//! Everything that runs in the child is a raw system call on data prepared
//! in the parent: see [`crate::sys`].

use std::ffi::{CStr, CString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::sys::{self, check};

/// The largest number of granted paths that can sit under hidden paths;
/// the child keeps their descriptors in a fixed array because it cannot
/// allocate.
pub(crate) const MAX_BIND_BACKS: usize = 64;

/// The contents written to `/proc/self/{setgroups,uid_map,gid_map}` after
/// entering a new user namespace, formatted in the parent.
#[derive(Debug, Clone)]
pub(crate) struct IdMaps {
    uid_map: Vec<u8>,
    gid_map: Vec<u8>,
}

impl IdMaps {
    /// Maps the caller's effective user and group ids to themselves, so the
    /// child keeps its identity and file ownership reads the same inside.
    pub(crate) fn identity() -> Self {
        Self::new(sys::euid(), sys::egid())
    }

    /// Maps `uid` and `gid` (outside) to the same ids inside.
    pub(crate) fn new(uid: u32, gid: u32) -> Self {
        Self {
            uid_map: format!("{uid} {uid} 1\n").into_bytes(),
            gid_map: format!("{gid} {gid} 1\n").into_bytes(),
        }
    }

    /// Writes the maps for the calling process. `setgroups` is denied
    /// first: the kernel requires it before an unprivileged process may
    /// write a group map, and it keeps the child from changing its groups.
    pub(crate) fn write(&self) -> io::Result<()> {
        sys::write_file(c"/proc/self/setgroups", b"deny")?;
        sys::write_file(c"/proc/self/uid_map", &self.uid_map)?;
        sys::write_file(c"/proc/self/gid_map", &self.gid_map)
    }
}

/// Moves the calling process into the new namespaces named by `flags`
/// (`CLONE_NEWUSER`, `CLONE_NEWNS`, `CLONE_NEWNET`).
pub(crate) fn unshare(flags: libc::c_int) -> io::Result<()> {
    // SAFETY: `unshare` only changes the calling process's namespaces.
    check(unsafe { libc::unshare(flags) }).map(drop)
}

/// Makes every mount in the (new) mount namespace private, so that the
/// tmpfs mounts that follow never propagate to the host's namespace.
pub(crate) fn make_mounts_private() -> io::Result<()> {
    // SAFETY: all pointers are valid NUL-terminated strings or null, as
    // `mount(2)` allows for a propagation change.
    check(unsafe {
        libc::mount(
            c"none".as_ptr(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        )
    })
    .map(drop)
}

/// Mounts an empty, small tmpfs over `target`, hiding what was there.
pub(crate) fn mount_empty_tmpfs(target: &CStr) -> io::Result<()> {
    // SAFETY: all pointers are valid NUL-terminated strings.
    check(unsafe {
        libc::mount(
            c"tmpfs".as_ptr(),
            target.as_ptr(),
            c"tmpfs".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
            c"mode=0755,size=16m".as_ptr().cast(),
        )
    })
    .map(drop)
}

/// Brings the loopback interface of the current network namespace up.
pub(crate) fn loopback_up() -> io::Result<()> {
    // SAFETY: creating a socket has no memory-safety preconditions.
    let fd =
        check(unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) })?;
    let result = set_up_flag(fd);
    sys::close(fd);
    result
}

fn set_up_flag(fd: libc::c_int) -> io::Result<()> {
    // SAFETY: `ifreq` is plain old data; all-zero is a valid value.
    let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
    request.ifr_name[0] = b'l' as libc::c_char;
    request.ifr_name[1] = b'o' as libc::c_char;
    // SAFETY: `request` is a valid `ifreq` with a NUL-terminated name, as
    // SIOCGIFFLAGS expects.
    check(unsafe { libc::ioctl(fd, libc::SIOCGIFFLAGS as _, &mut request) })?;
    // SAFETY: SIOCGIFFLAGS filled the `ifru_flags` member of the union.
    unsafe { request.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short };
    // SAFETY: as above; SIOCSIFFLAGS reads the name and the flags.
    check(unsafe { libc::ioctl(fd, libc::SIOCSIFFLAGS as _, &request) }).map(drop)
}

/// Changes to the current working directory again by path.
///
/// `Command` changes directory before the sandbox is entered, so the
/// working directory still points into the tree as it was before the
/// tmpfs mounts; `..` from there would reach what the mounts hide.
/// Resolving the same path again lands in the new view.
pub(crate) fn reenter_working_directory() -> io::Result<()> {
    let mut buf = [0u8; libc::PATH_MAX as usize];
    // SAFETY: `buf` is writable for its whole length; the raw system call
    // writes a NUL-terminated path into it.
    let ret = unsafe { libc::syscall(libc::SYS_getcwd, buf.as_mut_ptr(), buf.len()) };
    sys::check_long(ret)?;
    if buf[0] != b'/' {
        // "(unreachable)": the directory is outside the process's root.
        return Err(io::Error::from_raw_os_error(libc::ENOENT));
    }
    // SAFETY: the kernel wrote a NUL-terminated path into `buf`.
    check(unsafe { libc::chdir(buf.as_ptr().cast()) }).map(drop)
}

/// One mount made in the child, in order.
#[derive(Debug)]
enum MountStep {
    /// Cover a hidden directory with an empty tmpfs, if it is visible at
    /// that point (a hidden directory inside another one is visible again
    /// only when a granted path brought it back).
    Cover { target: CString },
    /// Mount a granted path back, from the descriptor opened at the start.
    BindBack {
        /// Index of the descriptor in [`HidingPlan::sources`].
        source: usize,
        /// The path, canonical: the target is where the source was.
        path: CString,
        /// Directories to create so that the mount point exists, outermost
        /// first (`EEXIST` is expected for those that are visible).
        mkdirs: Vec<CString>,
        /// Whether it is a directory (else an empty file is the mount
        /// point).
        is_dir: bool,
    },
}

/// The mounts that hide directories and bring granted paths back.
///
/// Steps are sorted by path, so a directory is always handled before what
/// lies under it: covering `/tmp`, then mounting `/tmp/course` back, then
/// covering `/tmp/course/hidden` (visible again through the mount back),
/// then mounting `/tmp/course/hidden/work` back.
#[derive(Debug, Default)]
pub(crate) struct HidingPlan {
    /// The hidden directories that exist, canonical.
    pub(crate) hidden: Vec<PathBuf>,
    /// The granted paths to mount back, opened in the child before any
    /// tmpfs covers them.
    sources: Vec<CString>,
    steps: Vec<MountStep>,
}

impl HidingPlan {
    /// Whether there is nothing to hide.
    pub(crate) fn is_empty(&self) -> bool {
        self.hidden.is_empty()
    }
}

/// Plans the hidden paths: canonical, existing directories only, each
/// granted path under one of them mounted back.
///
/// A missing hidden path is skipped (there is nothing to hide). A path
/// both granted and hidden, a hidden path that is not a directory, and the
/// root directory are errors.
pub(crate) fn plan_hidden(hidden: &[PathBuf], granted: &[PathBuf]) -> io::Result<HidingPlan> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for path in hidden {
        let canonical = match path.canonicalize() {
            Ok(canonical) => canonical,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("cannot resolve hidden path {}: {e}", path.display()),
                ));
            }
        };
        if !canonical.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "hidden path {} is not a directory: only directories can be covered with an empty tmpfs",
                    path.display()
                ),
            ));
        }
        if canonical == Path::new("/") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the root directory cannot be hidden: hide the directories under it instead",
            ));
        }
        if granted.contains(&canonical) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} is both granted and hidden: remove it from one of the two lists",
                    canonical.display()
                ),
            ));
        }
        dirs.push(canonical);
    }
    dirs.sort();
    dirs.dedup();

    let mut under: Vec<&PathBuf> = granted
        .iter()
        .filter(|path| dirs.iter().any(|dir| path.starts_with(dir)))
        .collect();
    under.sort();
    under.dedup();
    if under.len() > MAX_BIND_BACKS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} granted paths lie under hidden directories, more than the {MAX_BIND_BACKS} supported: grant a common parent directory instead",
                under.len()
            ),
        ));
    }

    // Sorting by path puts each directory before everything under it.
    let mut ordered: Vec<(&PathBuf, bool)> = dirs
        .iter()
        .map(|dir| (dir, true))
        .chain(under.iter().map(|path| (*path, false)))
        .collect();
    ordered.sort();

    let mut plan = HidingPlan::default();
    for (path, is_hidden) in ordered {
        if is_hidden {
            plan.steps.push(MountStep::Cover {
                target: c_path(path)?,
            });
            continue;
        }
        let is_dir = path.is_dir();
        // Create every component below the outermost hidden directory; the
        // ones that are visible already just give EEXIST.
        let outermost = dirs
            .iter()
            .find(|dir| path.starts_with(dir))
            .map_or(Path::new("/"), |dir| dir.as_path());
        let mut mkdirs = Vec::new();
        let mut current = outermost.to_path_buf();
        let components: Vec<_> = path
            .strip_prefix(outermost)
            .unwrap_or(path)
            .components()
            .collect();
        let keep = if is_dir {
            components.len()
        } else {
            components.len().saturating_sub(1)
        };
        for component in &components[..keep] {
            current.push(component);
            mkdirs.push(c_path(&current)?);
        }
        plan.steps.push(MountStep::BindBack {
            source: plan.sources.len(),
            path: c_path(path)?,
            mkdirs,
            is_dir,
        });
        plan.sources.push(c_path(path)?);
    }
    plan.hidden = dirs;
    Ok(plan)
}

/// Converts a path to the NUL-terminated form system calls take.
pub(crate) fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("path {} contains a NUL byte", path.display()),
        )
    })
}

/// Carries out `plan`. Runs in the child, inside a fresh mount namespace
/// whose mounts are already private.
pub(crate) fn hide(plan: &HidingPlan) -> io::Result<()> {
    let mut fds = [-1 as libc::c_int; MAX_BIND_BACKS];
    let result = hide_with(plan, &mut fds);
    for fd in fds.iter().copied().filter(|fd| *fd >= 0) {
        sys::close(fd);
    }
    result
}

fn exists(path: &CStr) -> bool {
    // SAFETY: `path` is a valid NUL-terminated string.
    unsafe { libc::access(path.as_ptr(), libc::F_OK) == 0 }
}

fn hide_with(plan: &HidingPlan, fds: &mut [libc::c_int; MAX_BIND_BACKS]) -> io::Result<()> {
    // Open what must come back before anything disappears under a tmpfs.
    for (slot, source) in fds.iter_mut().zip(&plan.sources) {
        // SAFETY: `source` is a valid NUL-terminated string.
        *slot = check(unsafe { libc::open(source.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) })?;
    }
    for step in &plan.steps {
        match step {
            MountStep::Cover { target } => {
                if exists(target) {
                    mount_empty_tmpfs(target)?;
                }
            }
            MountStep::BindBack {
                source,
                path,
                mkdirs,
                is_dir,
            } => {
                for dir in mkdirs {
                    // SAFETY: `dir` is a valid NUL-terminated string.
                    let ret = unsafe { libc::mkdir(dir.as_ptr(), 0o755) };
                    if ret == -1 && io::Error::last_os_error().raw_os_error() != Some(libc::EEXIST)
                    {
                        return Err(io::Error::last_os_error());
                    }
                }
                if !is_dir && !exists(path) {
                    // SAFETY: valid path; the new empty file in the tmpfs is
                    // only a mount point.
                    let file = check(unsafe {
                        libc::open(
                            path.as_ptr(),
                            libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY | libc::O_CLOEXEC,
                            0o644,
                        )
                    })?;
                    sys::close(file);
                }
                let mut buf = [0u8; 32];
                let from = sys::proc_fd_path(&mut buf, fds[*source]);
                // SAFETY: valid NUL-terminated strings; a bind mount ignores
                // the file system type and data.
                check(unsafe {
                    libc::mount(
                        from.as_ptr(),
                        path.as_ptr(),
                        std::ptr::null(),
                        libc::MS_BIND | libc::MS_REC,
                        std::ptr::null(),
                    )
                })?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_orders_covers_and_mounts_back_by_path() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path().canonicalize().unwrap();
        let outer = root.join("run");
        let course = outer.join("course");
        let inner = course.join("hidden");
        let work = inner.join("work");
        std::fs::create_dir_all(&work).unwrap();

        let plan = plan_hidden(
            &[inner.clone(), outer.clone(), root.join("missing")],
            &[work.clone(), course.clone()],
        )
        .unwrap();
        assert_eq!(plan.hidden, vec![outer.clone(), inner.clone()]);
        let order: Vec<String> = plan
            .steps
            .iter()
            .map(|step| match step {
                MountStep::Cover { target } => format!("cover {}", target.to_string_lossy()),
                MountStep::BindBack { path, .. } => format!("back {}", path.to_string_lossy()),
            })
            .collect();
        let show = |p: &Path| p.display().to_string();
        assert_eq!(
            order,
            [
                format!("cover {}", show(&outer)),
                format!("back {}", show(&course)),
                format!("cover {}", show(&inner)),
                format!("back {}", show(&work)),
            ]
        );
        let MountStep::BindBack { mkdirs, is_dir, .. } = &plan.steps[3] else {
            panic!("{:?}", plan.steps[3]);
        };
        assert!(*is_dir);
        assert_eq!(
            mkdirs.len(),
            3,
            "course, hidden, work below run: {mkdirs:?}"
        );
    }

    #[test]
    fn plan_refuses_a_path_both_granted_and_hidden() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().canonicalize().unwrap();
        let err = plan_hidden(std::slice::from_ref(&dir), std::slice::from_ref(&dir)).unwrap_err();
        assert!(err.to_string().contains("both granted and hidden"), "{err}");
    }
}
