//! Reading import files as streams: core's CSV and JSON Lines, and the array of a saved JSON
//! listing, one record at a time, each with where it is in its file. Memory does not grow with a
//! file's size.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use usergate_core::Role;
use usergate_core::import::{COLUMNS, ImportRecord, Position, Rejection, Row};

use super::{csv_error, file_error};
use crate::StartError;

/// One record as a reader made it, or why it could not.
pub(super) type Item = Result<ImportRecord, Vec<Rejection>>;

/// One record of core's format: a JSON Lines object, or a CSV row's non-empty cells as text.
fn record_of(fields: Map<String, Value>, at: Position, role: Role) -> Item {
    match serde_json::from_value::<Row>(Value::Object(fields)) {
        Ok(row) => row.into_record(at, role),
        Err(e) => Err(vec![Rejection {
            at,
            email: None,
            field: "record".into(),
            reason: e.to_string(),
        }]),
    }
}

/// Reads core's CSV format; returns the bytes read.
pub(super) fn read_csv(
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
    let mut record = 0;
    loop {
        let line = csv.position().line();
        record += 1;
        let at = Position { line, record };
        let item = match csv.read_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {
                let mut fields = Map::new();
                for (name, value) in names.iter().zip(row.iter()) {
                    if !value.is_empty() {
                        fields.insert(name.clone(), Value::String(value.to_owned()));
                    }
                }
                record_of(fields, at, role)
            }
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => return Err(csv_error(path, e)),
            Err(e) => Err(vec![Rejection {
                at,
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
pub(super) fn read_jsonl(
    path: &Path,
    role: Role,
    on_item: &mut dyn FnMut(Item, u64) -> Result<(), StartError>,
) -> Result<u64, StartError> {
    let file = File::open(path).map_err(|e| file_error(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut buf = Vec::new();
    let (mut line, mut record, mut bytes) = (0u64, 0u64, 0u64);
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
        record += 1;
        let at = Position { line, record };
        let reject = |reason: String| {
            Err(vec![Rejection {
                at,
                email: None,
                field: "record".into(),
                reason,
            }])
        };
        let item = match serde_json::from_slice::<Value>(&buf) {
            Ok(Value::Object(fields)) => record_of(fields, at, role),
            Ok(_) => reject("not a JSON object".into()),
            Err(e) => reject(format!("not JSON: {e}")),
        };
        on_item(item, bytes)?;
    }
    Ok(bytes)
}

/// Finds a JSON syntax error anywhere in the file, without keeping the document.
pub(super) fn check_json(path: &Path) -> Result<(), StartError> {
    let file = File::open(path).map_err(|e| file_error(path, e))?;
    let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 16, file));
    de::Deserialize::deserialize(&mut de)
        .and_then(|IgnoredAny| de.end())
        .map_err(|e| StartError::Input(format!("{}: not valid JSON: {e}", path.display())))
}

/// Reads the array of a JSON file (at the top, or under `key` of a top-level object), one
/// element at a time; `on_element` gets each with where it is (the line it starts on, its
/// index) and the bytes read so far. Returns the bytes read.
pub(super) fn read_json_array(
    path: &Path,
    key: Option<&str>,
    on_element: &mut dyn FnMut(Value, Position, u64) -> Result<(), StartError>,
) -> Result<u64, StartError> {
    let file = File::open(path).map_err(|e| file_error(path, e))?;
    let position = Rc::new(Tracked::default());
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
struct Tracked {
    bytes: Cell<u64>,
    line: Cell<u64>,
    armed: Cell<bool>,
    start: Cell<u64>,
}

/// A reader that keeps [`Position`] (serde_json reads one byte at a time from it).
struct Counting<R> {
    inner: R,
    position: Rc<Tracked>,
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
    on_element: &'a mut dyn FnMut(Value, Position, u64) -> Result<(), StartError>,
    position: &'a Tracked,
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
        let mut record = 0;
        loop {
            self.position.armed.set(true);
            let Some(element) = seq.next_element::<Value>()? else {
                return Ok(true);
            };
            record += 1;
            let at = Position {
                line: self.position.start.get(),
                record,
            };
            if let Err(e) = (self.on_element)(element, at, self.position.bytes.get()) {
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
