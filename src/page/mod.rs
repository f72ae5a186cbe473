//! The board and each experiment's story as HTML pages, rendered from what `ops` reads, for
//! `xp site` (plain files) and the server (the same pages at `/` and `/e/{name}`).

mod board;
mod forge;
mod layout;
mod result;
mod story;

pub use board::{Query, TABLE_FROM, View, board, index_js, index_name, table_count};
pub use forge::Forge;
pub use layout::{
    AsOf, Branch, COLUMN_CARDS, COLUMNS, CSP, CSP_META, CSS, Context, Item, JS, Mode, Names,
    PAGE_CARDS, SyncLevel, SyncLine, as_of, duration_words, problem, sign_in,
};
pub use story::story;
