//! `usergate import` and `usergate export`: users in and out of the store.
//!
//! Formats: core's own CSV and JSON Lines (one column or key per field of [`COLUMNS`]; what
//! `export` writes, `import` reads back, both core's [`usergate_core::import::Row`]), and, for
//! import only, a listing saved from a live DreamFactory (`{"resource":[...]}` of `GET
//! /api/v2/system/user` or `/system/admin`) or Domo (the array `GET /v1/users` returns), whose
//! records those dialects' crates read.
//!
//! Files are streamed (`readers`): memory does not grow with their size. The rules (what a
//! record may hold, conflicts, batches and checkpoints) are core's ([`usergate_core::import`]);
//! this module moves files through them, shows progress and writes the report of rejected
//! records (`report`).

mod readers;
mod report;

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use usergate_core::import::{COLUMNS, Import, OnConflict, Rejection, Tally, columns};
use usergate_core::{Actor, Channel, Email, PasswordPolicy, UserId};

use crate::StartError;
use crate::commands::operator_core_at;
use crate::config::{ConflictMode, ExportArgs, ExportFormat, ImportArgs, ImportFormat, RoleArg};
use readers::{Item, check_json, read_csv, read_json_array, read_jsonl};
use report::{Progress, Report, describe};

/// Records per transaction, unless `--batch-size` says otherwise.
pub const DEFAULT_BATCH: usize = 1000;
/// The largest batch: 21 values a record stay under SQLite's 32,766 bound variables.
pub const MAX_BATCH: usize = 1500;

/// What an import did, for the exit code.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    /// Counts over the whole import (earlier, interrupted runs of it included).
    pub tally: Tally,
    /// Where the rejected records are listed (when there are any).
    pub report: PathBuf,
}

/// An import to run: a file, its format and the options that decide what it does (the same
/// for `usergate import` and the console's import page).
pub struct Job<'a> {
    /// The file.
    pub file: &'a Path,
    /// Its format.
    pub format: ImportFormat,
    /// Check only, write nothing.
    pub dry_run: bool,
    /// What a record whose address a user already has does.
    pub on_conflict: ConflictMode,
    /// The role of records that name none.
    pub role: RoleArg,
    /// Password hashes to join with a DreamFactory or Domo listing.
    pub hashes: Option<&'a HashMap<String, String>>,
    /// Records a transaction.
    pub batch_size: usize,
}

/// Where an import reports while it runs.
pub trait Progression {
    /// The import starts; `earlier` is what an interrupted run of it already did (it resumes
    /// after that many records).
    fn started(&mut self, earlier: &Tally) -> Result<(), StartError>;
    /// A batch was done: the bytes of the file read so far, the batch's counts, its rejections.
    fn batch(&mut self, bytes: u64, done: &Tally, rejected: &[Rejection])
    -> Result<(), StartError>;
}

/// How an import ended.
#[derive(Debug, Clone)]
pub struct Ran {
    /// Counts over the whole import (earlier, interrupted runs of it included).
    pub tally: Tally,
    /// It had finished before: nothing was done this time.
    pub already: bool,
}

