//! `nhi`, the non-human identity compiler.
//!
//! Data flows one way: [`load`] (files → documents with spans) →
//! [`validate`] (shape and semantics → [`model`]) → render → emit. The
//! library prints nothing: it returns values and [`diag::Diagnostics`].

pub mod analyse;
pub mod authorize;
pub mod cedar;
pub mod check;
pub mod cli;
pub mod decisions;
pub mod diag;
pub mod diff;
pub mod emit;
pub mod graph;
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
