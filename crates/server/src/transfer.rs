//! `usergate import` and `usergate export`: users in and out of the store.
//!
//! Formats: core's own CSV and JSON Lines (one column or key per field of [`COLUMNS`]; what
//! `export` writes, `import` reads back), and, for import only, a listing saved from a live
//! DreamFactory (`{"resource":[...]}` of `GET /api/v2/system/user` or `/system/admin`) or Domo
//! (the array `GET /v1/users` returns), read by those dialects' crates.
//!
//! Files are streamed: memory does not grow with their size. The rules (what a record may hold,
//! conflicts, batches and checkpoints) are core's ([`usergate_core::import`]); this module reads
//! and writes files, shows progress and writes the report of rejected records.

use std::cell::Cell;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use usergate_core::import::{
    Exported, Import, ImportRecord, OnConflict, Rejection, Tally, parse_time,
};
use usergate_core::{Actor, Email, NewUser, PasswordPolicy, Problem, Role, Status, UserId};

use crate::StartError;
use crate::commands::operator_core_at;
use crate::config::{ExportArgs, ExportFormat, ImportArgs, ImportFormat};

/// The fields of core's CSV and JSON Lines formats, in their column order. `id`,
/// `updated_at` and `last_login_at` are written by `export` and ignored by `import` (the store
/// assigns ids; an imported user was last changed by its import).
pub const COLUMNS: [&str; 21] = [
    "id",
    "email",
    "name",
    "first_name",
    "last_name",
    "title",
    "phone",
    "alternate_email",
    "location",
    "timezone",
    "locale",
    "avatar_url",
    "role",
    "status",
    "employee_number",
    "attributes",
    "password_hash",
    "created_at",
    "updated_at",
    "last_login_at",
    "deleted_at",
];

/// Records per transaction, unless `--batch-size` says otherwise.
pub const DEFAULT_BATCH: usize = 1000;
/// The largest batch: 21 values a record stay under SQLite's 32,766 bound variables.
pub const MAX_BATCH: usize = 1500;

/// What an import did, for the exit code.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    /// Counts over the whole import (earlier, interrupted runs of it included).
    pub tally: Tally,
    /// Where the rejected records are listed.
    pub report: PathBuf,
}

