//! The issuer's schema migrations (`issuer/migrations/*.sql`), embedded in the binary and
//! run on every open: sqlx records each applied one in `_sqlx_migrations`, so a database
//! written by an earlier version takes only the migrations it lacks. The schema is never
//! created any other way.

use sqlx::migrate::Migrator;
use vouch_ops::db::migration;

/// Every migration, in order, under a migration lock, each in a transaction of its own.
pub(super) fn migrator() -> Migrator {
    vouch_ops::db::migrator(vec![
        migration(1, "init", include_str!("../../migrations/0001_init.sql")),
        migration(
            2,
            "stateless nonces",
            include_str!("../../migrations/0002_stateless_nonces.sql"),
        ),
        migration(
            3,
            "oauth clients",
            include_str!("../../migrations/0003_oauth_clients.sql"),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::migrator;

    /// The versions are 1, 2, 3, ... in order, as the files are numbered: a gap or a
    /// repeat would make sqlx apply migrations out of order or not at all.
    #[test]
    fn versions_are_consecutive() {
        let m = migrator();
        let versions: Vec<i64> = m.iter().map(|m| m.version).collect();
        let expected: Vec<i64> = (1..=versions.len() as i64).collect();
        assert_eq!(versions, expected);
    }
}
