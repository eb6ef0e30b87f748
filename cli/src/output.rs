//! The one place that writes to stdout and stderr: data on stdout, everything else on stderr.

use std::io::{self, IsTerminal as _, Write as _};

use serde::Serialize;

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
    pub stdout_tty: bool,
    pub stderr_tty: bool,
    pub stdin_tty: bool,
}

impl Output {
    pub fn detect(json: bool) -> Self {
        Output {
            json,
            stdout_tty: io::stdout().is_terminal(),
            stderr_tty: io::stderr().is_terminal(),
            stdin_tty: io::stdin().is_terminal(),
        }
    }

    /// Writes text to stdout; a closed pipe comes back as an io error (see `errors::is_broken_pipe`).
    pub fn print(&self, text: &str) -> io::Result<()> {
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())?;
        if !text.ends_with('\n') {
            out.write_all(b"\n")?;
        }
        out.flush()
    }

    /// Raw bytes to stdout, as they come (logs).
    pub fn print_raw(&self, bytes: &[u8]) -> io::Result<()> {
        let mut out = io::stdout().lock();
        out.write_all(bytes)?;
        out.flush()
    }

    /// One JSON document on stdout: indented for a person, compact for a pipe.
    pub fn json<T: Serialize>(&self, value: &T) -> io::Result<()> {
        let text = if self.stdout_tty {
            serde_json::to_string_pretty(value)
        } else {
            serde_json::to_string(value)
        }
        .map_err(io::Error::other)?;
        self.print(&text)
    }

    /// A message for the person on stderr. Errors writing to stderr cannot be reported anywhere.
    pub fn note(&self, text: &str) {
        let _ = writeln!(io::stderr().lock(), "{text}");
    }
}