/// One record as a reader made it, or why it could not.
type Item = Result<ImportRecord, Vec<Rejection>>;

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
    if !(1..=MAX_BATCH).contains(&args.batch_size) {
        return Err(StartError::Config(format!(
            "--batch-size must be between 1 and {MAX_BATCH}"
        )));
    }
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
    let run = run_key(args, format)?;
    if matches!(format, ImportFormat::Dreamfactory | ImportFormat::Domo) {
        // A JSON document cannot be read past a syntax error: find one before writing anything.
        check_json(&args.file)?;
    }
    let core = operator_core_at(&args.db.url(), PasswordPolicy::default())?;
    let on_conflict = args.on_conflict.into();
    let mut import = Import::start(&core.users, &Actor::System, &run, on_conflict, args.dry_run)?;
    let report_path = args
        .report
        .clone()
        .unwrap_or_else(|| with_suffix(&args.file, ".rejected.csv"));
    let earlier = import.checkpoint().tally;
    if import.checkpoint().finished {
        eprintln!(
            "import: {} was already imported with these options ({}); nothing to do",
            args.file.display(),
            describe(&earlier)
        );
        return Ok(ImportSummary {
            tally: earlier,
            report: report_path,
        });
    }
    if earlier.records > 0 {
        eprintln!(
            "import: resuming after record {} (an earlier run committed {})",
            earlier.records,
            describe(&earlier)
        );
    }
    let mut report = Report::open(&report_path, earlier.records > 0)?;
    let mut progress = Progress::new(total, args.dry_run);
    let role = args.role.into();
    let skip = earlier.records;
    let mut seen = 0u64;
    let mut batch: Vec<Item> = Vec::with_capacity(args.batch_size);
    let mut flush = |batch: &mut Vec<Item>, bytes: u64| -> Result<(), StartError> {
        let (done, rejected) = import.batch(std::mem::take(batch))?;
        report.write(&rejected)?;
        progress.update(bytes, &done);
        Ok(())
    };
    let mut on_item = |item: Item, bytes: u64| -> Result<(), StartError> {
        seen += 1;
        if seen <= skip {
            return Ok(());
        }
        let item = match (item, &hashes) {
            (Ok(mut record), Some(hashes)) => {
                record.password_hash = hashes.get(record.user.email.normalized()).cloned();
                Ok(record)
            }
            (item, _) => item,
        };
        batch.push(item);
        if batch.len() >= args.batch_size {
            flush(&mut batch, bytes)?;
        }
        Ok(())
    };
    let end = match format {
        ImportFormat::Csv => read_csv(&args.file, role, &mut on_item)?,
        ImportFormat::Jsonl => read_jsonl(&args.file, role, &mut on_item)?,
        ImportFormat::Dreamfactory => {
            read_json_array(&args.file, Some("resource"), &mut |v, line, bytes| {
                let email = email_of(&v, "email").map(str::to_owned);
                let item = usergate_dialect_dreamfactory::convert::import_record(v, role, line)
                    .map_err(|e| Rejection::from_error(line, email.as_deref(), &e));
                on_item(item, bytes)
            })?
        }
        ImportFormat::Domo => read_json_array(&args.file, None, &mut |v, line, bytes| {
            let email = email_of(&v, "email").map(str::to_owned);
            let item = usergate_dialect_domo::convert::import_record(v, line)
                .map_err(|e| Rejection::from_error(line, email.as_deref(), &e));
            on_item(item, bytes)
        })?,
    };
    if !batch.is_empty() {
        flush(&mut batch, end)?;
    }
    progress.finish();
    report.close()?;
    let tally = import.finish()?;
    let verb = if args.dry_run {
        "dry run (nothing written)"
    } else {
        "import"
    };
    println!(
        "{verb}: {} ({}): {}; rejected records are listed in {}",
        args.file.display(),
        format.name(),
        describe(&tally),
        report_path.display()
    );
    Ok(ImportSummary {
        tally,
        report: report_path,
    })
}

fn describe(t: &Tally) -> String {
    format!(
        "{} records: {} created, {} updated, {} skipped, {} rejected",
        t.records, t.created, t.updated, t.skipped, t.rejected
    )
}

