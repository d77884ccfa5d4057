//! The import page: a file uploaded (streamed to a temporary file, up to the upload limit),
//! checked by a dry run that lists what it would reject, then imported, with its progress. The
//! import itself is `usergate import`'s code path ([`crate::Importer`]), run as the signed-in
//! admin (its events are the admin's, through the console).
//!
//! Jobs live in this instance's memory: the progress page must reach the instance that took the
//! upload (one instance, or sticky sessions). A job, and its file, is forgotten a day after it
//! started; a finished import's file is removed at once.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use futures_util::TryStreamExt as _;
use usergate_core::import::Rejection;
use usergate_core::ports::Tally;
use usergate_core::{Actor, ActorKind, CoreError, Role, UserId};

use crate::session::{self, Admin, Only, Posted};
use crate::view::{self, Nav, Opt, thousands};
use crate::{ConsoleError, ImportJob, ImportProgress, State};

/// Rejections kept for the page (the counts are always whole).
const SHOWN: usize = 200;
/// Imports running at once on this instance.
const RUNNING: usize = 2;
/// How long a job is remembered.
const KEEP: Duration = Duration::from_secs(24 * 3600);

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::Data::new(Jobs::default()))
        .route("/import", web::get().to(form))
        .route("/import", web::post().to(upload))
        .route("/import/{id}", web::get().to(show))
        .route("/import/{id}/run", web::post().to(run));
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Checking,
    Checked,
    Importing,
    Imported,
    Failed,
}

/// One uploaded file and what was done with it.
struct Job {
    owner: UserId,
    name: String,
    size: u64,
    format: Option<String>,
    on_conflict: String,
    role: String,
    file: Option<tempfile::TempPath>,
    started: Instant,
    phase: Phase,
    dry_run: bool,
    bytes: u64,
    tally: Tally,
    rejections: Vec<Rejection>,
    already: bool,
    error: Option<String>,
}

/// The jobs of this instance, by id.
#[derive(Default)]
pub(crate) struct Jobs(Mutex<HashMap<String, Arc<Mutex<Job>>>>);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Jobs {
    fn get(&self, id: &str, owner: UserId) -> Result<Arc<Mutex<Job>>, ConsoleError> {
        lock(&self.0)
            .get(id)
            .filter(|j| lock(j).owner == owner)
            .cloned()
            .ok_or(ConsoleError::Core(CoreError::NotFound))
    }

    /// Refused while [`RUNNING`] imports run (checked before an upload is read, and again when
    /// its job is added, under the same lock as the insert).
    fn room(all: &HashMap<String, Arc<Mutex<Job>>>) -> Result<(), ConsoleError> {
        let running = all
            .values()
            .filter(|j| matches!(lock(j).phase, Phase::Checking | Phase::Importing))
            .count();
        if running >= RUNNING {
            return Err(ConsoleError::Input(
                "Two imports are running already: wait for one to finish.".into(),
            ));
        }
        Ok(())
    }

    fn check_room(&self) -> Result<(), ConsoleError> {
        Self::room(&lock(&self.0))
    }

    fn add(&self, job: Job) -> Result<String, ConsoleError> {
        let id = usergate_web::tokens::random_token(12)
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        let mut all = lock(&self.0);
        Self::room(&all)?;
        all.retain(|_, j| lock(j).started.elapsed() < KEEP);
        all.insert(id.clone(), Arc::new(Mutex::new(job)));
        Ok(id)
    }
}

fn owner(actor: &Actor) -> Result<UserId, ConsoleError> {
    match &actor.kind {
        ActorKind::User(p) => Ok(p.id),
        _ => Err(ConsoleError::SignedOut),
    }
}

#[derive(Template)]
#[template(path = "import.html")]
struct FormPage {
    nav: Nav,
    limit: String,
    formats: Vec<Opt>,
    conflicts: Vec<Opt>,
    roles: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "import_job.html")]
struct JobPage {
    nav: Nav,
    id: String,
    name: String,
    size: String,
    phase: &'static str,
    dry: bool,
    running: bool,
    checked: bool,
    percent: u64,
    records: String,
    created: String,
    updated: String,
    skipped: String,
    rejected: String,
    rejections: Vec<RejectionRow>,
    more_rejections: u64,
    already: bool,
    error: String,
}

struct RejectionRow {
    line: u64,
    email: String,
    field: String,
    reason: String,
}

const FORMATS: [(&str, &str); 5] = [
    ("", "from the file's name (.csv, .jsonl)"),
    ("csv", "CSV (usergate export)"),
    ("jsonl", "JSON Lines (usergate export)"),
    (
        "dreamfactory",
        "DreamFactory listing (GET /api/v2/system/user)",
    ),
    ("domo", "Domo listing (GET /v1/users)"),
];

