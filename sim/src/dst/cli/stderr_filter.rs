//! Keeps madsim's per-panic `context:` lines off `dst`'s stderr.
//!
//! When a task panics, madsim writes `context: node=… task=… (spawned at …)`
//! with `eprintln!` before the panic reaches our runner, which records it
//! and reports it in the run's result line. The extra line says nothing the
//! report does not (task ids are not even stable), and on a terminal it
//! lands in the middle of the sweep's progress bar. madsim offers no hook,
//! and `eprintln!` always writes to file descriptor 2, so `dst` routes its
//! own descriptor 2 through a pipe and a thread that forwards everything but
//! those lines. The thread is outside every simulation; nothing a run does
//! depends on it.
//!
//! The progress bar still goes to the terminal, through the same filter, by
//! a draw target that does not ask descriptor 2 whether it is a terminal
//! (after the redirection it never is): [`is_terminal`] remembers.

use std::io::{self, IsTerminal, Read, Write};
use std::sync::OnceLock;

/// What madsim starts each of its lines with.
const MARKER: &[u8] = b"context: node=";

/// What descriptor 2 was before the redirection.
struct Original {
    is_terminal: bool,
    width: u16,
}

static ORIGINAL: OnceLock<Original> = OnceLock::new();

/// Whether `dst`'s stderr is a terminal (asked before the redirection).
pub fn is_terminal() -> bool {
    match ORIGINAL.get() {
        Some(original) => original.is_terminal,
        None => io::stderr().is_terminal(),
    }
}

/// A draw target for progress bars on `dst`'s stderr, through the filter.
pub fn progress_target() -> indicatif::ProgressDrawTarget {
    let width = ORIGINAL.get().map_or(80, |o| o.width);
    indicatif::ProgressDrawTarget::term_like(Box::new(FilteredTerminal { width }))
}

/// The running redirection; [`Redirection::finish`] forwards what is left.
pub struct Redirection {
    #[cfg(unix)]
    saved_fd: i32,
    forwarder: std::thread::JoinHandle<()>,
}

