//! Preparing a sandbox in the parent, entering it in the child.
//!
//! Between `fork` and `exec` a child of a multi-threaded program may not
//! allocate, take locks or build error messages (see [`crate::sys`]). So
//! everything that needs them happens first, in the parent, in
//! [`Prepared::new`]: resolving the policy's paths, building the Landlock
//! ruleset, formatting the id maps, planning the tmpfs mounts, deciding
//! which layers this machine allows. [`Prepared::enter`], run in the child
//! through `CommandExt::pre_exec`, then only makes raw system calls, in an
//! order that matters:
//!
//! 1. `unshare` the user, mount and network namespaces (one call);
//! 2. write the id maps, so the child keeps its uid and gid;
//! 3. make every mount private, cover the hidden paths with an empty
//!    tmpfs, mount the granted paths under them back, and resolve the
//!    working directory again in the new view;
//! 4. bring the loopback up;
//! 5. set `no_new_privs` and drop every capability;
//! 6. restrict the process with Landlock, last, because a Landlock domain
//!    forbids mounting.
//!
//! A failure in the child reaches the parent as a bare `errno`;
//! [`Prepared::explain`] turns it back into a sentence, using a shared page
//! where the child records which step it was taking.

use std::fmt;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::elf;
use crate::landlock::{self, Grants};
use crate::namespaces::{self, HidingPlan, IdMaps};
use crate::policy::{Network, Policy};
use crate::privileges;
use crate::probe::{Availability, Capabilities, Reason, probe};
use crate::report::{Layer, LayerState, LayerStatus, ProtectionReport};

/// A sandbox ready to enter: built in the parent from a [`Policy`] and the
/// machine's [`Capabilities`], entered in the child with
/// [`Prepared::enter`]. One `Prepared` can serve any number of children.
pub struct Prepared {
    ruleset: Option<OwnedFd>,
    unshare_flags: libc::c_int,
    user_namespace: bool,
    id_maps: IdMaps,
    hidden: HidingPlan,
    loopback: bool,
    drop_capabilities: bool,
    progress: Progress,
    report: ProtectionReport,
}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prepared")
            .field("report", &self.report.summary())
            .field("hidden", &self.hidden)
            .finish_non_exhaustive()
    }
}