const CONFLICTS: [(&str, &str); 3] = [
    ("fail", "reject the record"),
    ("skip", "keep the existing user"),
    ("update", "update the existing user"),
];

async fn form(admin: Admin, state: web::Data<State>) -> Result<HttpResponse, ConsoleError> {
    view::render(&FormPage {
        nav: Nav {
            section: "import",
            csrf: admin.csrf,
        },
        limit: megabytes(state.settings.upload_limit),
        formats: Opt::list(FORMATS, ""),
        conflicts: Opt::list(CONFLICTS, "fail"),
        roles: crate::users::role_opts(None, Role::User.as_str()),
    })
}

fn megabytes(bytes: u64) -> String {
    format!("{} MiB", thousands(bytes.div_ceil(1024 * 1024)))
}

/// Reads a small text field of the upload form.
async fn text(field: &mut actix_multipart::Field) -> Result<String, ConsoleError> {
    let mut out = Vec::new();
    while let Some(chunk) = field.try_next().await.map_err(|_| ConsoleError::BadForm)? {
        out.extend_from_slice(&chunk);
        if out.len() > 1024 {
            return Err(ConsoleError::BadForm);
        }
    }
    String::from_utf8(out).map_err(|_| ConsoleError::BadForm)
}

async fn upload(
    req: HttpRequest,
    state: web::Data<State>,
    jobs: web::Data<Jobs>,
    mut payload: Multipart,
) -> Result<HttpResponse, ConsoleError> {
    let admin = session::signed_in_posting(&req).await?;
    let owner = owner(&admin.actor)?;
    jobs.check_room()?;
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut stored: Option<(tempfile::TempPath, String, u64)> = None;
    while let Some(mut field) = payload
        .try_next()
        .await
        .map_err(|_| ConsoleError::BadForm)?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" {
            let value = text(&mut field).await?;
            fields.insert(name, value);
            continue;
        }
        // The form's token comes before the file (the page puts it first): nothing of a
        // forged upload is written.
        session::check_csrf(
            &state,
            &admin,
            fields.get("csrf").map_or("", String::as_str),
        )?;
        let filename = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .unwrap_or("upload")
            .to_owned();
        let tmp = tempfile::Builder::new()
            .prefix("usergate-import-")
            .tempfile()
            .map_err(|e| CoreError::Internal(format!("a temporary file for an upload: {e}")))?;
        let (mut file, path) = tmp.into_parts();
        let mut size = 0u64;
        let mut pending: Vec<u8> = Vec::with_capacity(WRITE_AT);
        // Written a megabyte at a time on the blocking pool: the disk never holds up a worker.
        while let Some(chunk) = field.try_next().await.map_err(|_| ConsoleError::BadForm)? {
            size += chunk.len() as u64;
            if size > state.settings.upload_limit {
                return Err(ConsoleError::Input(format!(
                    "The file is larger than the upload limit ({}; --console-upload-limit).",
                    megabytes(state.settings.upload_limit)
                )));
            }
            pending.extend_from_slice(&chunk);
            if pending.len() >= WRITE_AT {
                (file, pending) = write(file, pending).await?;
            }
        }
        (file, _) = write(file, pending).await?;
        drop(file);
        stored = Some((path, filename, size));
    }
    session::check_csrf(
        &state,
        &admin,
        fields.get("csrf").map_or("", String::as_str),
    )?;
    let Some((path, name, size)) = stored.filter(|(_, _, size)| *size > 0) else {
        return Err(ConsoleError::Input("Choose a file to import.".into()));
    };
    let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let job = Job {
        owner,
        name,
        size,
        format: Some(field("format")).filter(|f| !f.is_empty()),
        on_conflict: field("on_conflict"),
        role: field("role"),
        file: Some(path),
        started: Instant::now(),
        phase: Phase::Checking,
        dry_run: true,
        bytes: 0,
        tally: Tally::default(),
        rejections: Vec::new(),
        already: false,
        error: None,
    };
    let id = jobs.add(job)?;
    start(&state, &jobs, &id, admin.actor, true)?;
    Ok(view::see_other(&format!("/console/import/{id}")))
}

/// How much of an upload is gathered before it is written.
const WRITE_AT: usize = 1 << 20;