/// Routes descriptor 2 through the filter. `None` where that is not
/// possible (not Unix, or a system call failed): stderr then stays as it
/// was, `context:` lines included.
#[cfg(unix)]
pub fn install() -> Option<Redirection> {
    use std::os::fd::FromRawFd;
    let is_terminal = io::stderr().is_terminal();
    let width = terminal_width(2).unwrap_or(80);
    // SAFETY: plain descriptor calls on descriptors this function owns; each
    // result is checked before use.
    unsafe {
        let saved_fd = libc::dup(2);
        if saved_fd < 0 {
            return None;
        }
        let mut pipe = [0i32; 2];
        if libc::pipe(pipe.as_mut_ptr()) != 0 {
            libc::close(saved_fd);
            return None;
        }
        let [read_fd, write_fd] = pipe;
        // The forwarder must not keep the original open past `finish`, nor
        // should child processes inherit the copies.
        libc::fcntl(saved_fd, libc::F_SETFD, libc::FD_CLOEXEC);
        libc::fcntl(read_fd, libc::F_SETFD, libc::FD_CLOEXEC);
        if libc::dup2(write_fd, 2) < 0 {
            libc::close(read_fd);
            libc::close(write_fd);
            libc::close(saved_fd);
            return None;
        }
        libc::close(write_fd);
        let _ = ORIGINAL.set(Original { is_terminal, width });
        let mut from = std::fs::File::from_raw_fd(read_fd);
        let forward_fd = libc::dup(saved_fd);
        let mut to = std::fs::File::from_raw_fd(forward_fd);
        let forwarder = std::thread::spawn(move || {
            let mut filter = ContextLineFilter::default();
            let mut buffer = [0u8; 8192];
            let mut out = Vec::new();
            loop {
                match from.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => {
                        out.clear();
                        filter.feed(&buffer[..n], &mut out);
                        let _ = to.write_all(&out);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            out.clear();
            filter.finish(&mut out);
            let _ = to.write_all(&out);
        });
        Some(Redirection {
            saved_fd,
            forwarder,
        })
    }
}

#[cfg(not(unix))]
pub fn install() -> Option<Redirection> {
    None
}

impl Redirection {
    /// Puts the original stderr back and waits until everything written
    /// before is forwarded: call it before the process exits, or the last
    /// lines (an error message, a panic) could be lost in the pipe.
    pub fn finish(self) {
        let _ = io::stderr().flush();
        // SAFETY: `saved_fd` is the descriptor `install` duplicated; making
        // descriptor 2 a copy of it closes the pipe's last write end, so the
        // forwarder reads to the end and stops.
        #[cfg(unix)]
        unsafe {
            libc::dup2(self.saved_fd, 2);
            libc::close(self.saved_fd);
        }
        let _ = self.forwarder.join();
    }
}

#[cfg(unix)]
fn terminal_width(fd: i32) -> Option<u16> {
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct given.
    unsafe {
        let mut size: libc::winsize = std::mem::zeroed();
        (libc::ioctl(fd, libc::TIOCGWINSZ, &mut size) == 0 && size.ws_col > 0)
            .then_some(size.ws_col)
    }
}

/// Drops every `context: node=…` line from a byte stream, wherever it
/// starts (a progress bar leaves the cursor mid-line), and forwards all
/// other bytes at once: only a possible start of the marker is held back.
#[derive(Default)]
struct ContextLineFilter {
    /// Bytes that may be the start of the marker.
    held: Vec<u8>,
    /// Inside a marked line: dropping up to and including its newline.
    dropping: bool,
}

impl ContextLineFilter {
    fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        for &byte in input {
            if self.dropping {
                self.dropping = byte != b'\n';
                continue;
            }
            self.held.push(byte);
            if MARKER.starts_with(&self.held) {
                if self.held.len() == MARKER.len() {
                    self.held.clear();
                    self.dropping = true;
                }
                continue;
            }
            // Not the marker: everything held goes out, but the last byte
            // may itself begin the marker (its first byte occurs only once).
            let last = self.held.pop().expect("just pushed");
            out.append(&mut self.held);
            if last == MARKER[0] {
                self.held.push(last);
            } else {
                out.push(last);
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        out.append(&mut self.held);
    }
}

/// The progress bar's terminal: ANSI sequences on stderr (through the
/// filter), with the width the real terminal had.
#[derive(Debug)]
struct FilteredTerminal {
    width: u16,
}

impl FilteredTerminal {
    fn write(&self, text: &str) -> io::Result<()> {
        io::stderr().write_all(text.as_bytes())
    }

    fn move_cursor(&self, n: usize, direction: char) -> io::Result<()> {
        if n == 0 {
            return Ok(());
        }
        self.write(&format!("\x1b[{n}{direction}"))
    }
}

impl indicatif::TermLike for FilteredTerminal {
    fn width(&self) -> u16 {
        self.width
    }
    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        self.move_cursor(n, 'A')
    }
    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        self.move_cursor(n, 'B')
    }
    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        self.move_cursor(n, 'C')
    }
    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        self.move_cursor(n, 'D')
    }
    fn write_line(&self, s: &str) -> io::Result<()> {
        self.write(&format!("{s}\n"))
    }
    fn write_str(&self, s: &str) -> io::Result<()> {
        self.write(s)
    }
    fn clear_line(&self) -> io::Result<()> {
        self.write("\r\x1b[2K")
    }
    fn flush(&self) -> io::Result<()> {
        io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filtered(chunks: &[&str]) -> String {
        let mut filter = ContextLineFilter::default();
        let mut out = Vec::new();
        for chunk in chunks {
            filter.feed(chunk.as_bytes(), &mut out);
        }
        filter.finish(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn context_lines_go_and_everything_else_stays() {
        let line =
            "context: node=0 \"madsim-main\", task=8532 (spawned at sim/src/node.rs:116:16)\n";
        assert_eq!(filtered(&["a\n", line, "b\n"]), "a\nb\n");
        // Mid-line, after a progress bar's text, split across reads.
        assert_eq!(
            filtered(&[
                "\r[==>  ] 8/20 runs",
                &line[..5],
                &line[5..20],
                &line[20..],
                "x"
            ]),
            "\r[==>  ] 8/20 runs".to_string() + "x"
        );
        // Near misses pass through whole, including a `c` that restarts.
        assert_eq!(filtered(&["cccontext: nodes\n"]), "cccontext: nodes\n");
        assert_eq!(filtered(&["context: no"]), "context: no");
        assert_eq!(filtered(&["error: context: node= x\nok\n"]), "error: ok\n");
    }
}
