//! `.gitattributes`: the lines that route experiment files to the xp merge driver.

use std::path::Path;

use crate::error::Error;
use crate::store;

/// The merge driver's command, as git runs it.
pub const DRIVER: &str = "xp merge-driver %O %A %B %P";
/// The merge driver's description in git config.
pub const DRIVER_NAME: &str = "xp: union of decision logs, 3-way merge of fields";

/// The lines that route the records under `dir` (relative to the work tree), in folders below
/// it too, to the driver (`**/` matches no folder as well as several).
pub fn wanted(dir: &str) -> [String; 2] {
    [
        format!("{dir}/**/*.yaml merge=xp"),
        format!("{dir}/**/*.yml merge=xp"),
    ]
}

/// Reads `.gitattributes` (empty when there is none).
pub fn read(path: &Path) -> Result<String, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(Error::io(".gitattributes", e)),
    }
}

/// The wanted lines that `text` lacks (compared word by word).
pub fn missing(text: &str, wanted: &[String]) -> Vec<String> {
    wanted
        .iter()
        .filter(|w| {
            !text.lines().any(|l| {
                l.split_whitespace().collect::<Vec<_>>() == w.split(' ').collect::<Vec<_>>()
            })
        })
        .cloned()
        .collect()
}

/// Appends lines to `.gitattributes`, atomically.
pub fn append(path: &Path, text: &str, lines: &[String]) -> Result<(), Error> {
    let mut new = text.to_owned();
    if !new.is_empty() && !new.ends_with('\n') {
        new.push('\n');
    }
    for line in lines {
        new.push_str(line);
        new.push('\n');
    }
    store::write_atomic(path, new.as_bytes())
}

/// Whether `.gitattributes` text names the xp merge driver on a line that is not a comment.
pub fn names_driver(text: &str) -> bool {
    text.lines()
        .any(|l| !l.trim_start().starts_with('#') && l.split_whitespace().any(|w| w == "merge=xp"))
}
