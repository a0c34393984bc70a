//! The employer's workspace in storage: organisations, their members and roles, one-time
//! invitations and signed-in sessions. Secrets (invitation and session tokens, API keys)
//! are stored only as SHA-256 digests; passwords only as Argon2id hashes.

use sqlx::Row;

use super::{Store, StoreError};

/// What a member may do, by role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// HR administrator: everything, including members, employment end dates and the
    /// access log.
    Admin,
    /// Runs checks and keeps their records.
    Recruiter,
    /// Reads records, exports them and reads the access log; changes nothing.
    Auditor,
}

impl Role {
    /// Every role, in the order the members page offers them.
    pub const ALL: [Role; 3] = [Role::Recruiter, Role::Admin, Role::Auditor];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Recruiter => "recruiter",
            Role::Auditor => "auditor",
        }
    }

    /// The role by its stored name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The role in words.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "HR administrator",
            Role::Recruiter => "Recruiter",
            Role::Auditor => "Auditor",
        }
    }
}

/// An employer organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organisation {
    /// Id (`default` for the organisation of a single-employer deployment).
    pub id: String,
    /// Its name, as its members see it.
    pub name: String,
    /// The email domains its members' addresses must be at (empty: any).
    pub email_domains: Vec<String>,
    /// The IANA time zone its members read times in.
    pub time_zone: String,
}

impl Organisation {
    /// Whether `email` may be a member's address here.
    pub fn admits_email(&self, email: &str) -> bool {
        self.email_domains.is_empty()
            || email
                .rsplit_once('@')
                .is_some_and(|(_, d)| self.email_domains.iter().any(|x| x.eq_ignore_ascii_case(d)))
    }
}

fn domains(v: Option<String>) -> Vec<String> {
    v.unwrap_or_default()
        .split(',')
        .map(|d| d.trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .collect()
}

/// A member of an organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Id (named in the access log).
    pub id: String,
    /// The organisation.
    pub org_id: String,
    /// Sign-in name.
    pub email: String,
    /// Full name.
    pub name: String,
    /// Role.
    pub role: Role,
}

/// A signed-in session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Who.
    pub member: Member,
    /// The session's form token, required back in every form it posts.
    pub csrf: String,
    /// SHA-256 (hex) of the session cookie's token.
    pub token_hash: String,
}

/// A pending or used invitation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    /// The organisation.
    pub org_id: String,
    /// Who is invited.
    pub email: String,
    /// With which role.
    pub role: Role,
    /// Usable until, seconds.
    pub expires_at: i64,
    /// When it was used, if it was.
    pub accepted_at: Option<i64>,
}

/// What accepting an invitation came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Acceptance {
    /// The member exists now.
    Joined(Member),
    /// The invitation is unknown, used or expired.
    Unusable,
    /// A member with this email exists already.
    EmailTaken,
}

const MEMBER_COLS: &str = "m.id, m.org_id, m.email, m.name, m.role";

/// A member from a row, or `None` when its role is not one this version knows (an unknown
/// role grants nothing).
macro_rules! member_from_row {
    ($r:expr) => {
        Role::parse($r.get::<String, _>(4).as_str()).map(|role| Member {
            id: $r.get(0),
            org_id: $r.get(1),
            email: $r.get(2),
            name: $r.get(3),
            role,
        })
    };
}

impl Store {
    /// Creates organisation `id` (its API key digest, if any); false if the id is taken.
    pub async fn create_organisation(
        &self,
        id: &str,
        name: &str,
        api_key_hash: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO organisations (id, name, api_key_hash, created_at) VALUES ($1,$2,$3,$4) ON CONFLICT (id) DO NOTHING";
        let n = with_pool!(self, pool => {
            sqlx::query(sql).bind(id).bind(name).bind(api_key_hash).bind(now)
                .execute(pool).await?.rows_affected()
        });
        Ok(n == 1)
    }

    /// Renames organisation `id`; false if there is no such organisation.
    pub async fn rename_organisation(&self, id: &str, name: &str) -> Result<bool, StoreError> {
        let sql = "UPDATE organisations SET name = $2 WHERE id = $1";
        let n = with_pool!(self, pool => {
            sqlx::query(sql).bind(id).bind(name).execute(pool).await?.rows_affected()
        });
        Ok(n == 1)
    }

    /// Sets whether organisation `id` signs its requests with its own key (own client id);
    /// false if there is no such organisation.
    pub async fn set_own_client_id(&self, id: &str, own: bool) -> Result<bool, StoreError> {
        let sql = "UPDATE organisations SET own_client_id = $2 WHERE id = $1";
        let n = with_pool!(self, pool => {
            sqlx::query(sql).bind(id).bind(own).execute(pool).await?.rows_affected()
        });
        Ok(n == 1)
    }

