//! The board and each experiment's story as HTML pages, rendered from what `ops` reads, for
//! `xp site` (plain files) and the server (the same pages at `/` and `/e/{name}`).

mod board;
mod forge;
mod layout;
mod story;

pub use board::{Query, board, column_count, index_js};
pub use forge::Forge;
pub use layout::{
    Branch, COLUMN_CARDS, COLUMNS, CSP, CSS, Context, JS, Mode, Names, PAGE_CARDS, as_of,
    duration_words, problem, sign_in,
};
pub use story::story;