impl Prepared {
    /// Prepares `policy` with the layers `capabilities` says this machine
    /// allows; each unavailable layer is skipped and reported.
    ///
    /// Fails when a policy path does not exist, when the Landlock ruleset
    /// cannot be built, or, for a strict policy, when any layer the policy
    /// asks for is unavailable.
    pub fn new(policy: &Policy, capabilities: &Capabilities) -> io::Result<Self> {
        let grants = resolve_grants(policy)?;
        let granted: Vec<PathBuf> = grants
            .read_only
            .iter()
            .chain(&grants.list_only)
            .chain(&grants.read_write)
            .chain(&grants.executables)
            .chain(&grants.unix_socket_dirs)
            .cloned()
            .collect();
        let hidden = namespaces::plan_hidden(&policy.hidden, &granted)?;

        let mut layers = Vec::new();
        let mut push = |layer, state| layers.push(LayerStatus { layer, state });

        // Landlock.
        let abi = capabilities.landlock_abi;
        let (ruleset, coverage) = match &capabilities.landlock {
            Availability::Available if abi > 0 => {
                let (fd, coverage) = landlock::build_ruleset(abi, &grants, &policy.network)?;
                push(Layer::Landlock, LayerState::Active);
                (Some(fd), Some(coverage))
            }
            availability => {
                let reason = availability
                    .reason()
                    .cloned()
                    .unwrap_or_else(|| Reason::new("ABI 0", "the kernel reports no Landlock ABI"));
                push(Layer::Landlock, LayerState::Unavailable(reason));
                (None, None)
            }
        };
        let tcp_state = match (&policy.network, coverage) {
            (Network::TcpPorts { .. }, Some(coverage)) if coverage.tcp => LayerState::Active,
            (Network::TcpPorts { .. }, Some(_)) => LayerState::Unavailable(Reason::new(
                format!("needs landlock ABI {}", landlock::ABI_TCP),
                format!(
                    "TCP port rules need Landlock ABI {} (Linux 6.7); this kernel has ABI {abi}; grading continues with unrestricted TCP",
                    landlock::ABI_TCP
                ),
            )),
            (Network::TcpPorts { .. }, None) => {
                LayerState::Unavailable(
                    capabilities.landlock.reason().cloned().unwrap_or_else(|| {
                        Reason::new("no landlock", "TCP port rules need Landlock")
                    }),
                )
            }
            _ => LayerState::NotRequested,
        };
        push(Layer::LandlockTcp, tcp_state);

        // Namespaces: through a user namespace when there is one, else
        // directly, which only root may do.
        let direct = capabilities.root;
        let via_user = capabilities.user_namespace.is_available();
        let namespace_state = |wanted: bool, availability: &Availability| {
            if !wanted {
                return LayerState::NotRequested;
            }
            match availability {
                Availability::Available if via_user || direct => LayerState::Active,
                Availability::Available => LayerState::Unavailable(
                    capabilities
                        .user_namespace
                        .reason()
                        .cloned()
                        .unwrap_or_else(|| {
                            Reason::new("needs a user namespace", "a non-root caller needs one")
                        }),
                ),
                Availability::Unavailable(reason) => LayerState::Unavailable(reason.clone()),
            }
        };
        let network_state = namespace_state(
            policy.network == Network::Isolated,
            &capabilities.network_namespace,
        );
        let mount_state = namespace_state(!hidden.is_empty(), &capabilities.mount_namespace);
        let loopback = network_state == LayerState::Active;
        let mounts = mount_state == LayerState::Active;
        let user_namespace = (loopback || mounts) && via_user;
        push(Layer::NetworkNamespace, network_state);
        push(Layer::MountNamespace, mount_state);
        push(
            Layer::UserNamespace,
            if user_namespace {
                LayerState::Active
            } else {
                LayerState::NotRequested
            },
        );
        push(Layer::NoNewPrivileges, LayerState::Active);

        // A child that is root, really or in its own user namespace, has
        // capabilities to give up.
        let drop_state = if user_namespace || capabilities.root {
            match &capabilities.capability_drop {
                Availability::Available => LayerState::Active,
                Availability::Unavailable(reason) => LayerState::Unavailable(reason.clone()),
            }
        } else {
            LayerState::NotRequested
        };
        let drop_capabilities = drop_state == LayerState::Active;
        push(Layer::CapabilityDrop, drop_state);

        let mut unshare_flags = 0;
        if user_namespace {
            unshare_flags |= libc::CLONE_NEWUSER;
        }
        if loopback {
            unshare_flags |= libc::CLONE_NEWNET;
        }
        if mounts {
            unshare_flags |= libc::CLONE_NEWNS;
        }

        let report = ProtectionReport {
            landlock_abi: if ruleset.is_some() { abi } else { 0 },
            landlock_scopes: coverage.is_some_and(|c| c.scopes),
            layers,
            hidden: if mounts {
                hidden.hidden.clone()
            } else {
                Vec::new()
            },
        };
        if policy.strict {
            report.require_complete()?;
        }
        Ok(Self {
            ruleset,
            unshare_flags,
            user_namespace,
            id_maps: IdMaps::identity(),
            hidden: if mounts {
                hidden
            } else {
                HidingPlan::default()
            },
            loopback,
            drop_capabilities,
            progress: Progress::new()?,
            report,
        })
    }