fn file_error(path: &Path, e: io::Error) -> StartError {
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
fn run_key(args: &ImportArgs, format: ImportFormat) -> Result<String, StartError> {
    let mut digest = Sha256::new();
    digest.update(format!(
        "usergate import v1\n{}\n{:?}\n{:?}\n",
        format.name(),
        args.role,
        args.on_conflict
    ));
    let mut feed = |path: &Path| -> Result<(), StartError> {
        let mut file = File::open(path).map_err(|e| file_error(path, e))?;
        io::copy(&mut file, &mut DigestWriter(&mut digest)).map_err(|e| file_error(path, e))?;
        digest.update(b"\n--\n");
        Ok(())
    };
    feed(&args.file)?;
    if let Some(hashes) = &args.hashes {
        feed(hashes)?;
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

fn csv_error(path: &Path, e: csv::Error) -> StartError {
    StartError::Input(format!("{}: {e}", path.display()))
}

/// The email a rejected JSON record names, for its report line.
fn email_of<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

/// Reads core's CSV format; returns the bytes read.
fn read_csv(
    path: &Path,
    role: Role,
    on_item: &mut dyn FnMut(Item, u64) -> Result<(), StartError>,
) -> Result<u64, StartError> {
    let file = File::open(path).map_err(|e| file_error(path, e))?;
    let mut csv = csv::ReaderBuilder::new().from_reader(BufReader::with_capacity(1 << 16, file));
    let headers = csv.headers().map_err(|e| csv_error(path, e))?.clone();
    let names: Vec<String> = headers.iter().map(|h| h.trim().to_owned()).collect();
    if let Some(unknown) = names.iter().find(|n| !COLUMNS.contains(&n.as_str())) {
        return Err(StartError::Input(format!(
            "{}: unknown column {unknown:?} (the columns are: {})",
            path.display(),
            COLUMNS.join(", ")
        )));
    }
    if !names.iter().any(|n| n == "email") {
        return Err(StartError::Input(format!(
            "{}: no `email` column",
            path.display()
        )));
    }
    let mut row = csv::StringRecord::new();
    loop {
        let line = csv.position().line();
        let item = match csv.read_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {
                let mut fields = Map::new();
                for (name, value) in names.iter().zip(row.iter()) {
                    if !value.is_empty() {
                        fields.insert(name.clone(), Value::String(value.to_owned()));
                    }
                }
                record_of(&fields, line, role)
            }
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => return Err(csv_error(path, e)),
            Err(e) => Err(vec![Rejection {
                line,
                email: None,
                field: "record".into(),
                reason: match e.kind() {
                    csv::ErrorKind::UnequalLengths { len, .. } => {
                        format!("{len} fields where the header has {}", names.len())
                    }
                    _ => e.to_string(),
                },
            }]),
        };
        on_item(item, csv.position().byte())?;
    }
    Ok(csv.position().byte())
}

/// Reads core's JSON Lines format (one object a line; blank lines are skipped); returns the
/// bytes read.
fn read_jsonl(
    path: &Path,
    role: Role,
    on_item: &mut dyn FnMut(Item, u64) -> Result<(), StartError>,
) -> Result<u64, StartError> {
    let file = File::open(path).map_err(|e| file_error(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut buf = Vec::new();
    let (mut line, mut bytes) = (0u64, 0u64);
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| file_error(path, e))?;
        if n == 0 {
            break;
        }
        line += 1;
        bytes += n as u64;
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let reject = |reason: String| {
            Err(vec![Rejection {
                line,
                email: None,
                field: "record".into(),
                reason,
            }])
        };
        let item = match serde_json::from_slice::<Value>(&buf) {
            Ok(Value::Object(fields)) => record_of(&fields, line, role),
            Ok(_) => reject("not a JSON object".into()),
            Err(e) => reject(format!("not JSON: {e}")),
        };
        on_item(item, bytes)?;
    }
    Ok(bytes)
}

/// One record of core's format (`fields`: a JSONL object, or a CSV row's non-empty cells as
/// strings). Every problem is reported, one per field.
fn record_of(fields: &Map<String, Value>, line: u64, default_role: Role) -> Item {
    let mut rejections = Vec::new();
    let email_text = fields.get("email").and_then(Value::as_str);
    let mut reject = |field: &str, reason: String| {
        rejections.push(Rejection {
            line,
            email: email_text.map(str::to_owned),
            field: field.to_owned(),
            reason,
        });
    };
    let mut text = |key: &str| -> Option<String> {
        match fields.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                reject(key, "not a string".into());
                None
            }
        }
    };
    let email = text("email");
    let name = text("name");
    let profile = usergate_core::Profile {
        first_name: text("first_name"),
        last_name: text("last_name"),
        title: text("title"),
        phone: text("phone"),
        alternate_email: text("alternate_email"),
        location: text("location"),
        timezone: text("timezone"),
        locale: text("locale"),
        avatar_url: text("avatar_url"),
    };
    let role = text("role");
    let status = text("status");
    let password_hash = text("password_hash");
    let created_at = text("created_at");
    let deleted_at = text("deleted_at");
    for key in fields.keys() {
        if !COLUMNS.contains(&key.as_str()) {
            reject(key, "unknown field".into());
        }
    }
    let email = match email.map(|e| Email::parse(&e)) {
        None => {
            reject("email", Problem::Required.to_string());
            None
        }
        Some(Err(e)) => {
            reject("email", e.problem.to_string());
            None
        }
        Some(Ok(e)) => Some(e),
    };
    let allowed = |names: &[&str]| Problem::NotAllowed {
        allowed: names.iter().map(|n| (*n).to_owned()).collect(),
    };
    let role = match role.map(|r| r.parse::<Role>()) {
        None => default_role,
        Some(Ok(r)) => r,
        Some(Err(_)) => {
            let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            reject("role", allowed(&names).to_string());
            default_role
        }
    };
    let status = match status.map(|s| s.parse::<Status>()) {
        None => Status::Active,
        Some(Ok(s)) => s,
        Some(Err(_)) => {
            let names: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
            reject("status", allowed(&names).to_string());
            Status::Active
        }
    };
    let employee_number = match fields.get("employee_number") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.is_i64() => n.as_i64(),
        Some(Value::String(s)) if s.trim().parse::<i64>().is_ok() => s.trim().parse().ok(),
        Some(_) => {
            reject("employee_number", "not a whole number".into());
            None
        }
    };
    let attributes = match fields.get("attributes") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(Value::String(s)) => match serde_json::from_str(s) {
            Ok(Value::Object(m)) => m,
            _ => {
                reject("attributes", "not a JSON object".into());
                Map::new()
            }
        },
        Some(_) => {
            reject("attributes", "not a JSON object".into());
            Map::new()
        }
    };
    let mut time = |key: &str, value: Option<String>| {
        value.and_then(|v| {
            let t = parse_time(&v);
            if t.is_none() {
                reject(
                    key,
                    "not a time (RFC 3339, or YYYY-MM-DD HH:MM:SS in UTC)".into(),
                );
            }
            t
        })
    };
    let created_at = time("created_at", created_at);
    let deleted_at = time("deleted_at", deleted_at);
    match email {
        Some(email) if rejections.is_empty() => Ok(ImportRecord {
            line,
            user: NewUser {
                name,
                profile,
                role,
                status,
                employee_number,
                attributes,
                ..NewUser::new(email)
            },
            password_hash,
            created_at,
            deleted_at,
        }),
        _ => Err(rejections),
    }
}

