//! A decision log packed into one buffer: what a server keeps of every record's log between
//! requests. Twenty entries as [`LogEntry`] values are sixty allocations and some 5 KB; packed
//! they are two allocations and about half of that, and the entries come back exactly.

use crate::record::fields::Record;
use crate::record::parts::LogEntry;

/// Where one entry's texts end in [`PackedLog::text`]: `at`, then `who` (when it has one),
/// then `note`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ends {
    at: u32,
    who: u32,
    note: u32,
    has_who: bool,
}

/// The entries of a decision log, in order, their texts one after another in one string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackedLog {
    text: String,
    ends: Vec<Ends>,
}

/// One entry of a log, borrowed: from a record's own entries or from a packed log. As JSON
/// the same as the entry ([`LogEntry`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct EntryRef<'a> {
    pub at: &'a str,
    pub who: Option<&'a str>,
    pub note: &'a str,
}

impl<'a> From<&'a LogEntry> for EntryRef<'a> {
    fn from(e: &'a LogEntry) -> Self {
        EntryRef {
            at: &e.at,
            who: e.who.as_deref(),
            note: &e.note,
        }
    }
}

impl PackedLog {
    /// The entries packed; `None` when their texts are too long to be told by 32-bit offsets
    /// (more than 4 GiB, which no record file within the size limit holds), and the caller
    /// keeps them as they are.
    pub fn pack(entries: &[LogEntry]) -> Option<PackedLog> {
        // Sized exactly: a string grown as it goes would hold up to twice its text.
        let len: usize = entries
            .iter()
            .map(|e| e.at.len() + e.who.as_ref().map_or(0, String::len) + e.note.len())
            .sum();
        let mut text = String::with_capacity(len);
        let mut ends = Vec::with_capacity(entries.len());
        for e in entries {
            text.push_str(&e.at);
            let at = u32::try_from(text.len()).ok()?;
            if let Some(who) = &e.who {
                text.push_str(who);
            }
            let who = u32::try_from(text.len()).ok()?;
            text.push_str(&e.note);
            ends.push(Ends {
                at,
                who,
                note: u32::try_from(text.len()).ok()?,
                has_who: e.who.is_some(),
            });
        }
        Some(PackedLog { text, ends })
    }

    /// The record's log moved into a packed one, the record left with none; `None` (and the
    /// record as it was) when the log is too long to pack.
    pub fn take(record: &mut Record) -> Option<PackedLog> {
        let packed = PackedLog::pack(&record.decision_log)?;
        record.decision_log = Vec::new();
        Some(packed)
    }

    /// How many entries the log has.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The entry at `index`, borrowed.
    pub fn get(&self, index: usize) -> Option<EntryRef<'_>> {
        let ends = self.ends.get(index)?;
        let start = match index {
            0 => 0,
            _ => self.ends.get(index - 1)?.note,
        };
        let part = |from: u32, to: u32| self.text.get(from as usize..to as usize);
        Some(EntryRef {
            at: part(start, ends.at)?,
            who: match ends.has_who {
                true => Some(part(ends.at, ends.who)?),
                false => None,
            },
            note: part(ends.who, ends.note)?,
        })
    }

    /// Every entry, in order, borrowed.
    pub fn iter(&self) -> impl Iterator<Item = EntryRef<'_>> {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// The entries as the record holds them.
    pub fn unpack(&self) -> Vec<LogEntry> {
        self.iter()
            .map(|e| LogEntry {
                at: e.at.to_owned(),
                who: e.who.map(str::to_owned),
                note: e.note.to_owned(),
            })
            .collect()
    }
}

/// A record's decision log as it is held: the record's own entries, or packed beside it.
#[derive(Debug, Clone, Copy)]
pub enum LogRef<'a> {
    Entries(&'a [LogEntry]),
    Packed(&'a PackedLog),
}

/// The log as JSON: a list of its entries.
impl serde::Serialize for LogRef<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            LogRef::Entries(entries) => entries.serialize(serializer),
            LogRef::Packed(log) => serializer.collect_seq(log.iter()),
        }
    }
}

impl<'a> LogRef<'a> {
    /// The newest entry (the last one written).
    pub fn last(self) -> Option<EntryRef<'a>> {
        match self {
            LogRef::Entries(entries) => entries.last().map(EntryRef::from),
            LogRef::Packed(log) => log.len().checked_sub(1).and_then(|i| log.get(i)),
        }
    }

    /// Every entry's note, in order.
    pub fn notes(self) -> Box<dyn Iterator<Item = &'a str> + 'a> {
        match self {
            LogRef::Entries(entries) => Box::new(entries.iter().map(|e| e.note.as_str())),
            LogRef::Packed(log) => Box::new(log.iter().map(|e| e.note)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn entry(at: &str, who: Option<&str>, note: &str) -> LogEntry {
        LogEntry {
            at: at.into(),
            who: who.map(Into::into),
            note: note.into(),
        }
    }

    #[test]
    fn entries_come_back_exactly_with_and_without_a_name() {
        let entries = vec![
            entry("2026-02-22T18:30:00.000Z", Some("alice"), "Started"),
            entry("2026-02-23T09:00:00.000Z", None, "status: draft -> running"),
            entry("2026-02-24T09:00:00.000Z", Some(""), ""),
            entry("2026-02-25T09:00:00Z", Some("bö b"), "ünïcode\nand lines"),
        ];
        let packed = PackedLog::pack(&entries).unwrap();
        assert_eq!(packed.len(), 4);
        assert!(!packed.is_empty());
        // No slack: the text is held in exactly its length.
        assert_eq!(packed.text.capacity(), packed.text.len());
        assert_eq!(packed.ends.capacity(), 4);
        assert_eq!(packed.unpack(), entries);
        assert_eq!(packed.get(2).unwrap().who, Some(""));
        assert_eq!(packed.get(1).unwrap().who, None);
        assert_eq!(packed.get(4), None);
        let last = LogRef::Packed(&packed).last().unwrap();
        assert_eq!(last, EntryRef::from(&entries[3]));
        assert_eq!(LogRef::Entries(&entries).last(), Some(last));
        let notes: Vec<&str> = LogRef::Packed(&packed).notes().collect();
        let own: Vec<&str> = LogRef::Entries(&entries).notes().collect();
        assert_eq!(notes, own);
        assert_eq!(notes[3], "ünïcode\nand lines");
    }

    #[test]
    fn an_empty_log_packs_to_nothing() {
        let packed = PackedLog::pack(&[]).unwrap();
        assert!(packed.is_empty());
        assert_eq!(packed.unpack(), Vec::new());
        assert_eq!(LogRef::Packed(&packed).last(), None);
        assert_eq!(LogRef::Packed(&packed).notes().count(), 0);
    }

    proptest! {
        #[test]
        fn any_log_round_trips(
            entries in prop::collection::vec(
                (".{0,30}", prop::option::of(".{0,12}"), ".{0,80}"),
                0..25,
            )
        ) {
            let entries: Vec<LogEntry> = entries
                .into_iter()
                .map(|(at, who, note)| LogEntry { at, who, note })
                .collect();
            let packed = PackedLog::pack(&entries).unwrap();
            prop_assert_eq!(packed.unpack(), entries.clone());
            prop_assert_eq!(
                LogRef::Packed(&packed).last(),
                LogRef::Entries(&entries).last()
            );
        }
    }
}