/// Appends `bytes` to `file` on the blocking pool; the file and the emptied buffer come back.
async fn write(
    mut file: std::fs::File,
    mut bytes: Vec<u8>,
) -> Result<(std::fs::File, Vec<u8>), ConsoleError> {
    Ok(usergate_web::blocking(move || {
        file.write_all(&bytes)
            .map_err(|e| CoreError::Internal(format!("writing an upload: {e}")))?;
        bytes.clear();
        Ok((file, bytes))
    })
    .await?)
}

/// Relays an import's batches to its job.
struct Relay(Arc<Mutex<Job>>);

impl ImportProgress for Relay {
    fn batch(&self, bytes: u64, done: &Tally, rejected: &[Rejection]) {
        let mut job = lock(&self.0);
        job.bytes = bytes;
        job.tally.add(done);
        let room = SHOWN.saturating_sub(job.rejections.len());
        job.rejections.extend(rejected.iter().take(room).cloned());
    }
}

/// Runs the job's dry run or import on a thread of its own.
fn start(
    state: &State,
    jobs: &Jobs,
    id: &str,
    actor: Actor,
    dry_run: bool,
) -> Result<(), ConsoleError> {
    let owner = owner(&actor)?;
    let shared = jobs.get(id, owner)?;
    let request = {
        let mut job = lock(&shared);
        job.phase = if dry_run {
            Phase::Checking
        } else {
            Phase::Importing
        };
        job.dry_run = dry_run;
        job.bytes = 0;
        job.tally = Tally::default();
        job.rejections.clear();
        ImportJob {
            file: job
                .file
                .as_ref()
                .map(|p| p.to_path_buf())
                .ok_or(ConsoleError::Core(CoreError::NotFound))?,
            name: job.name.clone(),
            format: job.format.clone(),
            on_conflict: job.on_conflict.clone(),
            role: job.role.clone(),
            dry_run,
        }
    };
    let (core, importer) = (state.core.clone(), state.importer.clone());
    std::thread::Builder::new()
        .name("console-import".into())
        .spawn(move || {
            let relay = Relay(shared.clone());
            let ran = importer.run(&core, &actor, &request, &relay);
            let mut job = lock(&shared);
            match ran {
                Ok(ran) => {
                    job.already = ran.already;
                    job.tally = ran.tally;
                    job.phase = if dry_run {
                        Phase::Checked
                    } else {
                        Phase::Imported
                    };
                }
                Err(e) => {
                    job.error = Some(e);
                    job.phase = Phase::Failed;
                }
            }
            if job.phase != Phase::Checked {
                // Imported or failed: the file is of no more use.
                job.file = None;
            }
        })
        .map_err(|e| CoreError::Internal(format!("starting an import: {e}")))?;
    Ok(())
}

async fn show(
    admin: Admin,
    jobs: web::Data<Jobs>,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let shared = jobs.get(&id, owner(&admin.actor)?)?;
    let job = lock(&shared);
    let phase = match job.phase {
        Phase::Checking => "checking",
        Phase::Checked => "checked",
        Phase::Importing => "importing",
        Phase::Imported => "finished",
        Phase::Failed => "failed",
    };
    let t = &job.tally;
    view::render(&JobPage {
        nav: Nav {
            section: "import",
            csrf: admin.csrf,
        },
        id: id.into_inner(),
        name: job.name.clone(),
        size: thousands(job.size),
        phase,
        dry: job.dry_run,
        running: matches!(job.phase, Phase::Checking | Phase::Importing),
        checked: job.phase == Phase::Checked,
        percent: (job.bytes * 100)
            .checked_div(job.size)
            .unwrap_or(0)
            .min(100),
        records: thousands(t.records),
        created: thousands(t.created),
        updated: thousands(t.updated),
        skipped: thousands(t.skipped),
        rejected: thousands(t.rejected),
        rejections: job
            .rejections
            .iter()
            .map(|r| RejectionRow {
                line: r.at.line,
                email: r.email.clone().unwrap_or_default(),
                field: r.field.clone(),
                reason: r.reason.clone(),
            })
            .collect(),
        more_rejections: t.rejected.saturating_sub(job.rejections.len() as u64),
        already: job.already,
        error: job.error.clone().unwrap_or_default(),
    })
}

async fn run(
    state: web::Data<State>,
    jobs: web::Data<Jobs>,
    id: web::Path<String>,
    Posted(admin, _): Posted<Only>,
) -> Result<HttpResponse, ConsoleError> {
    let shared = jobs.get(&id, owner(&admin.actor)?)?;
    if lock(&shared).phase != Phase::Checked {
        return Err(ConsoleError::Input(
            "Only a file whose dry run finished can be imported.".into(),
        ));
    }
    start(&state, &jobs, &id, admin.actor, false)?;
    Ok(view::see_other(&format!("/console/import/{id}")))
}