/// Runs an import as `actor` through core's import rules, reporting to `sink`.
pub fn run(
    users: &usergate_core::UserService,
    actor: &Actor,
    job: &Job<'_>,
    sink: &mut dyn Progression,
) -> Result<Ran, StartError> {
    if !(1..=MAX_BATCH).contains(&job.batch_size) {
        return Err(StartError::Config(format!(
            "--batch-size must be between 1 and {MAX_BATCH}"
        )));
    }
    let run = run_key(job)?;
    if matches!(job.format, ImportFormat::Dreamfactory | ImportFormat::Domo) {
        // A JSON document cannot be read past a syntax error: find one before writing anything.
        check_json(job.file)?;
    }
    let mut import = Import::start(users, actor, &run, job.on_conflict.into(), job.dry_run)?;
    let earlier = import.checkpoint().tally;
    if import.checkpoint().finished {
        return Ok(Ran {
            tally: earlier,
            already: true,
        });
    }
    sink.started(&earlier)?;
    let role = job.role.into();
    let skip = earlier.records;
    let mut seen = 0u64;
    let mut batch: Vec<Item> = Vec::with_capacity(job.batch_size);
    let mut flush = |batch: &mut Vec<Item>, bytes: u64| -> Result<(), StartError> {
        let (done, rejected) = import.batch(std::mem::take(batch))?;
        sink.batch(bytes, &done, &rejected)
    };
    let mut on_item = |item: Item, bytes: u64| -> Result<(), StartError> {
        seen += 1;
        if seen <= skip {
            return Ok(());
        }
        let item = match (item, job.hashes) {
            (Ok(mut record), Some(hashes)) => {
                record.password_hash = hashes.get(record.user.email.normalized()).cloned();
                Ok(record)
            }
            (item, _) => item,
        };
        batch.push(item);
        if batch.len() >= job.batch_size {
            flush(&mut batch, bytes)?;
        }
        Ok(())
    };
    let file = job.file;
    let end = match job.format {
        ImportFormat::Csv => read_csv(file, role, &mut on_item)?,
        ImportFormat::Jsonl => read_jsonl(file, role, &mut on_item)?,
        ImportFormat::Dreamfactory => {
            read_json_array(file, Some("resource"), &mut |v, at, bytes| {
                let email = email_of(&v);
                let item = usergate_dialect_dreamfactory::convert::import_record(v, role, at)
                    .map_err(|e| Rejection::from_error(at, email.as_deref(), &e));
                on_item(item, bytes)
            })?
        }
        ImportFormat::Domo => read_json_array(file, None, &mut |v, at, bytes| {
            let email = email_of(&v);
            let item = usergate_dialect_domo::convert::import_record(v, at)
                .map_err(|e| Rejection::from_error(at, email.as_deref(), &e));
            on_item(item, bytes)
        })?,
    };
    if !batch.is_empty() {
        flush(&mut batch, end)?;
    }
    Ok(Ran {
        tally: import.finish()?,
        already: false,
    })
}

/// The CLI's sink: the report file of rejected records and a progress bar.
struct Terminal<'a> {
    report_path: &'a Path,
    report: Option<Report>,
    progress: Progress,
    file: &'a Path,
}

impl Progression for Terminal<'_> {
    fn started(&mut self, earlier: &Tally) -> Result<(), StartError> {
        if earlier.records > 0 {
            eprintln!(
                "import: resuming after record {} (an earlier run committed {})",
                earlier.records,
                describe(earlier)
            );
        }
        self.report = Some(Report::new(self.report_path, earlier.records > 0)?);
        Ok(())
    }

    fn batch(
        &mut self,
        bytes: u64,
        done: &Tally,
        rejected: &[Rejection],
    ) -> Result<(), StartError> {
        if let Some(report) = &mut self.report {
            report.write(rejected)?;
        }
        self.progress.update(bytes, done);
        Ok(())
    }
}