    /// The organisations that sign their requests with their own key.
    pub async fn organisations_with_own_client_id(&self) -> Result<Vec<Organisation>, StoreError> {
        let sql = "SELECT id, name, email_domains, time_zone FROM organisations WHERE own_client_id ORDER BY id";
        Ok(with_pool!(self, pool => {
            sqlx::query(sql).fetch_all(pool).await?.into_iter()
                .map(|r| Organisation { id: r.get(0), name: r.get(1), email_domains: domains(r.get(2)), time_zone: r.get(3) }).collect()
        }))
    }

    /// Sets the time zone organisation `id`'s members read times in (an IANA name the
    /// caller checked); false if there is no such organisation.
    pub async fn set_time_zone(&self, id: &str, zone: &str) -> Result<bool, StoreError> {
        let sql = "UPDATE organisations SET time_zone = $2 WHERE id = $1";
        let n = with_pool!(self, pool => {
            sqlx::query(sql).bind(id).bind(zone).execute(pool).await?.rows_affected()
        });
        Ok(n == 1)
    }

    /// Sets the email domains organisation `id`'s members must be at (empty: any); false
    /// if there is no such organisation.
    pub async fn set_email_domains(
        &self,
        id: &str,
        domains: &[String],
    ) -> Result<bool, StoreError> {
        let list = domains.join(",");
        let value = (!list.is_empty()).then_some(list);
        let sql = "UPDATE organisations SET email_domains = $2 WHERE id = $1";
        let n = with_pool!(self, pool => {
            sqlx::query(sql).bind(id).bind(&value).execute(pool).await?.rows_affected()
        });
        Ok(n == 1)
    }

    /// Organisation `id`.
    pub async fn organisation(&self, id: &str) -> Result<Option<Organisation>, StoreError> {
        let sql = "SELECT id, name, email_domains, time_zone FROM organisations WHERE id = $1";
        Ok(with_pool!(self, pool => {
            sqlx::query(sql).bind(id).fetch_optional(pool).await?
                .map(|r| Organisation { id: r.get(0), name: r.get(1), email_domains: domains(r.get(2)), time_zone: r.get(3) })
        }))
    }

    /// The organisation whose API key has digest `api_key_hash`.
    pub async fn organisation_by_api_key(
        &self,
        api_key_hash: &str,
    ) -> Result<Option<String>, StoreError> {
        let sql = "SELECT id FROM organisations WHERE api_key_hash = $1";
        Ok(with_pool!(self, pool => {
            sqlx::query_scalar::<_, String>(sql).bind(api_key_hash).fetch_optional(pool).await?
        }))
    }

    /// Records an invitation (the digest of its one-time token).
    pub async fn create_invitation(
        &self,
        token_hash: &str,
        invitation: &Invitation,
        invited_by: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO invitations (token_hash, org_id, email, role, invited_by, created_at, expires_at, accepted_at) VALUES ($1,$2,$3,$4,$5,$6,$7,NULL)";
        with_pool!(self, pool => {
            sqlx::query(sql).bind(token_hash).bind(&invitation.org_id).bind(&invitation.email)
                .bind(invitation.role.as_str()).bind(invited_by).bind(now).bind(invitation.expires_at)
                .execute(pool).await?;
        });
        Ok(())
    }

    /// The invitation whose token has digest `token_hash`.
    pub async fn invitation(&self, token_hash: &str) -> Result<Option<Invitation>, StoreError> {
        let sql = "SELECT org_id, email, role, expires_at, accepted_at FROM invitations WHERE token_hash = $1";
        Ok(with_pool!(self, pool => {
            sqlx::query(sql).bind(token_hash).fetch_optional(pool).await?.and_then(|r| {
                Some(Invitation {
                    org_id: r.get(0),
                    email: r.get(1),
                    role: Role::parse(r.get::<String, _>(2).as_str())?,
                    expires_at: r.get(3),
                    accepted_at: r.get(4),
                })
            })
        }))
    }

    /// Organisation `org`'s invitations not yet used nor expired at `now`.
    pub async fn pending_invitations(
        &self,
        org: &str,
        now: i64,
    ) -> Result<Vec<Invitation>, StoreError> {
        let sql = "SELECT org_id, email, role, expires_at, accepted_at FROM invitations WHERE org_id = $1 AND accepted_at IS NULL AND expires_at > $2 ORDER BY created_at";
        Ok(with_pool!(self, pool => {
            sqlx::query(sql).bind(org).bind(now).fetch_all(pool).await?.into_iter().filter_map(|r| {
                Some(Invitation {
                    org_id: r.get(0),
                    email: r.get(1),
                    role: Role::parse(r.get::<String, _>(2).as_str())?,
                    expires_at: r.get(3),
                    accepted_at: r.get(4),
                })
            }).collect()
        }))
    }

