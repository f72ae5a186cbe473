//! What an operation tells the person on the way, for the front-end to say.

/// Something worth telling the person, said by the front-end in the order it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A commit was made: its short hash and subject.
    Committed { short: String, subject: String },
    /// Something went differently than asked, or was repaired.
    Warning(String),
}
