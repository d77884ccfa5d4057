//! The imports port: how far each import got (its checkpoint), and the pages an export reads.

use chrono::NaiveDateTime;

use crate::domain::UserId;
use crate::user::User;

use super::RepoError;

/// What an import did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Records read (imported or not).
    pub records: u64,
    /// Users created.
    pub created: u64,
    /// Existing users changed (`--on-conflict update`).
    pub updated: u64,
    /// Records whose user already existed (`--on-conflict skip`).
    pub skipped: u64,
    /// Records rejected.
    pub rejected: u64,
}

impl Tally {
    /// Adds another tally's counts to this one.
    pub fn add(&mut self, other: &Tally) {
        self.records += other.records;
        self.created += other.created;
        self.updated += other.updated;
        self.skipped += other.skipped;
        self.rejected += other.rejected;
    }
}

/// How far an import got: kept in the store, written by each batch's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The import's identity (a digest of its file and options).
    pub run: String,
    /// Everything the committed batches did; `records` is where the next batch starts.
    pub tally: Tally,
    /// Whether the whole file was imported.
    pub finished: bool,
}

/// A user as an export writes it.
#[derive(Debug, Clone)]
pub struct Exported {
    /// The user.
    pub user: User,
    /// Its password hash, only when asked for.
    pub password_hash: Option<String>,
    /// When it was deleted, for a deleted user.
    pub deleted_at: Option<NaiveDateTime>,
    /// The names of its groups, in group id order.
    pub groups: Vec<String>,
}

/// Import checkpoints and export pages inside one transaction.
pub trait ImportRepo {
    /// How far the import `run` got, if it ever committed a batch.
    fn import_checkpoint(&mut self, run: &str) -> Result<Option<Checkpoint>, RepoError>;
    /// Records how far an import got (replacing its earlier checkpoint).
    fn put_import_checkpoint(
        &mut self,
        checkpoint: &Checkpoint,
        now: NaiveDateTime,
    ) -> Result<(), RepoError>;
    /// Up to `limit` users with an id above `after`, in id order, with their hashes; deleted
    /// ones too with `include_deleted`.
    fn export_page(
        &mut self,
        after: Option<UserId>,
        limit: u32,
        include_deleted: bool,
    ) -> Result<Vec<Exported>, RepoError>;
}
