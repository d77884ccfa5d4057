//! What an import tells its operator: the report of rejected records (a CSV file, written only
//! when a record is rejected) and its progress on the terminal.

use std::fs::File;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use usergate_core::import::{Rejection, Tally};

use super::{csv_error, file_error};
use crate::StartError;

/// `1 record`, `2 records`.
pub(super) fn records(n: u64) -> String {
    format!("{n} record{}", if n == 1 { "" } else { "s" })
}

/// What an import did, in words.
pub(super) fn describe(t: &Tally) -> String {
    format!(
        "{}: {} created, {} updated, {} skipped, {} rejected",
        records(t.records),
        t.created,
        t.updated,
        t.skipped,
        t.rejected
    )
}

/// The report of rejected records: CSV of line, record, email, field, reason. The file is
/// created by the first rejection, so an import that rejects nothing leaves none.
pub(super) struct Report {
    path: PathBuf,
    resume: bool,
    out: Option<csv::Writer<File>>,
}

impl Report {
    /// A report at `path`; `resume`: an interrupted import's report goes on. A fresh import
    /// removes the report an earlier import left there, which would no longer be true.
    pub(super) fn new(path: &Path, resume: bool) -> Result<Report, StartError> {
        if !resume {
            match std::fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(file_error(path, e)),
            }
        }
        Ok(Report {
            path: path.to_owned(),
            resume,
            out: None,
        })
    }

    fn open(&mut self) -> Result<&mut csv::Writer<File>, StartError> {
        if self.out.is_none() {
            let exists = self.path.exists();
            let file = File::options()
                .create(true)
                .append(self.resume)
                .write(true)
                .truncate(!self.resume)
                .open(&self.path)
                .map_err(|e| file_error(&self.path, e))?;
            let mut out = csv::Writer::from_writer(file);
            if !(self.resume && exists) {
                out.write_record(["line", "record", "email", "field", "reason"])
                    .map_err(|e| csv_error(&self.path, e))?;
            }
            self.out = Some(out);
        }
        self.out
            .as_mut()
            .ok_or_else(|| StartError::Input("the report is not open".into()))
    }

    /// Adds a batch's rejections, flushed: the report holds what the committed batches
    /// rejected.
    pub(super) fn write(&mut self, rejected: &[Rejection]) -> Result<(), StartError> {
        if rejected.is_empty() {
            return Ok(());
        }
        let path = self.path.clone();
        let out = self.open()?;
        for r in rejected {
            let (line, record) = (r.at.line.to_string(), r.at.record.to_string());
            let email = r.email.as_deref().unwrap_or("");
            out.write_record([line.as_str(), &record, email, &r.field, &r.reason])
                .map_err(|e| csv_error(&path, e))?;
        }
        out.flush().map_err(|e| file_error(&path, e))
    }
}

/// A progress bar with rate and ETA on a terminal; elsewhere a plain line every few seconds.
pub(super) struct Progress {
    bar: Option<ProgressBar>,
    total: u64,
    records: u64,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    const PLAIN_EVERY: Duration = Duration::from_secs(5);

    pub(super) fn new(total: u64, dry_run: bool) -> Progress {
        let bar = io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            let template = "{prefix} {wide_bar} {percent:>3}% {msg} [{elapsed_precise}, ETA {eta}]";
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar.set_prefix(if dry_run { "checking" } else { "importing" });
            bar
        });
        let now = Instant::now();
        Progress {
            bar,
            total,
            records: 0,
            started: now,
            last_line: now,
        }
    }

    pub(super) fn update(&mut self, bytes: u64, done: &Tally) {
        self.records += done.records;
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = self.records as f64 / secs;
        if let Some(bar) = &self.bar {
            bar.set_position(bytes);
            bar.set_message(format!("{}, {rate:.0}/s", records(self.records)));
        } else if self.last_line.elapsed() >= Self::PLAIN_EVERY {
            self.last_line = Instant::now();
            let share = bytes as f64 / self.total.max(1) as f64;
            let eta = secs * (1.0 - share) / share.max(1e-9);
            eprintln!(
                "import: {:.0}% ({}, {rate:.0} records/s, ETA {eta:.0} s)",
                share * 100.0,
                records(self.records)
            );
        }
    }

    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
