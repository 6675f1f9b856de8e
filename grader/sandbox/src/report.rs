//! Saying which protections are in force, and which are not and why.
//!
//! A grading report that says "sandboxed" when half the layers were
//! missing would mislead its reader. [`ProtectionReport`] lists each layer
//! the policy asked for as active, not requested, or unavailable with a
//! reason, and renders the one line a report shows, e.g.
//! `sandbox: landlock ABI 7 (files, scopes), network namespace, mount namespace`.
//! Strict mode turns any unavailable layer into an error.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::probe::Reason;

/// One protection layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Landlock file-system rules (and scopes on ABI 6 and later).
    Landlock,
    /// Landlock TCP port rules, for [`crate::Network::TcpPorts`].
    LandlockTcp,
    /// A private network namespace, for [`crate::Network::Isolated`].
    NetworkNamespace,
    /// A private mount namespace with the hidden paths covered.
    MountNamespace,
    /// A user namespace: the means by which a non-root caller creates the
    /// other namespaces, not a protection by itself.
    UserNamespace,
    /// `no_new_privs`: no privilege gained through `exec`.
    NoNewPrivileges,
    /// All capabilities dropped, for a child that would be root.
    CapabilityDrop,
}

impl Layer {
    /// The layer's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Landlock => "landlock",
            Layer::LandlockTcp => "landlock tcp rules",
            Layer::NetworkNamespace => "network namespace",
            Layer::MountNamespace => "mount namespace",
            Layer::UserNamespace => "user namespace",
            Layer::NoNewPrivileges => "no_new_privs",
            Layer::CapabilityDrop => "capability drop",
        }
    }

    fn is_namespace(self) -> bool {
        matches!(
            self,
            Layer::NetworkNamespace | Layer::MountNamespace | Layer::UserNamespace
        )
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a layer is in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerState {
    /// Enforced on the sandboxed process.
    Active,
    /// The policy does not ask for it.
    NotRequested,
    /// Asked for, but this machine does not allow it.
    Unavailable(Reason),
}

/// One layer and its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerStatus {
    /// The layer.
    pub layer: Layer,
    /// Its state.
    pub state: LayerState,
}

/// Which protections a prepared sandbox enforces, for the grader's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectionReport {
    /// The Landlock ABI the ruleset was built for (0 without Landlock).
    pub landlock_abi: u32,
    /// Whether Landlock also scopes abstract Unix sockets and signals.
    pub landlock_scopes: bool,
    /// Every layer, in a fixed order.
    pub layers: Vec<LayerStatus>,
    /// The directories covered with an empty tmpfs (empty when the mount
    /// namespace is not active).
    pub hidden: Vec<PathBuf>,
}

impl ProtectionReport {
    /// The state of `layer` (not requested when it is not listed).
    pub fn state(&self, layer: Layer) -> &LayerState {
        self.layers
            .iter()
            .find(|status| status.layer == layer)
            .map_or(&LayerState::NotRequested, |status| &status.state)
    }

    /// Whether `layer` is enforced.
    pub fn is_active(&self, layer: Layer) -> bool {
        *self.state(layer) == LayerState::Active
    }

    /// The layers asked for but unavailable, with their reasons.
    pub fn missing(&self) -> impl Iterator<Item = (Layer, &Reason)> {
        self.layers.iter().filter_map(|status| match &status.state {
            LayerState::Unavailable(reason) => Some((status.layer, reason)),
            _ => None,
        })
    }

    /// Whether every layer asked for is enforced.
    pub fn is_complete(&self) -> bool {
        self.missing().next().is_none()
    }

    /// Strict mode: an error naming each missing layer, why it is missing
    /// and what to do, or `Ok` when nothing is missing.
    pub fn require_complete(&self) -> io::Result<()> {
        if self.is_complete() {
            return Ok(());
        }
        let missing: Vec<String> = self
            .missing()
            .map(|(layer, reason)| format!("{layer}: {}", reason.advice))
            .collect();
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!(
                "the sandbox is incomplete and strict mode requires every layer the policy asks for; missing: {}. Fix the machine as said, or run without strict mode to grade with fewer protections",
                missing.join("; ")
            ),
        ))
    }

    /// The one-line summary, e.g.
    /// `sandbox: landlock ABI 7 (files, scopes), network namespace, mount namespace`
    /// or `sandbox: none (landlock: not supported by this kernel; namespaces: operation not permitted)`.
    pub fn summary(&self) -> String {
        let mut active = Vec::new();
        if self.is_active(Layer::Landlock) {
            let mut parts = vec!["files"];
            if self.is_active(Layer::LandlockTcp) {
                parts.push("tcp");
            }
            if self.landlock_scopes {
                parts.push("scopes");
            }
            active.push(format!(
                "landlock ABI {} ({})",
                self.landlock_abi,
                parts.join(", ")
            ));
        }
        for layer in [Layer::NetworkNamespace, Layer::MountNamespace] {
            if self.is_active(layer) {
                active.push(layer.name().to_string());
            }
        }
        if self.is_active(Layer::CapabilityDrop) {
            active.push("no capabilities".to_string());
        }

        // Group the missing layers that share a reason.
        let mut groups: Vec<(Vec<Layer>, &str)> = Vec::new();
        for (layer, reason) in self.missing() {
            match groups.iter_mut().find(|(_, short)| *short == reason.short) {
                Some((layers, _)) => layers.push(layer),
                None => groups.push((vec![layer], &reason.short)),
            }
        }
        let missing: Vec<String> = groups
            .iter()
            .map(|(layers, short)| {
                let label = if layers.len() > 1 && layers.iter().all(|l| l.is_namespace()) {
                    "namespaces".to_string()
                } else {
                    layers
                        .iter()
                        .map(|l| l.name())
                        .collect::<Vec<_>>()
                        .join(" and ")
                };
                format!("{label}: {short}")
            })
            .collect();

        match (active.is_empty(), missing.is_empty()) {
            (true, true) => "sandbox: none (nothing requested)".to_string(),
            (true, false) => format!("sandbox: none ({})", missing.join("; ")),
            (false, true) => format!("sandbox: {}", active.join(", ")),
            (false, false) => format!(
                "sandbox: {}; missing: {}",
                active.join(", "),
                missing.join("; ")
            ),
        }
    }

    /// Every layer on its own line, with the full reason for those missing.
    pub fn details(&self) -> String {
        let mut out = self.summary();
        for status in &self.layers {
            let state = match &status.state {
                LayerState::Active => "active".to_string(),
                LayerState::NotRequested => "not requested".to_string(),
                LayerState::Unavailable(reason) => format!("unavailable: {reason}"),
            };
            out.push_str(&format!("\n  {}: {state}", status.layer));
        }
        for path in &self.hidden {
            out.push_str(&format!("\n  hidden: {}", path.display()));
        }
        out
    }
}

impl fmt::Display for ProtectionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}
