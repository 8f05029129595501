//! Schema import (issue 11): database schemas read into one model,
//! [`Schema`], from which specs are scaffolded and schema versions are
//! compared. Readers take text and return the model; nothing here does IO
//! (the CLI reads files and queries live databases).

pub mod compat;
pub mod ddl;
pub mod json;
mod model;
pub mod pgsql;
pub mod report;
pub mod scaffold;
pub mod sqltext;

pub use model::*;
