//! Course facts.
