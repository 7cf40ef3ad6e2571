//! The clouds' own vocabularies, shipped as data: which permissions exist,
//! so that a catalogue mapping naming one that does not is caught before
//! anything renders, wildcards can be expanded, and access levels ranked.
//!
//! AWS publishes its Service Authorization Reference (generated into
//! `data/aws-service-reference.json` by `scripts/aws-service-reference.py`).
//! Google Cloud and Azure publish no such list in a package this project
//! can build from, so their permissions are checked for form only.

pub mod aws;
pub mod glob;
