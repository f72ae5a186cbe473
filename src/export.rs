//! Records -> CSV / JSON, generic over io::Write.
//!
//! The CSV reproduces the origin service (Python, pydantic, the `csv` module defaults)
//! byte for byte: `\r\n` line ends, minimal quoting, floats as Python's `repr`.

use std::borrow::Cow;
use std::io;

use crate::record::derived::{DERIVED, Derived, DerivedValue};
use crate::record::fields::{self, FIELDS, Field, FieldKind};
use crate::record::{FieldValue, Record};

/// The origin service's header, in its order: a contract the default CSV keeps.
const ORIGIN: [&str; 11] = [
    "id",
    "title",
    "hypothesis",
    "primary_metric",
    "baseline",
    "target",
    "status",
    "confidence",
    "decision",
    "learning",
    "decision_log",
];

/// One column of the CSV export: the id, a field of the table, the decision log, or a result
/// derived from `observed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Id,
    Field(&'static Field),
    DecisionLog,
    /// A value of [`DERIVED`]: a number (the lift, a fraction) or `true`/`false`.
    Derived(&'static Derived),
}

impl Column {
    /// The origin service's columns, in its order.
    pub fn defaults() -> Vec<Column> {
        ORIGIN
            .iter()
            .filter_map(|name| Column::parse(name))
            .collect()
    }

    /// Every column: the origin service's first, then the other fields in the table's order,
    /// then the derived results.
    pub fn all() -> Vec<Column> {
        let mut all = Column::defaults();
        all.extend(
            FIELDS
                .iter()
                .filter(|f| !ORIGIN.contains(&f.name))
                .map(Column::Field),
        );
        all.extend(DERIVED.iter().map(Column::Derived));
        all
    }

    /// The header name, which is also the record key.
    pub fn name(self) -> &'static str {
        match self {
            Column::Id => fields::ID,
            Column::Field(field) => field.name,
            Column::DecisionLog => fields::DECISION_LOG,
            Column::Derived(derived) => derived.name,
        }
    }

    /// The column with this exact name.
    pub fn parse(name: &str) -> Option<Column> {
        match name {
            fields::ID => Some(Column::Id),
            fields::DECISION_LOG => Some(Column::DecisionLog),
            _ => fields::field(name)
                .map(Column::Field)
                .or_else(|| DERIVED.iter().find(|d| d.name == name).map(Column::Derived)),
        }
    }

    /// Whether the cell holds a number, which `--excel` never touches.
    fn is_number(self) -> bool {
        match self {
            Column::Field(f) => matches!(f.kind, FieldKind::Number | FieldKind::Percent),
            Column::Derived(derived) => derived.kind == "number",
            Column::Id | Column::DecisionLog => false,
        }
    }

    /// The cell text of this column for one record; empty for null.
    fn cell(self, record: &Record) -> io::Result<Cow<'_, str>> {
        Ok(match self {
            Column::Id => Cow::Borrowed(&record.id),
            Column::DecisionLog => {
                Cow::Owned(json_text(serde_json::to_string(&record.decision_log)?))
            }
            Column::Derived(derived) => match (derived.value)(record) {
                None => Cow::Borrowed(""),
                Some(DerivedValue::Number(x)) => Cow::Owned(python_float(x)),
                Some(DerivedValue::Bool(b)) => Cow::Borrowed(if b { "true" } else { "false" }),
                Some(DerivedValue::Evidence(e)) => {
                    Cow::Owned(json_text(serde_json::to_string(&e)?))
                }
            },
            Column::Field(field) => match record.get(field.name) {
                None => Cow::Borrowed(""),
                Some(FieldValue::Text(t)) => Cow::Owned(t),
                Some(FieldValue::Number(x)) => Cow::Owned(python_float(x)),
                Some(FieldValue::Whole(n)) => Cow::Owned(n.to_string()),
                Some(FieldValue::List(items)) => {
                    Cow::Owned(json_text(serde_json::to_string(&items)?))
                }
                Some(value @ (FieldValue::Numbers(_) | FieldValue::Results(_))) => {
                    Cow::Owned(json_text(serde_json::to_string(&value)?))
                }
            },
        })
    }
}

/// Parses `--columns id,title,owner`: trims, rejects unknown names (error text lists the valid names), duplicates and an empty list.
pub fn parse_columns(list: &str) -> Result<Vec<Column>, String> {
    if list.trim().is_empty() {
        return Err("no columns given".to_string());
    }
    let mut columns = Vec::new();
    for name in list.split(',').map(str::trim) {
        let column = Column::parse(name).ok_or_else(|| {
            let valid: Vec<&str> = Column::all().iter().map(|c| c.name()).collect();
            let valid = valid.join(", ");
            if name.is_empty() {
                format!("empty column name; valid columns: {valid}")
            } else {
                format!("unknown column `{name}`; valid columns: {valid}")
            }
        })?;
        if columns.contains(&column) {
            return Err(format!("column `{name}` is given twice"));
        }
        columns.push(column);
    }
    Ok(columns)
}