/// `usergate import`.
pub fn import(args: &ImportArgs) -> Result<ImportSummary, StartError> {
    let format = match args.format {
        Some(f) => f,
        None => ImportFormat::from_path(&args.file).ok_or_else(|| {
            StartError::Config(format!(
                "cannot tell the format of {} from its name: say --format csv, jsonl, dreamfactory or domo",
                args.file.display()
            ))
        })?,
    };
    let hashes = match &args.hashes {
        Some(_) if matches!(format, ImportFormat::Csv | ImportFormat::Jsonl) => {
            return Err(StartError::Config(
                "--hashes is for dreamfactory and domo listings; csv and jsonl carry a password_hash column".into(),
            ));
        }
        Some(path) => Some(read_hashes(path)?),
        None => None,
    };
    let total = std::fs::metadata(&args.file)
        .map_err(|e| file_error(&args.file, e))?
        .len();
    let core = operator_core_at(&args.db.url(), PasswordPolicy::default())?;
    let report_path = args
        .report
        .clone()
        .unwrap_or_else(|| with_suffix(&args.file, ".rejected.csv"));
    let job = Job {
        file: &args.file,
        format,
        dry_run: args.dry_run,
        on_conflict: args.on_conflict,
        role: args.role,
        hashes: hashes.as_ref(),
        batch_size: args.batch_size,
    };
    let mut sink = Terminal {
        report_path: &report_path,
        report: None,
        progress: Progress::new(total, args.dry_run),
        file: &args.file,
    };
    let ran = run(
        &core.users,
        &Actor::system(Channel::Import),
        &job,
        &mut sink,
    )?;
    let tally = ran.tally;
    if ran.already {
        eprintln!(
            "import: {} was already imported with these options ({}); nothing to do",
            args.file.display(),
            describe(&tally)
        );
        return Ok(ImportSummary {
            tally,
            report: report_path,
        });
    }
    sink.progress.finish();
    let verb = if args.dry_run {
        "dry run (nothing written)"
    } else {
        "import"
    };
    let listed = if tally.rejected > 0 {
        format!("; rejected records are listed in {}", report_path.display())
    } else {
        String::new()
    };
    println!(
        "{verb}: {} ({}): {}{listed}",
        sink.file.display(),
        format.name(),
        describe(&tally),
    );
    Ok(ImportSummary {
        tally,
        report: report_path,
    })
}