    /// Uses the invitation with digest `token_hash` once: the member `id` named `name` joins
    /// with the invitation's organisation, email and role, and `password_hash`. Nothing is
    /// written unless the whole succeeds.
    pub async fn accept_invitation(
        &self,
        token_hash: &str,
        id: &str,
        name: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<Acceptance, StoreError> {
        Ok(with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let used = sqlx::query("UPDATE invitations SET accepted_at = $2 WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > $2")
                .bind(token_hash).bind(now).execute(&mut *tx).await?.rows_affected();
            if used != 1 {
                return Ok(Acceptance::Unusable);
            }
            let (org_id, email, role): (String, String, String) = sqlx::query_as(
                "SELECT org_id, email, role FROM invitations WHERE token_hash = $1",
            )
            .bind(token_hash).fetch_one(&mut *tx).await?;
            let taken: Option<String> = sqlx::query_scalar("SELECT id FROM members WHERE email = $1")
                .bind(&email).fetch_optional(&mut *tx).await?;
            if taken.is_some() {
                return Ok(Acceptance::EmailTaken);
            }
            sqlx::query("INSERT INTO members (id, org_id, email, name, role, password_hash, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)")
                .bind(id).bind(&org_id).bind(&email).bind(name).bind(&role).bind(password_hash).bind(now)
                .execute(&mut *tx).await?;
            tx.commit().await?;
            match Role::parse(&role) {
                Some(role) => Acceptance::Joined(Member {
                    id: id.to_string(),
                    org_id,
                    email,
                    name: name.to_string(),
                    role,
                }),
                None => Acceptance::Unusable,
            }
        }))
    }

    /// The member signing in as `email`, with their Argon2id password hash.
    pub async fn member_by_email(
        &self,
        email: &str,
    ) -> Result<Option<(Member, String)>, StoreError> {
        let sql =
            format!("SELECT {MEMBER_COLS}, m.password_hash FROM members m WHERE m.email = $1 AND m.removed_at IS NULL");
        Ok(with_pool!(self, pool => {
            sqlx::query(&sql).bind(email).fetch_optional(pool).await?
                .and_then(|r| Some((member_from_row!(r)?, r.get::<String, _>(5))))
        }))
    }

    /// Organisation `org`'s members, by name; with `removed`, those removed too.
    pub async fn members_of(&self, org: &str, removed: bool) -> Result<Vec<Member>, StoreError> {
        let sql = format!(
            "SELECT {MEMBER_COLS} FROM members m WHERE m.org_id = $1 AND ($2 OR m.removed_at IS NULL) ORDER BY m.name, m.email"
        );
        Ok(with_pool!(self, pool => {
            sqlx::query(&sql).bind(org).bind(removed).fetch_all(pool).await?.into_iter().filter_map(|r| member_from_row!(r)).collect()
        }))
    }

    /// Removes member `id` of organisation `org` (kept, marked removed, for the access log)
    /// and ends their sessions, together; false if there is no such active member there.
    pub async fn remove_member(&self, org: &str, id: &str, now: i64) -> Result<bool, StoreError> {
        Ok(with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query("UPDATE members SET removed_at = $3 WHERE id = $1 AND org_id = $2 AND removed_at IS NULL")
                .bind(id).bind(org).bind(now).execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                sqlx::query("DELETE FROM sessions WHERE member_id = $1").bind(id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            n == 1
        }))
    }

    /// Starts a session for `member_id` (the digest of its cookie's token, its form token).
    pub async fn create_session(
        &self,
        token_hash: &str,
        member_id: &str,
        csrf: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO sessions (token_hash, member_id, csrf, created_at, expires_at) VALUES ($1,$2,$3,$4,$5)";
        with_pool!(self, pool => {
            sqlx::query(sql).bind(token_hash).bind(member_id).bind(csrf).bind(now).bind(expires_at)
                .execute(pool).await?;
        });
        Ok(())
    }

    /// The session whose cookie token has digest `token_hash`, unexpired at `now`.
    pub async fn session(&self, token_hash: &str, now: i64) -> Result<Option<Session>, StoreError> {
        let sql = format!("SELECT {MEMBER_COLS}, s.csrf FROM sessions s JOIN members m ON m.id = s.member_id WHERE s.token_hash = $1 AND s.expires_at > $2 AND m.removed_at IS NULL");
        Ok(with_pool!(self, pool => {
            sqlx::query(&sql).bind(token_hash).bind(now).fetch_optional(pool).await?
                .and_then(|r| Some(Session {
                    member: member_from_row!(r)?,
                    csrf: r.get(5),
                    token_hash: token_hash.to_string(),
                }))
        }))
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await?;
        });
        Ok(())
    }

    /// Deletes sessions and invitations expired at `now`; returns how many sessions.
    pub async fn purge_sessions(&self, now: i64) -> Result<u64, StoreError> {
        Ok(with_pool!(self, pool => {
            sqlx::query("DELETE FROM invitations WHERE accepted_at IS NULL AND expires_at <= $1")
                .bind(now).execute(pool).await?;
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(pool).await?.rows_affected()
        }))
    }
}