/// Finds a JSON syntax error anywhere in the file, without keeping the document.
fn check_json(path: &Path) -> Result<(), StartError> {
    let file = File::open(path).map_err(|e| file_error(path, e))?;
    let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 16, file));
    de::Deserialize::deserialize(&mut de)
        .and_then(|IgnoredAny| de.end())
        .map_err(|e| StartError::Input(format!("{}: not valid JSON: {e}", path.display())))
}

/// Reads the array of a JSON file (at the top, or under `key` of a top-level object), one
/// element at a time; `on_element` gets each with the line it starts on and the bytes read so
/// far. Returns the bytes read.
fn read_json_array(
    path: &Path,
    key: Option<&str>,
    on_element: &mut dyn FnMut(Value, u64, u64) -> Result<(), StartError>,
) -> Result<u64, StartError> {
    let file = File::open(path).map_err(|e| file_error(path, e))?;
    let position = Rc::new(Position::default());
    let reader = Counting {
        inner: BufReader::with_capacity(1 << 16, file),
        position: position.clone(),
    };
    let mut stopped = None;
    let mut de = serde_json::Deserializer::from_reader(reader);
    let found = Elements {
        key,
        on_element,
        position: &position,
        stopped: &mut stopped,
    }
    .deserialize(&mut de);
    if let Some(e) = stopped {
        return Err(e);
    }
    match found {
        Ok(true) => Ok(position.bytes.get()),
        Ok(false) => Err(StartError::Input(format!(
            "{}: no {:?} array in the top-level object",
            path.display(),
            key.unwrap_or_default()
        ))),
        Err(e) => Err(StartError::Input(format!("{}: {e}", path.display()))),
    }
}

/// How far a JSON reader got: bytes and lines consumed, and the line of the first byte of the
/// element being read (recorded once the reader is armed).
#[derive(Default)]
struct Position {
    bytes: Cell<u64>,
    line: Cell<u64>,
    armed: Cell<bool>,
    start: Cell<u64>,
}

/// A reader that keeps [`Position`] (serde_json reads one byte at a time from it).
struct Counting<R> {
    inner: R,
    position: Rc<Position>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let p = &self.position;
        p.bytes.set(p.bytes.get() + n as u64);
        for b in &buf[..n] {
            if p.armed.get() && !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[') {
                p.armed.set(false);
                p.start.set(p.line.get() + 1);
            }
            if *b == b'\n' {
                p.line.set(p.line.get() + 1);
            }
        }
        Ok(n)
    }
}

