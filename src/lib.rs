//! `nhi`, the non-human identity compiler.
//!
//! Data flows one way: [`load`] (files → documents with spans) →
//! [`validate`] (documents → the checked [`model`]) → [`analyse`] (what the
//! model means, once per run) → [`lint`] (rules over both; [`check`] runs
//! these four) → [`render`] (the files each target reads, through the
//! [`cedar`] core) → [`emit`] (write, check, or diff). No module imports
//! from a later stage (`tests/architecture.rs` holds the order). The
//! library prints nothing: it returns values and [`diag::Diagnostics`].

pub mod analyse;
pub mod authorize;
pub mod cedar;
pub mod check;
pub mod cli;
pub mod decisions;
pub mod diag;
pub mod diff;
pub mod drift;
pub mod emit;
pub mod graph;
pub mod import;
pub mod lint;
pub mod load;
pub mod model;
pub mod prove;
pub mod raw;
pub mod render;
pub mod review;
pub mod schema;
pub mod source;
pub mod validate;
pub mod vocabulary;
