//! The vocabularies nhi writes in, below every stage that reads them: the
//! clouds' own, shipped as data (which permissions exist, so that a
//! catalogue mapping naming one that does not is caught before anything
//! renders, wildcards can be expanded, and access levels ranked); the
//! names each target accepts (Cedar identifiers, Google Cloud ids, each
//! cloud's region names, code hosts' owners); and the keys of nhi's request
//! context.
//!
//! AWS publishes its Service Authorization Reference (generated into
//! `data/aws-service-reference.json` by `scripts/aws-service-reference.py`).
//! Google Cloud and Azure publish no such list in a package this project
//! can build from, so their permissions are checked for form only.

pub mod aws;
pub mod cedar;
pub mod codehost;
pub mod context;
pub mod gcp;
pub mod glob;
pub mod regions;