/// The shape of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// CSV with these columns; `excel` guards formulas and adds a byte-order mark.
    Csv { columns: Vec<Column>, excel: bool },
    /// One pretty JSON array.
    Json,
    /// One compact JSON object per line.
    Jsonl,
}

/// One record as an export holds it, made apart from the writing (on the threads that read
/// the records) and written by [`Stream::write`].
pub enum Rendered {
    /// A CSV row, quoted and ended.
    Row(Vec<u8>),
    /// An element of the JSON array, indented, without its separator.
    Element(String),
    /// A JSON Lines line, without its line break.
    Line(String),
}

impl Shape {
    /// One record as this shape writes it.
    pub fn render(&self, record: &Record) -> io::Result<Rendered> {
        let record = normalised(record);
        Ok(match self {
            Shape::Csv { columns, excel } => {
                let mut row = csv_writer(Vec::with_capacity(1024));
                for &c in columns {
                    let cell = guard(*excel, c, c.cell(&record)?);
                    row.write_field(cell.as_bytes()).map_err(into_io)?;
                }
                row.write_record(None::<&[u8]>).map_err(into_io)?;
                Rendered::Row(row.into_inner().map_err(|e| e.into_error())?)
            }
            Shape::Json => {
                // The bytes of the whole array pretty-printed at once: each element indented
                // by two spaces (strings hold no raw line breaks), separated by `,`.
                let text = json_text(serde_json::to_string_pretty(&record)?);
                let lines: Vec<String> = text.lines().map(|l| format!("  {l}")).collect();
                Rendered::Element(lines.join("\n"))
            }
            Shape::Jsonl => Rendered::Line(json_text(serde_json::to_string(&record)?)),
        })
    }
}

/// How every CSV row is written: quoted where needed, lines ended by CRLF.
fn csv_writer<W: io::Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .buffer_capacity(1024)
        .from_writer(out)
}

/// An export written record by record, so that memory does not grow with the records.
pub struct Stream<W: io::Write> {
    out: W,
    rows: usize,
    shape: Shape,
}

impl<W: io::Write> Stream<W> {
    /// Starts an export: the byte-order mark and header for CSV.
    pub fn start(mut out: W, shape: Shape) -> io::Result<Stream<W>> {
        if let Shape::Csv { columns, excel } = &shape {
            if *excel {
                out.write_all("\u{feff}".as_bytes())?;
            }
            let mut csv = csv_writer(out);
            let header = columns
                .iter()
                .map(|&c| guard(*excel, c, Cow::Borrowed(c.name())).into_owned());
            csv.write_record(header).map_err(into_io)?;
            out = csv.into_inner().map_err(|e| e.into_error())?;
        }
        Ok(Stream {
            out,
            rows: 0,
            shape,
        })
    }

    /// Writes one record.
    pub fn row(&mut self, record: &Record) -> io::Result<()> {
        let rendered = self.shape.render(record)?;
        self.write(rendered)
    }

    /// Writes one record made by [`Shape::render`] of this stream's shape.
    pub fn write(&mut self, rendered: Rendered) -> io::Result<()> {
        let first = self.rows == 0;
        self.rows += 1;
        match rendered {
            Rendered::Row(bytes) => self.out.write_all(&bytes),
            Rendered::Element(text) => {
                self.out.write_all(if first { b"[\n" } else { b",\n" })?;
                self.out.write_all(text.as_bytes())
            }
            Rendered::Line(text) => {
                self.out.write_all(text.as_bytes())?;
                self.out.write_all(b"\n")
            }
        }
    }

