//! Placeholder until the git layer lands.
#[derive(Debug, thiserror::Error)]
#[error("git")]
pub struct GitError;
impl GitError {
    pub fn hint(&self) -> Option<String> {
        None
    }
}