pub(super) fn file_error(path: &Path, e: io::Error) -> StartError {
    StartError::File {
        path: path.to_owned(),
        source: e,
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The identity of an import: its options and the contents of its files. Running it again
/// resumes it; any change to the file makes another import.
fn run_key(job: &Job<'_>) -> Result<String, StartError> {
    let mut digest = Sha256::new();
    digest.update(format!(
        "usergate import v1\n{}\n{:?}\n{:?}\n",
        job.format.name(),
        job.role,
        job.on_conflict
    ));
    let mut feed = |path: &Path| -> Result<(), StartError> {
        let mut file = File::open(path).map_err(|e| file_error(path, e))?;
        io::copy(&mut file, &mut DigestWriter(&mut digest)).map_err(|e| file_error(path, e))?;
        digest.update(b"\n--\n");
        Ok(())
    };
    feed(job.file)?;
    if let Some(hashes) = job.hashes {
        // The hashes joined, in a stable order: the same file of hashes is the same import.
        let mut pairs: Vec<_> = hashes.iter().collect();
        pairs.sort();
        for (email, hash) in pairs {
            digest.update(format!("{email}\t{hash}\n"));
        }
    }
    Ok(digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

struct DigestWriter<'a>(&'a mut Sha256);

impl Write for DigestWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `--hashes FILE`: a CSV with an `email` column and a `password_hash` (or `password`, as
/// DreamFactory's `user` table names it) column, as `SELECT email, password FROM user` writes
/// it. Held in memory (about 150 bytes a user) to be joined with the listing.
fn read_hashes(path: &Path) -> Result<HashMap<String, String>, StartError> {
    let mut csv = csv::Reader::from_path(path).map_err(|e| csv_error(path, e))?;
    let headers = csv.headers().map_err(|e| csv_error(path, e))?.clone();
    let column = |names: &[&str]| headers.iter().position(|h| names.contains(&h.trim()));
    let (Some(email), Some(hash)) = (column(&["email"]), column(&["password_hash", "password"]))
    else {
        return Err(StartError::Input(format!(
            "{}: needs an `email` and a `password_hash` (or `password`) column",
            path.display()
        )));
    };
    let mut map = HashMap::new();
    for row in csv.records() {
        let row = row.map_err(|e| csv_error(path, e))?;
        let line = row.position().map_or(0, csv::Position::line);
        let (Some(e), Some(h)) = (row.get(email), row.get(hash)) else {
            continue;
        };
        if h.is_empty() {
            continue;
        }
        let e = Email::parse(e).map_err(|_| {
            StartError::Input(format!("{}:{line}: not an email address", path.display()))
        })?;
        map.insert(e.normalized().to_owned(), h.to_owned());
    }
    Ok(map)
}

pub(super) fn csv_error(path: &Path, e: csv::Error) -> StartError {
    StartError::Input(format!("{}: {e}", path.display()))
}

/// The email a rejected JSON record names, for its report line.
fn email_of(v: &Value) -> Option<String> {
    v.get("email").and_then(Value::as_str).map(str::to_owned)
}

/// `usergate export`; returns how many users were written.
pub fn export(args: &ExportArgs) -> Result<u64, StartError> {
    let format = args
        .format
        .or_else(|| args.output.as_deref().and_then(ExportFormat::from_path))
        .unwrap_or(ExportFormat::Csv);
    if args.include_password_hashes && args.output.is_none() {
        return Err(StartError::Config(
            "--include-password-hashes writes only to a file (--output), created readable by its owner alone".into(),
        ));
    }
    let core = operator_core_at(&args.db.url(), PasswordPolicy::default())?;
    // A file is written beside its destination, readable by its owner only (mode 0600), and
    // moved into place once complete: never half an export, never hashes readable by others.
    let (out, staged): (Box<dyn Write>, _) = match &args.output {
        Some(path) => {
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let staged = tempfile::NamedTempFile::new_in(dir).map_err(|e| file_error(path, e))?;
            let file = staged.reopen().map_err(|e| file_error(path, e))?;
            (Box::new(BufWriter::new(file)), Some((staged, path)))
        }
        None => (Box::new(BufWriter::new(io::stdout().lock())), None),
    };
    let target = args.output.clone().unwrap_or_else(|| PathBuf::from("-"));
    let fail = |e: io::Error| file_error(&target, e);
    let csv_fail = |e: csv::Error| csv_error(&target, e);
    let mut sink = match format {
        ExportFormat::Csv => {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record(COLUMNS).map_err(csv_fail)?;
            Sink::Csv(Box::new(csv))
        }
        ExportFormat::Jsonl => Sink::Jsonl(out),
    };
    let mut after: Option<UserId> = None;
    let mut written = 0u64;
    loop {
        let page = core.users.export_page(
            &Actor::system(Channel::Cli),
            after,
            1000,
            args.include_deleted,
            args.include_password_hashes,
        )?;
        let Some(last) = page.last() else { break };
        after = Some(last.user.id);
        for e in &page {
            let fields = columns(e);
            match &mut sink {
                Sink::Csv(csv) => csv.write_record(csv_cells(&fields)).map_err(csv_fail)?,
                Sink::Jsonl(out) => {
                    serde_json::to_writer(&mut *out, &fields)
                        .map_err(io::Error::from)
                        .map_err(fail)?;
                    out.write_all(b"\n").map_err(fail)?;
                }
            }
            written += 1;
        }
    }
    let mut out = match sink {
        Sink::Csv(csv) => csv.into_inner().map_err(|e| fail(e.into_error()))?,
        Sink::Jsonl(out) => out,
    };
    out.flush().map_err(fail)?;
    drop(out);
    if let Some((staged, path)) = staged {
        staged
            .persist(path)
            .map_err(|e| file_error(path, e.error))?;
    }
    eprintln!("export: {written} users to {}", target.display());
    Ok(written)
}

/// Where an export's records go.
enum Sink {
    /// Core's CSV, a header first.
    Csv(Box<csv::Writer<Box<dyn Write>>>),
    /// One JSON object a line.
    Jsonl(Box<dyn Write>),
}

/// An exported user's CSV cells, in the order of [`COLUMNS`]: text as it is, numbers and the
/// attributes object as JSON, absent values empty.
fn csv_cells(fields: &Map<String, Value>) -> Vec<String> {
    COLUMNS
        .iter()
        .map(|c| match &fields[*c] {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

impl From<crate::config::ConflictMode> for OnConflict {
    fn from(m: crate::config::ConflictMode) -> Self {
        match m {
            crate::config::ConflictMode::Skip => OnConflict::Skip,
            crate::config::ConflictMode::Update => OnConflict::Update,
            crate::config::ConflictMode::Fail => OnConflict::Fail,
        }
    }
}
