//! One way every service opens its database (feature `db`): which backend a URL names,
//! a PostgreSQL schema of its own per service or test, the `sqlite://` file created when
//! missing, and the embedded migrations run on every open.
//!
//! Each service keeps its own pools (the issuer's SQLite writer, for one, is a single
//! connection with its own pragmas) but names, creates and migrates its database through
//! here, so the rules are the same everywhere:
//!
//! - `sqlite:` / `sqlite://FILE` is SQLite, `postgres:` / `postgresql:` PostgreSQL, any
//!   other URL a typed error ([`DbError::UnsupportedUrl`]);
//! - a schema name is lower-case ASCII letters, digits and `_` (at most 63), so it can be
//!   quoted into DDL safely ([`schema_name`]);
//! - the schema exists before any pool connects to it ([`create_schema`]);
//! - the schema is only ever made by migrations ([`migrator`]); a database written by an
//!   earlier version without a migrations table is adopted by the first migration, whose
//!   statements are `IF NOT EXISTS`.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::Connection;

/// A database backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite (the embedded default).
    Sqlite,
    /// PostgreSQL (the path at scale).
    Postgres,
}

/// Why a database URL or schema name is refused.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names neither SQLite nor PostgreSQL.
    #[error("the database URL must start with sqlite: or postgres:")]
    UnsupportedUrl,
    /// The schema name is not lower-case letters, digits and `_`.
    #[error("the schema name must be 1-63 lower-case letters, digits or _")]
    SchemaName,
    /// The database refused.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

impl Backend {
    /// The backend `url` names.
    pub fn of(url: &str) -> Result<Self, DbError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(DbError::UnsupportedUrl)
        }
    }
}

/// A SQLite URL that creates its file when missing (`mode=rwc`); other URLs as given.
pub fn create_if_missing(url: &str) -> String {
    if url.starts_with("sqlite:") && !url.contains('?') && !url.contains(":memory:") {
        format!("{url}?mode=rwc")
    } else {
        url.to_string()
    }
}

/// A SQLite pool on `url` as the register and the verifier open it: the file created when
/// missing, WAL journal, a 30-second busy timeout, at most `max` connections.
pub async fn sqlite_pool(url: &str, max: u32) -> Result<sqlx::SqlitePool, sqlx::Error> {
    use std::str::FromStr;
    let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .busy_timeout(std::time::Duration::from_secs(30));
    sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(max)
        .connect_with(opts)
        .await
}

/// `name` if it is a schema name that can be quoted into DDL as it is.
pub fn schema_name(name: &str) -> Result<&str, DbError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(name)
    } else {
        Err(DbError::SchemaName)
    }
}

/// Creates PostgreSQL schema `schema` if missing, on a connection of its own.
pub async fn create_schema(url: &str, schema: &str) -> Result<(), DbError> {
    let schema = schema_name(schema)?;
    let mut c = sqlx::postgres::PgConnection::connect(url).await?;
    sqlx::raw_sql(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
        .execute(&mut c)
        .await?;
    c.close().await?;
    Ok(())
}

/// One embedded migration: its `version`, description and SQL.
pub fn migration(version: i64, description: &'static str, sql: &'static str) -> Migration {
    Migration::new(
        version,
        Cow::Borrowed(description),
        MigrationType::Simple,
        Cow::Borrowed(sql),
        false,
    )
}

/// The migrator of `migrations` (in order): under a migration lock, each in a transaction
/// of its own; sqlx records each applied one in `_sqlx_migrations`, so a database written by
/// an earlier version takes only the migrations it lacks.
pub fn migrator(migrations: Vec<Migration>) -> Migrator {
    Migrator {
        migrations: Cow::Owned(migrations),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_names_its_backend_or_is_refused() {
        assert_eq!(Backend::of("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of("postgresql://h/db").unwrap(), Backend::Postgres);
        assert!(matches!(
            Backend::of("mysql://h/db"),
            Err(DbError::UnsupportedUrl)
        ));
        assert_eq!(create_if_missing("sqlite://x.db"), "sqlite://x.db?mode=rwc");
        assert_eq!(create_if_missing("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(
            create_if_missing("sqlite://x.db?mode=ro"),
            "sqlite://x.db?mode=ro"
        );
    }

    #[test]
    fn only_a_plain_schema_name_reaches_ddl() {
        assert!(schema_name("vouch_verifier_2").is_ok());
        for bad in ["", "Public", "a\"b", "a;drop", "a b", &"x".repeat(64)] {
            assert!(schema_name(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn migrations_run_once_and_a_database_of_the_previous_version_is_adopted() {
        let dir = tempfile::tempdir().unwrap();
        let url = create_if_missing(&format!("sqlite://{}", dir.path().join("t.db").display()));
        // A database an earlier version made without migrations, with a row in it.
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::raw_sql("CREATE TABLE t (id TEXT PRIMARY KEY); INSERT INTO t VALUES ('kept');")
            .execute(&pool)
            .await
            .unwrap();
        let m = migrator(vec![
            migration(
                1,
                "baseline",
                "CREATE TABLE IF NOT EXISTS t (id TEXT PRIMARY KEY);",
            ),
            migration(2, "more", "ALTER TABLE t ADD COLUMN note TEXT;"),
        ]);
        m.run(&pool).await.unwrap();
        m.run(&pool).await.unwrap();
        let kept: (String,) = sqlx::query_as("SELECT id FROM t")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(kept.0, "kept");
        let applied: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(applied.0, 2);
    }
}
