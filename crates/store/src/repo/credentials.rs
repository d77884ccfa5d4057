//! The machine credentials port: `machine_credentials` rows.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use usergate_core::domain::UserId;
use usergate_core::ports::{
    CredentialKind, CredentialRecord, CredentialRepo, MachineCredential, RepoError,
};

use super::Repo;
use crate::error::{Db, StoreError};
use crate::schema::machine_credentials;

impl CredentialRepo for Repo<'_> {
    fn insert_credential(&mut self, record: &CredentialRecord) -> Result<(), RepoError> {
        let c = &record.credential;
        diesel::insert_into(machine_credentials::table)
            .values((
                machine_credentials::id.eq(&c.id),
                machine_credentials::kind.eq(c.kind.as_str()),
                machine_credentials::secret_digest.eq(&record.secret_digest),
                machine_credentials::owner_id.eq(c.owner.get()),
                machine_credentials::name.eq(&c.name),
                machine_credentials::scopes.eq(c.scopes.join(" ")),
                machine_credentials::created_at.eq(c.created_at),
                machine_credentials::expires_at.eq(c.expires_at),
                machine_credentials::revoked_at.eq(c.revoked_at),
            ))
            .execute(self.0)
            .db()?;
        Ok(())
    }

    fn find_credential(&mut self, id: &str) -> Result<Option<CredentialRecord>, RepoError> {
        let row: Option<CredentialRow> = machine_credentials::table
            .find(id)
            .first(self.0)
            .optional()
            .db()?;
        row.map(CredentialRow::into_record).transpose()
    }

    fn list_credentials(
        &mut self,
        kind: CredentialKind,
    ) -> Result<Vec<MachineCredential>, RepoError> {
        let rows: Vec<CredentialRow> = machine_credentials::table
            .filter(machine_credentials::kind.eq(kind.as_str()))
            .order((machine_credentials::created_at, machine_credentials::id))
            .load(self.0)
            .db()?;
        rows.into_iter()
            .map(|r| r.into_record().map(|r| r.credential))
            .collect()
    }

    fn revoke_credential(&mut self, id: &str, now: NaiveDateTime) -> Result<(), RepoError> {
        diesel::update(
            machine_credentials::table
                .find(id)
                .filter(machine_credentials::revoked_at.is_null()),
        )
        .set(machine_credentials::revoked_at.eq(Some(now)))
        .execute(self.0)
        .db()?;
        Ok(())
    }
}

/// A `machine_credentials` row.
#[derive(Queryable)]
struct CredentialRow {
    id: String,
    kind: String,
    secret_digest: String,
    owner_id: i64,
    name: String,
    scopes: String,
    created_at: NaiveDateTime,
    expires_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
}

impl CredentialRow {
    fn into_record(self) -> Result<CredentialRecord, RepoError> {
        let kind = CredentialKind::parse(&self.kind).ok_or_else(|| {
            RepoError::from(StoreError::Corrupt(format!(
                "unknown credential kind {:?}",
                self.kind
            )))
        })?;
        Ok(CredentialRecord {
            credential: MachineCredential {
                id: self.id,
                kind,
                owner: UserId::new(self.owner_id),
                name: self.name,
                scopes: self.scopes.split_whitespace().map(str::to_owned).collect(),
                created_at: self.created_at,
                expires_at: self.expires_at,
                revoked_at: self.revoked_at,
            },
            secret_digest: self.secret_digest,
        })
    }
}