    /// Enters the sandbox: the calling process (and all it starts later)
    /// is restricted for good.
    ///
    /// Only raw system calls on data prepared in [`Prepared::new`]: no
    /// allocation, no locks, so it is fit for `pre_exec`. On failure, pass
    /// the error that `spawn` returns to [`Prepared::explain`].
    ///
    /// # Safety
    ///
    /// The calling process must have a single thread: the forked child
    /// inside `pre_exec`, or a process that has not started any thread
    /// (`unshare` of a user namespace refuses a multi-threaded process, and
    /// Landlock restricts only the calling thread). Nothing may rely on the
    /// process's namespaces, capabilities or file access staying as they
    /// were.
    pub unsafe fn enter(&self) -> io::Result<()> {
        let progress = &self.progress;
        if self.unshare_flags != 0 {
            progress.set(Step::Unshare);
            namespaces::unshare(self.unshare_flags)?;
        }
        if self.user_namespace {
            progress.set(Step::IdMaps);
            self.id_maps.write()?;
        }
        if !self.hidden.is_empty() {
            progress.set(Step::PrivateMounts);
            namespaces::make_mounts_private()?;
            progress.set(Step::Hide);
            namespaces::hide(&self.hidden)?;
            progress.set(Step::WorkingDirectory);
            namespaces::reenter_working_directory()?;
        }
        if self.loopback {
            progress.set(Step::Loopback);
            namespaces::loopback_up()?;
        }
        progress.set(Step::NoNewPrivileges);
        privileges::set_no_new_privs()?;
        if self.drop_capabilities {
            progress.set(Step::DropCapabilities);
            privileges::drop_capabilities()?;
        }
        if let Some(ruleset) = &self.ruleset {
            progress.set(Step::Landlock);
            landlock::restrict_self(ruleset)?;
        }
        progress.set(Step::Done);
        Ok(())
    }

    /// Makes `command` enter this sandbox in its child, before `exec`.
    ///
    /// For a `tokio::process::Command`, do the same by hand:
    /// `unsafe { command.pre_exec(move || prepared.enter()) }` with a clone
    /// of the `Arc`.
    pub fn configure(self: &Arc<Self>, command: &mut Command) {
        let prepared = Arc::clone(self);
        // SAFETY: `enter` only makes async-signal-safe system calls on data
        // prepared in the parent, and the forked child has a single thread.
        unsafe {
            command.pre_exec(move || prepared.enter());
        }
    }

    /// Turns the bare `errno` a failed `spawn` returns into a sentence that
    /// says which step of entering the sandbox failed and what to do.
    /// Errors that did not come from the sandbox are returned unchanged.
    pub fn explain(&self, error: io::Error) -> io::Error {
        let Some(step) = self.progress.get() else {
            return error;
        };
        if step == Step::Done {
            let refused = matches!(error.raw_os_error(), Some(libc::EACCES | libc::EPERM));
            if refused && self.ruleset.is_some() {
                return io::Error::new(
                    error.kind(),
                    format!(
                        "the sandbox was entered but executing the program was refused ({error}): allow it with Policy::executable, and its interpreter if it is a script"
                    ),
                );
            }
            return error;
        }
        io::Error::new(
            error.kind(),
            format!(
                "entering the sandbox failed while {} ({error}): {}",
                step.doing(),
                step.advice()
            ),
        )
    }

    /// Which layers this sandbox enforces.
    pub fn report(&self) -> &ProtectionReport {
        &self.report
    }

    /// The one-line summary for a report (see [`ProtectionReport::summary`]).
    pub fn summary(&self) -> String {
        self.report.summary()
    }
}

/// Applies `policy` to the calling process, for a short-lived wrapper
/// that then `exec`s the program to confine.
///
/// Probes the machine, prepares the policy and enters it. The process must
/// not have started any thread: the call fails if it has.
pub fn restrict_self(policy: &Policy) -> io::Result<ProtectionReport> {
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        let threads = tasks.count();
        if threads > 1 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "restrict_self needs a single-threaded process, and this one has {threads} threads: call it before starting any thread, or use Prepared::configure on a child process instead"
                ),
            ));
        }
    }
    let prepared = Prepared::new(policy, &probe())?;
    // SAFETY: the process was just checked to have a single thread.
    unsafe { prepared.enter() }.map_err(|e| prepared.explain(e))?;
    Ok(prepared.report.clone())
}

/// Resolves every path of the policy to the existing file it names, adding
/// the dynamic loader of each executable.
fn resolve_grants(policy: &Policy) -> io::Result<Grants> {
    let resolve = |paths: &[PathBuf]| -> io::Result<Vec<PathBuf>> {
        paths.iter().map(|path| canonical(path)).collect()
    };
    let mut executables = resolve(&policy.executables)?;
    let mut loaders = Vec::new();
    for program in &executables {
        if let Some(loader) = elf::interpreter(program)? {
            loaders.push(canonical(&loader)?);
        }
    }
    executables.extend(loaders);
    executables.sort();
    executables.dedup();
    Ok(Grants {
        read_only: resolve(&policy.read_only)?,
        list_only: resolve(&policy.list_only)?,
        read_write: resolve(&policy.read_write)?,
        executables,
        unix_socket_dirs: resolve(&policy.unix_socket_dirs)?,
    })
}

