//! Review and merge: what changed between two versions of the records (`xp diff`), the
//! three-way merge of one record (the merge driver, `xp resolve`), and the `.gitattributes`
//! lines that route records to the driver.

pub mod attributes;
pub mod base;
pub mod diff;
pub mod merge;