/// Visits the array (or the object holding it under `key`), handing out each element.
struct Elements<'a, 'k> {
    key: Option<&'k str>,
    on_element: &'a mut dyn FnMut(Value, u64, u64) -> Result<(), StartError>,
    position: &'a Position,
    stopped: &'a mut Option<StartError>,
}

impl<'de> DeserializeSeed<'de> for Elements<'_, '_> {
    /// Whether the array was found.
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Elements<'_, '_> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.key {
            Some(key) => write!(f, "an object with a {key:?} array, or an array"),
            None => f.write_str("an array"),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        loop {
            self.position.armed.set(true);
            let Some(element) = seq.next_element::<Value>()? else {
                return Ok(true);
            };
            let (line, bytes) = (self.position.start.get(), self.position.bytes.get());
            if let Err(e) = (self.on_element)(element, line, bytes) {
                *self.stopped = Some(e);
                return Err(de::Error::custom("stopped"));
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let Some(wanted) = self.key else {
            return Err(de::Error::invalid_type(de::Unexpected::Map, &self));
        };
        let mut found = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == wanted && !found {
                found = map.next_value_seed(Elements {
                    key: None,
                    on_element: &mut *self.on_element,
                    position: self.position,
                    stopped: &mut *self.stopped,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// The report of rejected records: CSV of line, email, field, reason.
struct Report {
    path: PathBuf,
    out: csv::Writer<File>,
}

impl Report {
    /// Starts the report, or goes on with an interrupted import's.
    fn open(path: &Path, resume: bool) -> Result<Report, StartError> {
        let exists = path.exists();
        let file = File::options()
            .create(true)
            .append(resume)
            .write(true)
            .truncate(!resume)
            .open(path)
            .map_err(|e| file_error(path, e))?;
        let mut report = Report {
            path: path.to_owned(),
            out: csv::Writer::from_writer(file),
        };
        if !(resume && exists) {
            report.row(["line", "email", "field", "reason"])?;
        }
        Ok(report)
    }

    fn write(&mut self, rejected: &[Rejection]) -> Result<(), StartError> {
        for r in rejected {
            let line = r.line.to_string();
            self.row([&line, r.email.as_deref().unwrap_or(""), &r.field, &r.reason])?;
        }
        // Flushed with each batch: the report holds what the committed batches rejected.
        self.out.flush().map_err(|e| file_error(&self.path, e))
    }

    fn row(&mut self, cells: [&str; 4]) -> Result<(), StartError> {
        self.out
            .write_record(cells)
            .map_err(|e| csv_error(&self.path, e))
    }

    fn close(mut self) -> Result<(), StartError> {
        self.out.flush().map_err(|e| file_error(&self.path, e))
    }
}

/// A progress bar with rate and ETA on a terminal; elsewhere a plain line every few seconds.
struct Progress {
    bar: Option<ProgressBar>,
    total: u64,
    records: u64,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    const PLAIN_EVERY: Duration = Duration::from_secs(5);

    fn new(total: u64, dry_run: bool) -> Progress {
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

    fn update(&mut self, bytes: u64, done: &Tally) {
        self.records += done.records;
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = self.records as f64 / secs;
        if let Some(bar) = &self.bar {
            bar.set_position(bytes);
            bar.set_message(format!("{} records, {rate:.0}/s", self.records));
        } else if self.last_line.elapsed() >= Self::PLAIN_EVERY {
            self.last_line = Instant::now();
            let share = bytes as f64 / self.total.max(1) as f64;
            let eta = secs * (1.0 - share) / share.max(1e-9);
            eprintln!(
                "import: {:.0}% ({} records, {rate:.0} records/s, ETA {eta:.0} s)",
                share * 100.0,
                self.records
            );
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
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
            &Actor::System,
            after,
            1000,
            args.include_deleted,
            args.include_password_hashes,
        )?;
        let Some(last) = page.last() else { break };
        after = Some(last.user.id);
        for e in &page {
            let fields = fields_of(e);
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

/// An exported user as the fields of [`COLUMNS`], in their order.
fn fields_of(e: &Exported) -> Map<String, Value> {
    let u = &e.user;
    let time = |t: Option<chrono::NaiveDateTime>| {
        t.map_or(Value::Null, |t| {
            Value::String(t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
        })
    };
    let mut fields = Map::new();
    fields.insert("id".into(), json!(u.id.get()));
    fields.insert("email".into(), json!(u.email.as_str()));
    fields.insert("name".into(), json!(u.name));
    for (name, value) in u.profile.fields() {
        fields.insert(name.into(), json!(value));
    }
    fields.insert("role".into(), json!(u.role.as_str()));
    fields.insert("status".into(), json!(u.status.as_str()));
    fields.insert("employee_number".into(), json!(u.employee_number));
    fields.insert("attributes".into(), Value::Object(u.attributes.clone()));
    fields.insert("password_hash".into(), json!(e.password_hash));
    fields.insert("created_at".into(), time(Some(u.created_at)));
    fields.insert("updated_at".into(), time(Some(u.updated_at)));
    fields.insert("last_login_at".into(), time(u.last_login_at));
    fields.insert("deleted_at".into(), time(e.deleted_at));
    fields
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exported_fields_are_the_columns_in_order() {
        let user = usergate_core::User {
            id: UserId::new(7),
            email: Email::parse("A.B@Example.com").expect("email"),
            name: "A, \"B\"".into(),
            profile: usergate_core::Profile::default(),
            role: Role::Editor,
            status: Status::Suspended,
            has_password: true,
            employee_number: Some(12),
            attributes: Map::new(),
            credentials_version: 1,
            created_at: parse_time("2026-01-02T03:04:05.123456Z").expect("time"),
            updated_at: parse_time("2026-01-02 03:04:05").expect("time"),
            last_login_at: None,
        };
        let fields = fields_of(&Exported {
            user,
            password_hash: None,
            deleted_at: None,
        });
        let keys: Vec<&str> = fields.keys().map(String::as_str).collect();
        assert_eq!(keys, COLUMNS);
        // And what export writes, import reads back.
        let strings: Map<String, Value> = fields
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| {
                let s = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                (k.clone(), Value::String(s))
            })
            .collect();
        let back = record_of(&strings, 2, Role::User).expect("record");
        assert_eq!(back.user.email.as_str(), "A.B@Example.com");
        assert_eq!(back.user.name.as_deref(), Some("A, \"B\""));
        assert_eq!(back.user.role, Role::Editor);
        assert_eq!(back.user.status, Status::Suspended);
        assert_eq!(back.user.employee_number, Some(12));
        assert_eq!(back.created_at, parse_time("2026-01-02T03:04:05.123456Z"));
        let mut csv = csv::Writer::from_writer(Vec::new());
        csv.write_record(csv_cells(&fields)).expect("write");
        let line = String::from_utf8(csv.into_inner().expect("flush")).expect("utf-8");
        assert!(
            line.starts_with("7,A.B@Example.com,\"A, \"\"B\"\"\","),
            "{line}"
        );
    }

    #[test]
    fn a_record_reports_every_bad_field() {
        let fields: Map<String, Value> = serde_json::from_value(json!({
            "email": "not an address",
            "role": "owner",
            "status": "gone",
            "employee_number": "twelve",
            "attributes": "[1]",
            "created_at": "yesterday",
            "colour": "blue",
        }))
        .expect("map");
        let rejected = record_of(&fields, 9, Role::User).expect_err("rejected");
        let mut named: Vec<&str> = rejected.iter().map(|r| r.field.as_str()).collect();
        named.sort_unstable();
        assert_eq!(
            named,
            [
                "attributes",
                "colour",
                "created_at",
                "email",
                "employee_number",
                "role",
                "status"
            ]
        );
        assert!(rejected.iter().all(|r| r.line == 9));
    }
}