fn canonical(path: &Path) -> io::Result<PathBuf> {
    path.canonicalize().map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "the sandbox policy names {}, which cannot be resolved ({e}): create it or remove it from the policy",
                path.display()
            ),
        )
    })
}

/// The steps of [`Prepared::enter`], recorded so that a failure can be
/// explained in the parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
enum Step {
    Unshare = 1,
    IdMaps,
    PrivateMounts,
    Hide,
    WorkingDirectory,
    Loopback,
    NoNewPrivileges,
    DropCapabilities,
    Landlock,
    Done,
}

impl Step {
    const ALL: [Step; 10] = [
        Step::Unshare,
        Step::IdMaps,
        Step::PrivateMounts,
        Step::Hide,
        Step::WorkingDirectory,
        Step::Loopback,
        Step::NoNewPrivileges,
        Step::DropCapabilities,
        Step::Landlock,
        Step::Done,
    ];

    fn doing(self) -> &'static str {
        match self {
            Step::Unshare => "creating the namespaces",
            Step::IdMaps => "writing the user namespace's id maps",
            Step::PrivateMounts => "making the mounts private",
            Step::Hide => "covering the hidden paths with tmpfs",
            Step::WorkingDirectory => "entering the working directory again",
            Step::Loopback => "bringing the loopback interface up",
            Step::NoNewPrivileges => "setting no_new_privs",
            Step::DropCapabilities => "dropping capabilities",
            Step::Landlock => "applying the Landlock ruleset",
            Step::Done => "done",
        }
    }

    fn advice(self) -> &'static str {
        match self {
            Step::Unshare | Step::IdMaps | Step::PrivateMounts | Step::Loopback => {
                "probe() found this working, so a limit may have been reached since (max_user_namespaces?); probe again and prepare a new sandbox"
            }
            Step::Hide => {
                "a hidden path or a granted path under it changed since the sandbox was prepared; prepare it again"
            }
            Step::WorkingDirectory => {
                "the child's working directory is under a hidden path: set it to a granted directory"
            }
            Step::NoNewPrivileges | Step::DropCapabilities => {
                "the process lacks a capability it had when probed; probe again"
            }
            Step::Landlock => {
                "a process can be nested in at most 16 Landlock domains (E2BIG), and needs no_new_privs (EPERM)"
            }
            Step::Done => "",
        }
    }
}

/// One 32-bit cell in memory shared with forked children, where
/// [`Prepared::enter`] records its current step.
struct Progress {
    cell: NonNull<AtomicU32>,
}

// SAFETY: the cell is an atomic in a mapping that lives as long as
// `Progress`; every access goes through atomic operations.
unsafe impl Send for Progress {}
// SAFETY: as above.
unsafe impl Sync for Progress {}

const PAGE: usize = 4096;

impl Progress {
    fn new() -> io::Result<Self> {
        // SAFETY: an anonymous shared mapping with no address hint; the
        // result is checked before use.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                PAGE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let cell = NonNull::new(ptr.cast::<AtomicU32>())
            .ok_or_else(|| io::Error::other("mmap returned a null pointer"))?;
        Ok(Self { cell })
    }

    fn atomic(&self) -> &AtomicU32 {
        // SAFETY: the mapping is page-aligned, zero-filled (a valid
        // `AtomicU32`) and unmapped only in `drop`.
        unsafe { self.cell.as_ref() }
    }

    fn set(&self, step: Step) {
        self.atomic().store(step as u32, Ordering::SeqCst);
    }

    fn get(&self) -> Option<Step> {
        let value = self.atomic().load(Ordering::SeqCst);
        Step::ALL.into_iter().find(|step| *step as u32 == value)
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // SAFETY: the mapping was created in `new` with this size and is not
        // used after this point.
        unsafe { libc::munmap(self.cell.as_ptr().cast(), PAGE) };
    }
}
