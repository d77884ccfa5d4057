//! An SMTP sink for the tests: a real server on a random loopback port that speaks enough of
//! RFC 5321 for lettre (EHLO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT) and keeps
//! every message. It can be told to refuse messages, or to stall, to test failures.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the sink answers messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    /// Accept and keep.
    Accept = 0,
    /// Refuse at the end of DATA with `554`.
    Refuse = 1,
    /// Never answer the greeting (a hung server).
    Stall = 2,
}

/// One message as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope sender.
    pub from: String,
    /// The envelope recipients.
    pub to: Vec<String>,
    /// The message, headers and body, with quoted-printable undone (the tests' mails are ASCII).
    pub data: String,
}

impl Received {
    /// The one-time code the mail carries (after "Or use this code: ").
    pub fn code(&self) -> String {
        let at = self
            .data
            .find("Or use this code: ")
            .unwrap_or_else(|| panic!("no code in mail: {}", self.data));
        self.data[at + "Or use this code: ".len()..]
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect()
    }

    /// The first link to `path` in the text part.
    pub fn link(&self, path: &str) -> String {
        let at = self
            .data
            .find(&format!("{path}?"))
            .unwrap_or_else(|| panic!("no {path} link in mail: {}", self.data));
        let start = self.data[..at].rfind("http").expect("link start");
        self.data[start..]
            .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}: ", name.to_ascii_lowercase());
        self.data
            .lines()
            .take_while(|l| !l.is_empty())
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].to_owned())
    }
}

/// The running sink.
#[derive(Clone)]
pub struct SmtpSink {
    /// Where it listens.
    pub addr: SocketAddr,
    mode: Arc<AtomicU8>,
    inbox: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    /// Starts a sink on a random loopback port (threads; it lives as long as the test process).
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the SMTP sink");
        let sink = SmtpSink {
            addr: listener.local_addr().expect("sink address"),
            mode: Arc::new(AtomicU8::new(Mode::Accept as u8)),
            inbox: Arc::new(Mutex::new(Vec::new())),
        };
        let s = sink.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || {
                    let _ = s.session(stream);
                });
            }
        });
        sink
    }

    /// The `--smtp-url` for usergate.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Changes how the next messages are answered.
    pub fn set_mode(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }

    /// Every message so far.
    pub fn messages(&self) -> Vec<Received> {
        self.inbox.lock().expect("inbox").clone()
    }

    /// The messages to one address.
    pub fn to(&self, address: &str) -> Vec<Received> {
        self.messages()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .collect()
    }

    /// The last message to `address`, waiting up to five seconds for it.
    pub fn last_to(&self, address: &str) -> Received {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(m) = self.to(address).pop() {
                return m;
            }
            assert!(Instant::now() < deadline, "no mail to {address}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn mode(&self) -> Mode {
        match self.mode.load(Ordering::SeqCst) {
            1 => Mode::Refuse,
            2 => Mode::Stall,
            _ => Mode::Accept,
        }
    }

    fn session(&self, stream: TcpStream) -> std::io::Result<()> {
        if self.mode() == Mode::Stall {
            std::thread::sleep(Duration::from_secs(30));
            return Ok(());
        }
        let mut out = stream.try_clone()?;
        let mut lines = BufReader::new(stream);
        out.write_all(b"220 sink.test ESMTP\r\n")?;
        let (mut from, mut to) = (String::new(), Vec::new());
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let upper = line.trim_end().to_ascii_uppercase();
            if upper.starts_with("EHLO") {
                out.write_all(b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")?;
            } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
                out.write_all(b"250 OK\r\n")?;
            } else if upper.starts_with("MAIL FROM:") {
                from = address(&line);
                to.clear();
                out.write_all(b"250 OK\r\n")?;
            } else if upper.starts_with("RCPT TO:") {
                to.push(address(&line));
                out.write_all(b"250 OK\r\n")?;
            } else if upper == "DATA" {
                out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                if self.mode() == Mode::Refuse {
                    out.write_all(b"554 Transaction failed: refused by the test\r\n")?;
                    continue;
                }
                let data = quoted_printable(&data.replace("=\r\n", "")).replace("\r\n", "\n");
                self.inbox.lock().expect("inbox").push(Received {
                    from: from.clone(),
                    to: to.clone(),
                    data,
                });
                out.write_all(b"250 OK queued\r\n")?;
            } else if upper.starts_with("RSET") {
                from.clear();
                to.clear();
                out.write_all(b"250 OK\r\n")?;
            } else if upper.starts_with("QUIT") {
                out.write_all(b"221 Bye\r\n")?;
                return Ok(());
            } else {
                out.write_all(b"502 Command not implemented\r\n")?;
            }
        }
    }
}

/// `MAIL FROM:<a@b> SIZE=1` -> `a@b`.
fn address(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line[start..].find('>').map_or(line.len(), |i| start + i);
    line[start..end].trim().to_owned()
}

/// Undoes quoted-printable `=XX` escapes (soft breaks are removed before).
fn quoted_printable(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
            && bytes[i + 1].is_ascii_uppercase() | bytes[i + 1].is_ascii_digit()
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
