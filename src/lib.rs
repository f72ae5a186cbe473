//! xp: product experiments as plain YAML files in your git repository.

pub mod env;
pub mod error;
pub mod git;
pub mod record;
pub mod rules;
pub mod store;
pub mod yaml;
pub mod yaml_edit;