    /// Ends the export (the JSON array's end) and flushes; gives back the writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.shape == Shape::Json {
            self.out
                .write_all(if self.rows == 0 { b"[]\n" } else { b"\n]\n" })?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A text cell made inert for a spreadsheet (`'` before a formula) when `excel` asks for it.
fn guard(excel: bool, column: Column, cell: Cow<'_, str>) -> Cow<'_, str> {
    if excel && !column.is_number() && runs_as_formula(&cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        cell
    }
}

/// Writes records in one shape.
pub fn write<W: io::Write>(out: W, records: &[Record], shape: Shape) -> io::Result<()> {
    let mut stream = Stream::start(out, shape)?;
    for record in records {
        stream.row(record)?;
    }
    stream.finish().map(drop)
}

/// Writes a header and one row per record, in the order given.
///
/// With `excel`, the output starts with a UTF-8 byte-order mark and every text cell that
/// a spreadsheet would run as a formula gets a `'` prefix; number cells are left alone.
pub fn write_csv<W: io::Write>(
    out: W,
    records: &[Record],
    columns: &[Column],
    excel: bool,
) -> io::Result<()> {
    let columns = columns.to_vec();
    write(out, records, Shape::Csv { columns, excel })
}

/// Writes the records as one pretty JSON array and a trailing newline.
pub fn write_json<W: io::Write>(out: W, records: &[Record]) -> io::Result<()> {
    write(out, records, Shape::Json)
}

/// Writes one compact JSON object per record, one per line.
pub fn write_jsonl<W: io::Write>(out: W, records: &[Record]) -> io::Result<()> {
    write(out, records, Shape::Jsonl)
}

/// The record with each log entry's `at` in one form, UTC with milliseconds
/// (`2026-02-22T18:30:00.000Z`), however the file wrote it; the record itself when every
/// entry already is in that form, as xp writes them.
fn normalised(record: &Record) -> Cow<'_, Record> {
    if record.decision_log.iter().all(|e| in_form(&e.at)) {
        return Cow::Borrowed(record);
    }
    let mut record = record.clone();
    for entry in &mut record.decision_log {
        entry.at = normalised_at(&entry.at);
    }
    Cow::Owned(record)
}

/// A time in the one form, or the text as it is when it is not a UTC time.
fn normalised_at(at: &str) -> String {
    crate::time::parse_utc(at).map_or_else(|| at.to_owned(), crate::time::format_time)
}

/// Whether a text has the shape of the one form (`dddd-dd-ddTdd:dd:dd.dddZ`): then
/// [`normalised_at`] gives it back unchanged, a valid time being written as it was read and
/// an invalid one kept.
fn in_form(at: &str) -> bool {
    const SHAPE: &[u8; 24] = b"0000-00-00T00:00:00.000Z";
    at.len() == SHAPE.len()
        && at.bytes().zip(SHAPE).all(|(b, &s)| {
            if s == b'0' {
                b.is_ascii_digit()
            } else {
                b == s
            }
        })
}

/// JSON text with DEL and the C1 control characters escaped (`\u007f`), which serde_json
/// leaves raw: they are invisible, and terminals and their libraries drop them, so the
/// output would not read back as the file's text. They occur only inside strings, where the
/// escape reads back as the same character.
pub fn json_text(text: String) -> String {
    if !text.contains(is_unescaped_control) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unescaped_control(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn is_unescaped_control(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{9f}')
}

/// The CSV text of a number as the origin service (Python) wrote it: repr(float).
///
/// Shortest round-trip digits; positional when the decimal exponent is in `-4..16`,
/// otherwise scientific with a signed exponent of at least two digits.
pub fn python_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    // `{:e}` writes the fewest digits that round-trip (`-1.2345e17`, `5e-324`, `-0e0`), but
    // of two such strings it may not take the nearer one as Python does: on a tie
    // `…177.25` it writes `…177.3` where Python writes `…177.2` (ties to even). The
    // correctly rounded string of that length is the nearer one, when it round-trips.
    let shortest = format!("{x:e}");
    let len = shortest
        .split('e')
        .next()
        .map_or(1, |m| m.bytes().filter(u8::is_ascii_digit).count());
    let nearest = format!("{x:.*e}", len.saturating_sub(1));
    let text = if nearest.parse::<f64>() == Ok(x) {
        nearest
    } else {
        shortest
    };
    let Some((mantissa, exponent)) = text.split_once('e') else {
        return text;
    };
    let Ok(exponent) = exponent.parse::<i32>() else {
        return text;
    };
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits = mantissa.replace('.', "");
    let body = if (-4..16).contains(&exponent) {
        positional(&digits, exponent)
    } else {
        scientific(&digits, exponent)
    };
    format!("{sign}{body}")
}

/// Lays out `d.ddd × 10^exponent` without an exponent: `3.0`, `0.0001`, `123.45`.
fn positional(digits: &str, exponent: i32) -> String {
    match usize::try_from(exponent) {
        Ok(exponent) => {
            let int_len = exponent + 1;
            if digits.len() <= int_len {
                format!("{digits}{}.0", "0".repeat(int_len - digits.len()))
            } else {
                format!("{}.{}", &digits[..int_len], &digits[int_len..])
            }
        }
        Err(_) => {
            let zeros = exponent.unsigned_abs() as usize - 1;
            format!("0.{}{digits}", "0".repeat(zeros))
        }
    }
}

/// Lays out `d.ddd × 10^exponent` as Python does: `1e+16`, `1.5e-05`.
fn scientific(digits: &str, exponent: i32) -> String {
    let (first, rest) = digits.split_at(1);
    let dot = if rest.is_empty() { "" } else { "." };
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{first}{dot}{rest}e{sign}{:02}", exponent.unsigned_abs())
}

/// Whether a spreadsheet would run this cell as a formula.
pub fn runs_as_formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\0'])
}

/// Keeps the writer's own `io::Error` (and so its kind, e.g. a broken pipe).
fn into_io(err: csv::Error) -> io::Error {
    if !err.is_io_error() {
        return io::Error::other(err);
    }
    match err.into_kind() {
        csv::ErrorKind::Io(err) => err,
        kind => io::Error::other(format!("{kind:?}")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The column of this name.
    fn col(name: &str) -> Column {
        Column::parse(name).unwrap()
    }
    use crate::record::{Decision, Direction, LogEntry, Status};
    use proptest::prelude::*;

    const BOM: &str = "\u{feff}";

    /// A time already in the one form is given back by the fast path exactly as the full
    /// normalisation gives it: valid, a leap second, impossible dates and hours.
    #[test]
    fn times_in_the_one_form_are_kept_as_normalising_keeps_them() {
        for at in [
            "2026-02-22T18:30:00.000Z",
            "2016-12-31T23:59:60.500Z",
            "2026-02-30T18:30:00.000Z",
            "2026-13-01T00:00:00.000Z",
            "2026-02-22T25:00:00.000Z",
            "0000-01-01T00:00:00.000Z",
        ] {
            assert!(in_form(at), "{at}");
            assert_eq!(normalised_at(at), at);
        }
        for (at, expected) in [
            ("2026-02-22T18:30:00Z", "2026-02-22T18:30:00.000Z"),
            ("2026-02-22t18:30:00.000z", "2026-02-22T18:30:00.000Z"),
            ("2026-02-22T18:30:00.000+00:00", "2026-02-22T18:30:00.000Z"),
            ("2026-02-22T18:30:00.1234Z", "2026-02-22T18:30:00.123Z"),
            ("2026-02-22 18:30:00.000Z", "2026-02-22T18:30:00.000Z"),
        ] {
            assert!(!in_form(at), "{at}");
            assert_eq!(normalised_at(at), expected, "{at}");
        }
    }

    proptest! {
        /// Any text of the one form's length made of its characters: the fast path and the
        /// full normalisation agree.
        #[test]
        fn the_fast_path_agrees_with_normalising(at in "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-2][0-9]:[0-6][0-9]:[0-6][0-9]\\.[0-9]{3}Z") {
            prop_assert!(in_form(&at));
            prop_assert_eq!(normalised_at(&at), at);
        }
    }

    fn seed_record() -> Record {
        Record {
            id: "a1b2c3d4-0000-4000-8000-000000000001".to_string(),
            title: "Homepage CTA Color".to_string(),
            hypothesis: "Changing CTA button from blue to green increases signups by 15%"
                .to_string(),
            primary_metric: "signup_rate".to_string(),
            baseline: 3.2,
            target: 3.7,
            status: Status::Completed,
            confidence: 96,
            decision: Some(Decision::Ship),
            learning: Some("Green CTA outperformed blue across all segments".to_string()),
            decision_log: vec![
                LogEntry {
                    at: "2026-02-22T18:30:00.000Z".to_string(),
                    who: Some("alice".to_string()),
                    note: "Launched to 10% of users".to_string(),
                },
                LogEntry {
                    at: "2026-02-22T18:45:00.000Z".to_string(),
                    who: Some("bob".to_string()),
                    note: "p-value dropped below 0.05 after 3 days".to_string(),
                },
            ],
            ..Record::default()
        }
    }

    fn csv_text(records: &[Record], columns: &[Column], excel: bool) -> String {
        let mut out = Vec::new();
        write_csv(&mut out, records, columns, excel).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The rows after the header, each as its cells.
    fn parse_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let header = reader.headers().unwrap().iter().map(String::from).collect();
        let rows = reader
            .records()
            .map(|row| row.unwrap().iter().map(String::from).collect())
            .collect();
        (header, rows)
    }

    #[test]
    fn golden_seed_row() {
        let expected = concat!(
            "id,title,hypothesis,primary_metric,baseline,target,status,confidence,decision,learning,decision_log\r\n",
            "a1b2c3d4-0000-4000-8000-000000000001,Homepage CTA Color,",
            "Changing CTA button from blue to green increases signups by 15%,signup_rate,3.2,3.7,",
            "completed,96,ship,Green CTA outperformed blue across all segments,",
            r#""[{""at"":""2026-02-22T18:30:00.000Z"",""who"":""alice"",""note"":""Launched to 10% of users""},"#,
            r#"{""at"":""2026-02-22T18:45:00.000Z"",""who"":""bob"",""note"":""p-value dropped below 0.05 after 3 days""}]""#,
            "\r\n",
        );
        assert_eq!(
            csv_text(&[seed_record()], &Column::defaults(), false),
            expected
        );
    }

    #[test]
    fn log_times_are_exported_in_the_millisecond_utc_form() {
        let mut record = seed_record();
        record.decision_log[0].at = "2026-02-22T18:30:00.5+00:00".into();
        record.decision_log[1].at = "2026-02-22t18:45:00z".into();
        let csv = csv_text(std::slice::from_ref(&record), &[col("decision_log")], false);
        assert!(
            csv.contains(r#"""at"":""2026-02-22T18:30:00.500Z"""#),
            "{csv}"
        );
        assert!(
            csv.contains(r#"""at"":""2026-02-22T18:45:00.000Z"""#),
            "{csv}"
        );
        for json in [json_of(&record, false), json_of(&record, true)] {
            let value: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
            let log = value.get(0).unwrap_or(&value)["decision_log"].clone();
            assert_eq!(log[0]["at"], "2026-02-22T18:30:00.500Z", "{json}");
            assert_eq!(log[1]["at"], "2026-02-22T18:45:00.000Z", "{json}");
        }
    }

    fn json_of(record: &Record, lines: bool) -> String {
        let mut out = Vec::new();
        let records = std::slice::from_ref(record);
        if lines {
            write_jsonl(&mut out, records).unwrap();
        } else {
            write_json(&mut out, records).unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_escapes_del_so_that_no_stream_drops_it() {
        let mut record = seed_record();
        record.title = "a\u{7f}b\u{85}c".into();
        record.tags = Some(vec!["\u{7f}".into()]);
        for json in [json_of(&record, false), json_of(&record, true)] {
            assert!(
                !json.contains('\u{7f}') && !json.contains('\u{85}'),
                "{json:?}"
            );
            assert!(json.contains(r#""a\u007fb\u0085c""#), "{json}");
            let value: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
            let title = value.get(0).unwrap_or(&value)["title"].clone();
            assert_eq!(title, "a\u{7f}b\u{85}c");
        }
        let csv = csv_text(&[record], &[col("tags")], false);
        assert!(csv.contains(r#"\u007f"#), "{csv:?}");
    }

    #[test]
    fn no_records_is_the_header_alone() {
        assert_eq!(
            csv_text(&[], &[col("id"), col("title")], false),
            "id,title\r\n"
        );
    }

    #[test]
    fn quoting_is_minimal_like_python() {
        let mut record = seed_record();
        record.title = "a, b".to_string();
        record.hypothesis = "say \"hi\"".to_string();
        record.primary_metric = "line\nbreak".to_string();
        record.learning = Some("carriage\rreturn".to_string());
        record.owner = Some("#not a comment".to_string());
        record.id = " spaced ".to_string();
        let columns = [
            col("id"),
            col("title"),
            col("hypothesis"),
            col("primary_metric"),
            col("learning"),
            col("owner"),
            col("direction"),
        ];
        assert_eq!(
            csv_text(&[record], &columns, false),
            "id,title,hypothesis,primary_metric,learning,owner,direction\r\n \
             spaced ,\"a, b\",\"say \"\"hi\"\"\",\"line\nbreak\",\"carriage\rreturn\",#not a comment,\r\n"
        );
    }

    #[test]
    fn a_lone_empty_cell_is_quoted_like_python() {
        // Python's csv writes `""` for a row of one empty field, so the row is not blank.
        let mut record = seed_record();
        record.learning = None;
        assert_eq!(
            csv_text(&[record], &[col("learning")], false),
            "learning\r\n\"\"\r\n"
        );
    }

    #[test]
    fn null_decision_and_learning_are_empty_cells() {
        let mut record = seed_record();
        record.status = Status::Running;
        record.decision = None;
        record.learning = None;
        record.decision_log.clear();
        let columns = [
            col("status"),
            col("decision"),
            col("learning"),
            col("decision_log"),
        ];
        assert_eq!(
            csv_text(&[record], &columns, false),
            "status,decision,learning,decision_log\r\nrunning,,,[]\r\n"
        );
    }

    #[test]
    fn result_columns_are_empty_without_an_observed_value() {
        let columns = [col("observed"), col("lift"), col("target_met")];
        let mut record = seed_record();
        record.baseline = 2.0;
        record.target = 2.5;
        assert_eq!(
            csv_text(std::slice::from_ref(&record), &columns, false),
            "observed,lift,target_met\r\n,,\r\n"
        );
        record.observed = Some(3.0);
        let text = csv_text(std::slice::from_ref(&record), &columns, false);
        assert_eq!(text, "observed,lift,target_met\r\n3.0,0.5,true\r\n");
        record.observed = Some(-1.0);
        let text = csv_text(std::slice::from_ref(&record), &columns, true);
        assert_eq!(
            text,
            "\u{feff}observed,lift,target_met\r\n-1.0,-1.5,false\r\n"
        );
        record.baseline = 0.0;
        let text = csv_text(&[record], &columns, false);
        assert_eq!(text, "observed,lift,target_met\r\n-1.0,,false\r\n");
    }

    #[test]
    fn optional_columns() {
        let mut record = seed_record();
        record.decision_log = vec![LogEntry {
            at: "2026-02-22T18:30:00.000Z".to_string(),
            who: None,
            note: "Überraschung, \"ok\"".to_string(),
        }];
        let columns = [
            col("direction"),
            col("owner"),
            col("tags"),
            col("links"),
            col("decision_log"),
        ];
        assert_eq!(
            csv_text(std::slice::from_ref(&record), &columns, false),
            concat!(
                "direction,owner,tags,links,decision_log\r\n,,,,",
                r#""[{""at"":""2026-02-22T18:30:00.000Z"",""who"":null,""note"":""Überraschung, \""ok\""""}]""#,
                "\r\n",
            )
        );

        record.direction = Some(Direction::Decrease);
        record.owner = Some("carol".to_string());
        record.tags = Some(vec!["cta".to_string(), "q1".to_string()]);
        record.links = Some(vec![]);
        assert_eq!(
            csv_text(&[record], &columns[..4], false),
            "direction,owner,tags,links\r\ndecrease,carol,\"[\"\"cta\"\",\"\"q1\"\"]\",[]\r\n"
        );
    }

    #[test]
    fn parse_columns_accepts_trimmed_names_in_order() {
        assert_eq!(
            parse_columns(" id , owner,title ").unwrap(),
            [col("id"), col("owner"), col("title")]
        );
        for column in Column::all() {
            assert_eq!(Column::parse(column.name()), Some(column));
        }
        assert_eq!(Column::defaults()[..], Column::all()[..11]);
        assert_eq!(
            Column::all().len(),
            FIELDS.len() + 2 + crate::record::DERIVED.len()
        );
    }

    #[test]
    fn parse_columns_errors() {
        let unknown = parse_columns("id,colour").unwrap_err();
        assert!(unknown.contains("`colour`"), "{unknown}");
        for column in Column::all() {
            assert!(unknown.contains(column.name()), "{unknown}");
        }
        assert!(parse_columns("ID").is_err());
        assert!(parse_columns("id,,title").unwrap_err().contains("empty"));
        assert!(parse_columns("id,title,").is_err());
        assert_eq!(
            parse_columns("id, title,id").unwrap_err(),
            "column `id` is given twice"
        );
        assert_eq!(parse_columns("").unwrap_err(), "no columns given");
        assert_eq!(parse_columns("  ").unwrap_err(), "no columns given");
    }

    #[test]
    fn excel_adds_a_bom_and_leaves_a_plain_header_alone() {
        let text = csv_text(&[seed_record()], &Column::defaults(), true);
        let plain = csv_text(&[seed_record()], &Column::defaults(), false);
        assert_eq!(text, format!("{BOM}{plain}"));
    }

    #[test]
    fn excel_prefixes_formula_like_text_cells_only() {
        let triggers = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\0x"];
        for trigger in triggers {
            let mut record = seed_record();
            record.title = trigger.to_string();
            let plain = csv_text(std::slice::from_ref(&record), &[col("title")], false);
            let excel = csv_text(&[record], &[col("title")], true);
            let (_, rows) = parse_rows(excel.strip_prefix(BOM).unwrap());
            assert_eq!(rows, [[format!("'{trigger}")]], "{trigger:?}");
            assert_ne!(plain, excel.replacen(BOM, "", 1), "{trigger:?}");
        }

        let mut record = seed_record();
        record.title = "a=b".to_string();
        record.owner = Some(String::new());
        record.baseline = -1.5;
        record.target = -0.5;
        record.confidence = -3;
        let columns = [
            col("title"),
            col("owner"),
            col("baseline"),
            col("target"),
            col("confidence"),
        ];
        assert_eq!(
            csv_text(&[record], &columns, true),
            format!("{BOM}title,owner,baseline,target,confidence\r\na=b,,-1.5,-0.5,-3\r\n")
        );
    }

    #[test]
    fn excel_prefix_is_inside_the_quotes() {
        let mut record = seed_record();
        record.title = "=HYPERLINK(\"x\",\"y\")".to_string();
        assert_eq!(
            csv_text(&[record], &[col("title")], true),
            format!("{BOM}title\r\n\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"\r\n")
        );
    }

    #[test]
    fn python_float_matches_repr() {
        let cases = [
            (3.2, "3.2"),
            (3.0, "3.0"),
            (3.7, "3.7"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (9999999999999998.0, "9999999999999998.0"),
            (1e15, "1000000000000000.0"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (1e-5, "1e-05"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (0.00012345, "0.00012345"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (-1.5, "-1.5"),
            (100.0, "100.0"),
            (123.456, "123.456"),
            (1e100, "1e+100"),
            (-2.5e-300, "-2.5e-300"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            // Ties between two shortest strings go to the even digit, as in Python.
            (-(1425502010969177.0 + 0.25), "-1425502010969177.2"),
            (26363981746409.0 + 0.3125, "26363981746409.312"),
            (756716708459839.0 + 0.25, "756716708459839.2"),
            // Next to a power of two the nearest string may not round-trip.
            (8.209073602596753e-289, "8.209073602596753e-289"),
            // A rate with all seventeen digits.
            (0.029134757616042842, "0.029134757616042842"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (x, expected) in cases {
            assert_eq!(python_float(x), expected, "{x:e}");
        }
    }

    #[test]
    fn json_is_one_pretty_array_in_record_key_order() {
        let mut with_owner = seed_record();
        with_owner.owner = Some("carol".to_string());
        let records = [seed_record(), with_owner];
        let mut out = Vec::new();
        write_json(&mut out, &records).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("[\n  {\n    \"id\": "), "{text}");
        assert!(text.ends_with("]\n"), "{text}");

        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<&str> = value[1]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            keys,
            [
                "id",
                "title",
                "hypothesis",
                "primary_metric",
                "baseline",
                "target",
                "status",
                "confidence",
                "decision",
                "learning",
                "owner",
                "observed",
                "results",
                "lift",
                "target_met",
                "improved",
                "evidence",
                "decision_log"
            ]
        );
        assert_eq!(value[0]["decision_log"][1]["who"], "bob");

        let mut empty = Vec::new();
        write_json(&mut empty, &[]).unwrap();
        assert_eq!(empty, b"[]\n");
    }

    #[test]
    fn jsonl_is_one_compact_object_per_line() {
        let mut out = Vec::new();
        write_jsonl(&mut out, &[seed_record(), seed_record()]).unwrap();
        let text = String::from_utf8(out).unwrap();
        let line = serde_json::to_string(&seed_record()).unwrap();
        assert_eq!(text, format!("{line}\n{line}\n"));
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![any::<String>(), "[=+\\-@\t\r\n\0,\"' a-zé€😀]{0,12}",]
    }

    fn list() -> impl Strategy<Value = Option<Vec<String>>> {
        proptest::option::of(proptest::collection::vec(text(), 0..3))
    }

    fn finite() -> impl Strategy<Value = f64> {
        use proptest::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
        POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO
    }

    prop_compose! {
        fn log_entry()(at in text(), who in proptest::option::of(text()), note in text()) -> LogEntry {
            LogEntry { at, who, note }
        }
    }

    prop_compose! {
        fn record()(
            strings in (text(), text(), text(), text()),
            numbers in (finite(), finite(), any::<i64>()),
            status in proptest::sample::select(Status::ALL.to_vec()),
            decision in proptest::option::of(proptest::sample::select(Decision::ALL.to_vec())),
            learning in proptest::option::of(text()),
            direction in proptest::option::of(prop_oneof![Just(Direction::Increase), Just(Direction::Decrease)]),
            owner in proptest::option::of(text()),
            tags in list(),
            links in list(),
            observed in proptest::option::of(finite()),
            decision_log in proptest::collection::vec(log_entry(), 0..3),
        ) -> Record {
            let (id, title, hypothesis, primary_metric) = strings;
            let (baseline, target, confidence) = numbers;
            // Every field is generated; the default stands for a field added to the table.
            #[allow(clippy::needless_update)]
            let record = Record {
                id, title, hypothesis, primary_metric, baseline, target, status, confidence,
                decision, learning, direction, owner, tags, links, observed, decision_log,
                ..Record::default()
            };
            record
        }
    }

    fn columns() -> impl Strategy<Value = Vec<Column>> {
        proptest::sample::subsequence(Column::all(), 1..=Column::all().len()).prop_shuffle()
    }

    /// Checks one parsed cell against the record it came from, independently of `cell`.
    fn assert_cell(record: &Record, column: Column, cell: &str) {
        let json = |value: serde_json::Value| {
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(cell).unwrap(),
                value
            );
        };
        let optional = |value: Option<&str>| assert_eq!(cell, value.unwrap_or(""));
        match column.name() {
            "id" => assert_eq!(cell, record.id),
            "title" => assert_eq!(cell, record.title),
            "hypothesis" => assert_eq!(cell, record.hypothesis),
            "primary_metric" => assert_eq!(cell, record.primary_metric),
            "baseline" => assert_eq!(
                cell.parse::<f64>().unwrap().to_bits(),
                record.baseline.to_bits()
            ),
            "target" => assert_eq!(
                cell.parse::<f64>().unwrap().to_bits(),
                record.target.to_bits()
            ),
            "status" => assert_eq!(Status::parse(cell), Some(record.status)),
            "confidence" => assert_eq!(cell.parse::<i64>().unwrap(), record.confidence),
            "decision" => assert_eq!(Decision::parse(cell), record.decision),
            "learning" => optional(record.learning.as_deref()),
            "owner" => optional(record.owner.as_deref()),
            "direction" => assert_eq!(Direction::parse(cell), record.direction),
            "decision_log" => json(serde_json::to_value(&record.decision_log).unwrap()),
            "observed" | "lift" => {
                let value = if column.name() == "observed" {
                    record.observed
                } else {
                    record.lift()
                };
                match value {
                    Some(x) => assert_eq!(cell.parse::<f64>().unwrap().to_bits(), x.to_bits()),
                    None => assert_eq!(cell, ""),
                }
            }
            "target_met" => assert_eq!(cell.parse::<bool>().ok(), record.target_met()),
            "improved" => assert_eq!(cell.parse::<bool>().ok(), record.improved()),
            "tags" | "links" => {
                let list = if column.name() == "tags" {
                    &record.tags
                } else {
                    &record.links
                };
                match list {
                    Some(items) => json(serde_json::to_value(items).unwrap()),
                    None => assert_eq!(cell, ""),
                }
            }
            // A text field without a check of its own reads as written.
            other => match record.get(other) {
                Some(FieldValue::Text(t)) => assert_eq!(cell, t),
                None => assert_eq!(cell, ""),
                Some(value) => panic!("no check for column {other} holding {value:?}"),
            },
        }
    }

    proptest! {
        /// The JSON array written record by record is byte for byte the array written whole.
        #[test]
        fn streamed_json_is_the_whole_array(records in proptest::collection::vec(record(), 0..4)) {
            let mut streamed = Vec::new();
            write_json(&mut streamed, &records).unwrap();
            let whole: Vec<Record> = records.iter().map(|r| normalised(r).into_owned()).collect();
            let expected = format!("{}\n", json_text(serde_json::to_string_pretty(&whole).unwrap()));
            prop_assert_eq!(String::from_utf8(streamed).unwrap(), expected);
        }

        #[test]
        fn csv_round_trips(records in proptest::collection::vec(record(), 0..4), columns in columns()) {
            let text = csv_text(&records, &columns, false);
            let (header, rows) = parse_rows(&text);
            let names: Vec<&str> = columns.iter().map(|c| c.name()).collect();
            prop_assert_eq!(header, names);
            prop_assert_eq!(rows.len(), records.len());
            for (record, row) in records.iter().zip(&rows) {
                for (&column, cell) in columns.iter().zip(row) {
                    assert_cell(record, column, cell);
                }
            }
        }

        #[test]
        fn excel_differs_only_by_the_prefix(records in proptest::collection::vec(record(), 0..4), columns in columns()) {
            let plain = parse_rows(&csv_text(&records, &columns, false));
            let excel = csv_text(&records, &columns, true);
            let excel = parse_rows(excel.strip_prefix(BOM).unwrap());
            prop_assert_eq!(&excel.0, &plain.0);
            for (plain_row, excel_row) in plain.1.iter().zip(&excel.1) {
                for ((&column, plain), excel) in columns.iter().zip(plain_row).zip(excel_row) {
                    if !column.is_number() && runs_as_formula(plain) {
                        prop_assert_eq!(excel, &format!("'{plain}"));
                    } else {
                        prop_assert_eq!(excel, plain);
                    }
                }
            }
        }

        /// Every number of the JSON export reads back as the same bits, as the CSV's do.
        #[test]
        fn json_numbers_read_back_exactly(records in proptest::collection::vec(record(), 1..4)) {
            let mut out = Vec::new();
            write_jsonl(&mut out, &records).unwrap();
            let text = String::from_utf8(out).unwrap();
            for (line, record) in text.lines().zip(&records) {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                let numbers = [
                    ("baseline", Some(record.baseline)),
                    ("target", Some(record.target)),
                    ("observed", record.observed),
                    ("lift", record.lift()),
                ];
                for (key, x) in numbers {
                    prop_assert_eq!(
                        value[key].as_f64().map(f64::to_bits),
                        x.map(f64::to_bits),
                        "{}: {} in {}", key, value[key], line
                    );
                }
            }
        }

        #[test]
        fn jsonl_lines_parse_with_the_same_id(records in proptest::collection::vec(record(), 0..4)) {
            let mut out = Vec::new();
            write_jsonl(&mut out, &records).unwrap();
            let text = String::from_utf8(out).unwrap();
            let lines: Vec<&str> = text.split_terminator('\n').collect();
            prop_assert_eq!(lines.len(), records.len());
            for (line, record) in lines.iter().zip(&records) {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                prop_assert_eq!(value["id"].as_str(), Some(record.id.as_str()));
            }
        }
    }
}
