//! Learning from past experiments: full-text search, "was this tried before?", and the
//! learning report.

pub mod report;
pub mod search;
pub mod similar;
