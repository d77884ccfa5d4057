//! The tokens port: `revoked_tokens` rows.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use usergate_core::domain::UserId;
use usergate_core::ports::{PrincipalRecord, RepoError, TokenRepo};

use super::{PRINCIPAL_COLUMNS, PrincipalRow, Repo};
use crate::error::Db;
use crate::schema::{revoked_tokens, users};

impl TokenRepo for Repo<'_> {
    fn token_principal(
        &mut self,
        id: UserId,
        jti: &str,
    ) -> Result<Option<(PrincipalRecord, bool)>, RepoError> {
        // One statement for what a request with a revocable token needs on every call.
        let row: Option<(PrincipalRow, bool)> = users::table
            .find(id.get())
            .select((
                PRINCIPAL_COLUMNS,
                diesel::dsl::exists(revoked_tokens::table.find(jti.to_owned())),
            ))
            .first(self.0)
            .optional()
            .db()?;
        row.map(|(p, revoked)| Ok((p.record()?, revoked)))
            .transpose()
    }

    fn revoke_token(
        &mut self,
        jti: &str,
        expires_at: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Result<(), RepoError> {
        diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(now)))
            .execute(self.0)
            .db()?;
        let revoked = revoked_tokens::table
            .find(jti)
            .count()
            .get_result::<i64>(self.0)
            .db()?;
        if revoked == 0 {
            diesel::insert_into(revoked_tokens::table)
                .values((
                    revoked_tokens::jti.eq(jti),
                    revoked_tokens::expires_at.eq(expires_at),
                ))
                .execute(self.0)
                .db()?;
        }
        Ok(())
    }

    fn is_token_revoked(&mut self, jti: &str) -> Result<bool, RepoError> {
        let n: i64 = revoked_tokens::table
            .find(jti)
            .count()
            .get_result(self.0)
            .db()?;
        Ok(n > 0)
    }
}
