//! Where output goes: stdout is data, stderr is status, hints and warnings. Colour follows
//! `--color`, then NO_COLOR and whether the stream is a terminal. A closed pipe ends output
//! quietly (`xp list | head` is not an error). Messages on stderr can quote a record's text,
//! so their control and bidirectional characters are shown escaped ([`crate::text`]).

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

use anstream::{AutoStream, ColorChoice};
use anstyle::{AnsiColor, Style};

use crate::text::terminal_lines;

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const HINT: Style = AnsiColor::Cyan.on_default().bold();
const DIM: Style = Style::new().dimmed();

/// The two output streams of a command.
pub struct Ui {
    out: Box<dyn Write>,
    err: Box<dyn Write>,
    styled: bool,
    /// Whether data on stdout may carry colour (a terminal, unless told otherwise).
    out_styled: bool,
    out_closed: bool,
}

/// A buffer that a captured [`Ui`] writes into.
#[derive(Clone, Default)]
pub struct Buffer(Rc<RefCell<Vec<u8>>>);

impl Buffer {
    /// Takes what was written so far.
    pub fn take(&self) -> String {
        let bytes = std::mem::take(&mut *self.0.borrow_mut());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Ui {
    /// The process's stdout and stderr, colour as chosen.
    pub fn stdio(choice: ColorChoice) -> Ui {
        // Data goes to stdout byte for byte (a stripping stream would drop DEL from a record's
        // text); renderers style it only when stdout itself would show colour.
        let out_styled = !matches!(
            AutoStream::new(io::stdout(), choice).current_choice(),
            ColorChoice::Never
        );
        let err = AutoStream::new(io::stderr(), choice);
        let styled = !matches!(err.current_choice(), ColorChoice::Never);
        Ui {
            out: Box::new(io::stdout()),
            err: Box::new(err),
            styled,
            out_styled,
            out_closed: false,
        }
    }

    /// A Ui writing into buffers, without colour (for the demo).
    pub fn capture() -> (Ui, Buffer, Buffer) {
        let out = Buffer::default();
        let err = Buffer::default();
        let ui = Ui {
            out: Box::new(out.clone()),
            err: Box::new(err.clone()),
            styled: false,
            out_styled: false,
            out_closed: false,
        };
        (ui, out, err)
    }

    /// `style` when messages carry colour, else no style (a captured Ui's text is plain).
    fn style(&self, style: Style) -> Style {
        if self.styled { style } else { Style::new() }
    }

    /// Whether messages on stderr carry colour.
    pub fn styled(&self) -> bool {
        self.styled
    }

    /// Whether data on stdout may carry colour.
    pub fn out_styled(&self) -> bool {
        self.out_styled
    }

    /// Writes data to stdout; a closed pipe silently drops the rest.
    pub fn data(&mut self, text: &str) -> io::Result<()> {
        self.data_bytes(text.as_bytes())
    }

    /// Writes raw bytes to stdout (exports); a closed pipe silently drops the rest.
    pub fn data_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.out_closed {
            return Ok(());
        }
        match self.out.write_all(bytes) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.out_closed = true;
                Ok(())
            }
            other => other,
        }
    }

    /// A value as pretty JSON on stdout, with a final line break.
    pub fn json(&mut self, value: &impl serde::Serialize) -> io::Result<()> {
        let mut text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
        text.push('\n');
        self.data(&text)
    }

    /// A status line on stderr.
    pub fn status(&mut self, text: &str) {
        let _ = writeln!(self.err, "{}", terminal_lines(text));
    }

    /// A dimmed status line on stderr.
    pub fn note(&mut self, text: &str) {
        let dim = self.style(DIM);
        let _ = writeln!(self.err, "{dim}{}{dim:#}", terminal_lines(text));
    }

    pub fn warning(&mut self, text: &str) {
        let s = self.style(WARNING);
        let _ = writeln!(self.err, "{s}warning{s:#}: {}", terminal_lines(text));
    }

    pub fn error(&mut self, text: &str) {
        let s = self.style(ERROR);
        let _ = writeln!(self.err, "{s}error{s:#}: {}", terminal_lines(text));
    }

    pub fn hint(&mut self, text: &str) {
        let s = self.style(HINT);
        let _ = writeln!(self.err, "{s}hint{s:#}: {}", terminal_lines(text));
    }

    /// Pre-rendered text (may hold colour codes, and must have escaped any record text) on
    /// stderr.
    pub fn err_raw(&mut self, text: &str) {
        let _ = self.err.write_all(text.as_bytes());
    }

    pub fn flush(&mut self) {
        if !self.out_closed {
            let _ = self.out.flush();
        }
        let _ = self.err.flush();
    }
}
