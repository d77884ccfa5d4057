//! The codes port: `user_codes` rows.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use usergate_core::domain::UserId;
use usergate_core::ports::{CodePurpose, CodeRecord, CodeRepo, RepoError};

use super::Repo;
use crate::error::Db;
use crate::schema::user_codes;

impl CodeRepo for Repo<'_> {
    fn put_code(
        &mut self,
        code: &CodeRecord,
        forget_before: NaiveDateTime,
    ) -> Result<(), RepoError> {
        diesel::delete(user_codes::table.filter(user_codes::expires_at.lt(forget_before)))
            .execute(self.0)
            .db()?;
        diesel::delete(
            user_codes::table
                .filter(user_codes::user_id.eq(code.user_id.get()))
                .filter(user_codes::purpose.eq(code.purpose.as_str())),
        )
        .execute(self.0)
        .db()?;
        diesel::insert_into(user_codes::table)
            .values((
                user_codes::digest.eq(&code.digest),
                user_codes::user_id.eq(code.user_id.get()),
                user_codes::purpose.eq(code.purpose.as_str()),
                user_codes::expires_at.eq(code.expires_at),
            ))
            .execute(self.0)
            .db()?;
        Ok(())
    }

    fn find_code(&mut self, digest: &str) -> Result<Option<CodeRecord>, RepoError> {
        let row: Option<(String, i64, String, NaiveDateTime)> = user_codes::table
            .find(digest)
            .select((
                user_codes::digest,
                user_codes::user_id,
                user_codes::purpose,
                user_codes::expires_at,
            ))
            .first(self.0)
            .optional()
            .db()?;
        row.map(|(digest, user_id, purpose, expires_at)| {
            let purpose = CodePurpose::parse(&purpose)
                .ok_or_else(|| RepoError::Failure(format!("unknown code purpose {purpose:?}")))?;
            Ok(CodeRecord {
                digest,
                user_id: UserId::new(user_id),
                purpose,
                expires_at,
            })
        })
        .transpose()
    }

    fn delete_codes(&mut self, user: UserId) -> Result<(), RepoError> {
        diesel::delete(user_codes::table.filter(user_codes::user_id.eq(user.get())))
            .execute(self.0)
            .db()?;
        Ok(())
    }
}
