//! File paths from a model: stay inside the allowed roots.
//!
//! A string test such as "contains `..`" or "starts with `/srv/logs`" is
//! wrong both ways: it refuses `app..v2.log` and accepts `/srv/logs_evil`
//! and any symlink that points out of the root. The policy here compares
//! real locations: roots are canonicalized once, each request is resolved
//! with symlinks followed, and containment is checked component by
//! component with [`Path::starts_with`].

use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};

// ANCHOR: types
/// Why a path was refused, or why a policy could not be built.
#[derive(Debug)]
pub enum PathError {
    /// The policy was given no roots: it would refuse everything.
    NoRoots,
    /// A root does not exist or cannot be resolved.
    RootUnavailable {
        /// The root as configured.
        root: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// A root exists but is not a directory.
    RootNotADirectory(PathBuf),
    /// The requested path is empty.
    Empty,
    /// The requested path holds a NUL byte, which no real path can.
    ContainsNul,
    /// Neither the path nor its parent directory exists.
    NotFound(String),
    /// The path is a symlink whose target does not exist.
    DanglingSymlink(String),
    /// The path resolves to a place outside every root.
    OutsideRoots(String),
    /// The path could not be resolved for another reason.
    Io {
        /// The path as requested.
        path: String,
        /// What the operating system said.
        source: io::Error,
    },
}

impl PathError {
    /// A stable short code for the error, for logs, metrics and graders.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoRoots => "no_roots",
            Self::RootUnavailable { .. } => "root_unavailable",
            Self::RootNotADirectory(_) => "root_not_a_directory",
            Self::Empty => "empty",
            Self::ContainsNul => "contains_nul",
            Self::NotFound(_) => "not_found",
            Self::DanglingSymlink(_) => "dangling_symlink",
            Self::OutsideRoots(_) => "outside_roots",
            Self::Io { .. } => "io",
        }
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoRoots => {
                f.write_str("no allowed roots were configured; give at least one directory")
            }
            Self::RootUnavailable { root, source } => write!(
                f,
                "allowed root {} cannot be used ({source}); create it or fix the configuration",
                root.display()
            ),
            Self::RootNotADirectory(root) => {
                write!(f, "allowed root {} is not a directory", root.display())
            }
            Self::Empty => f.write_str("the path is empty; give a file inside an allowed root"),
            Self::ContainsNul => f.write_str("the path contains a NUL byte"),
            Self::NotFound(p) => write!(f, "{p} does not exist, nor does its parent directory"),
            Self::DanglingSymlink(p) => {
                write!(f, "{p} is a symlink to nothing; refusing to follow it")
            }
            Self::OutsideRoots(p) => {
                write!(
                    f,
                    "{p} is outside the allowed directories; ask for a file inside them"
                )
            }
            Self::Io { path, source } => write!(f, "{path} cannot be resolved: {source}"),
        }
    }
}

impl std::error::Error for PathError {}

/// The directories a tool may read from, resolved once.
#[derive(Debug, Clone)]
pub struct PathPolicy {
    roots: Vec<PathBuf>,
}
// ANCHOR_END: types

impl PathPolicy {
    // ANCHOR: policy_new
    /// Builds a policy over `roots`, canonicalizing each one now.
    ///
    /// Fails if there is no root, or a root is missing or not a directory:
    /// a misconfigured policy must fail at start-up, not per request.
    pub fn new<I, P>(roots: I) -> Result<Self, PathError>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<Path>,
    {
        // LAB: todo("PathPolicy::new")
        // TODO: Canonicalize each root (`Path::canonicalize`), refusing a missing root and a root
        //       that is not a directory.
        // TODO: An empty list of roots is `PathError::NoRoots`.
        let mut resolved = Vec::new();
        for root in roots {
            let root = root.as_ref();
            let real = root
                .canonicalize()
                .map_err(|source| PathError::RootUnavailable {
                    root: root.to_path_buf(),
                    source,
                })?;
            if !real.is_dir() {
                return Err(PathError::RootNotADirectory(root.to_path_buf()));
            }
            resolved.push(real);
        }
        if resolved.is_empty() {
            return Err(PathError::NoRoots);
        }
        Ok(Self { roots: resolved })
        // LAB: end
    }
    // ANCHOR_END: policy_new

    /// The canonical roots, in the order given.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    // ANCHOR: policy_resolve
    /// Resolves `requested` to a real path inside one of the roots.
    ///
    /// A relative path is taken relative to the first root. Symlinks are
    /// followed; when the file does not exist yet, its parent directory is
    /// resolved instead and the file name joined back.
    pub fn resolve(&self, requested: &str) -> Result<PathBuf, PathError> {
        // LAB: todo("PathPolicy::resolve")
        // TODO: Refuse an empty path and a path containing a NUL byte.
        // TODO: Join the request to the first root (an absolute request replaces it) and
        //       canonicalize it.
        // TODO: If it does not exist: refuse a dangling symlink (`symlink_metadata` succeeds), else
        //       canonicalize the parent and join the file name back.
        // TODO: Accept only if the real path `starts_with` one of the roots (component-wise, not
        //       string-wise).
        if requested.is_empty() {
            return Err(PathError::Empty);
        }
        if requested.contains('\0') {
            return Err(PathError::ContainsNul);
        }
        let path = self.roots[0].join(requested);
        let real = match path.canonicalize() {
            Ok(real) => real,
            Err(e) if e.kind() == io::ErrorKind::NotFound => resolve_missing(&path, requested)?,
            Err(source) => {
                return Err(PathError::Io {
                    path: requested.to_owned(),
                    source,
                });
            }
        };
        if self.roots.iter().any(|root| real.starts_with(root)) {
            Ok(real)
        } else {
            Err(PathError::OutsideRoots(requested.to_owned()))
        }
        // LAB: end
    }
    // ANCHOR_END: policy_resolve
}
// LAB: solution

/// Resolves a path whose last component does not exist: resolve the parent,
/// join the file name back.
fn resolve_missing(path: &Path, requested: &str) -> Result<PathBuf, PathError> {
    if path.symlink_metadata().is_ok() {
        // The name exists but cannot be followed: a symlink to nowhere,
        // which a later write would follow out of the root.
        return Err(PathError::DanglingSymlink(requested.to_owned()));
    }
    let (Some(parent), Some(Component::Normal(name))) =
        (path.parent(), path.components().next_back())
    else {
        return Err(PathError::NotFound(requested.to_owned()));
    };
    match parent.canonicalize() {
        Ok(real_parent) => Ok(real_parent.join(name)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Err(PathError::NotFound(requested.to_owned()))
        }
        Err(source) => Err(PathError::Io {
            path: requested.to_owned(),
            source,
        }),
    }
}
// LAB: end
