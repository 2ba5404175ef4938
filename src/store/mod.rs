//! The store: sqlx over SQLite (embedded default) or PostgreSQL (team server), one
//! repository API for both. Repository functions take a connection, so a service call
//! can put a change and its audit event in one transaction.

pub mod approvals;
pub mod audit;
pub mod bodies;
pub mod deployments;
pub mod drift;
pub mod environments;
mod error;
pub mod history;
pub mod incidents;
pub mod inventory;
pub mod jobs;
mod migrate;
pub mod pipelines;
pub mod sealed;
pub mod secrets;
pub mod trash;
pub mod workflows;

pub use error::{Context, StoreError};
pub use sealed::SecretBox;

use sqlx::AnyConnection;
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Transaction};
use std::sync::{Arc, Once};
use std::time::Duration;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A handle on the store; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    secrets: Arc<SecretBox>,
}

pub type Tx = Transaction<'static, Any>;

impl Store {
    /// Opens (creating when needed) a SQLite file and brings its schema up to date.
    pub async fn open_sqlite(
        path: &std::path::Path,
        secrets: SecretBox,
    ) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                location: path.display().to_string(),
                source: sqlx::Error::Io(e),
            })?;
        }
        let url = format!("sqlite://{}?mode=rwc", path.display());
        Self::open_url(&url, &path.display().to_string(), Backend::Sqlite, secrets).await
    }

    /// Opens a PostgreSQL database by URL and brings its schema up to date.
    pub async fn open_postgres(url: &str, secrets: SecretBox) -> Result<Store, StoreError> {
        Self::open_url(url, &redact_url(url), Backend::Postgres, secrets).await
    }

    async fn open_url(
        url: &str,
        location: &str,
        backend: Backend,
        secrets: SecretBox,
    ) -> Result<Store, StoreError> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let max = match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 8,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // 16 MiB of page cache: a sync writes tens of MB in one transaction.
                        sqlx::raw_sql("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA cache_size = -16384;")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await
            .map_err(|source| StoreError::Open { location: location.to_owned(), source })?;
        if backend == Backend::Sqlite {
            // Workflows are rows of tens of KB: 16 KiB pages (set only when the file is
            // new) halve the overflow pages of the default 4 KiB.
            sqlx::raw_sql(
                "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
            )
            .execute(&pool)
            .await
            .context("setting SQLite's journal mode")?;
        }
        let store = Store {
            pool,
            backend,
            secrets: Arc::new(secrets),
        };
        migrate::run(&store).await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn secrets(&self) -> &SecretBox {
        &self.secrets
    }

    /// A write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a deferred one that reads first and writes later fails with
    /// SQLITE_BUSY_SNAPSHOT when another connection committed meanwhile, which no busy
    /// timeout waits out.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
        .context("starting a transaction")
    }

    pub async fn conn(&self) -> Result<sqlx::pool::PoolConnection<Any>, StoreError> {
        self.pool.acquire().await.context("taking a connection")
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Runs `f` in a transaction: committed when it returns Ok, rolled back otherwise.
pub async fn in_tx<T, F>(store: &Store, f: F) -> Result<T, StoreError>
where
    F: for<'c> FnOnce(
        &'c mut AnyConnection,
    ) -> futures_util::future::BoxFuture<'c, Result<T, StoreError>>,
{
    let mut tx = store.begin().await?;
    let value = f(&mut tx).await?;
    tx.commit().await.context("committing")?;
    Ok(value)
}

/// Reads a boolean column: BOOLEAN on PostgreSQL, INTEGER 0/1 on SQLite.
pub fn get_bool(row: &sqlx::any::AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    use sqlx::Row;
    row.try_get::<bool, _>(column)
        .or_else(|_| row.try_get::<i64, _>(column).map(|v| v != 0))
}

/// `($1, $2), ($3, $4), ...`: placeholders for a multi-row INSERT of `rows` rows of
/// `columns` values (the same syntax on SQLite and PostgreSQL).
pub(crate) fn placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| {
            let cols: Vec<String> = (1..=columns)
                .map(|c| format!("${}", r * columns + c))
                .collect();
            format!("({})", cols.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Unix milliseconds now; the one clock the store uses.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A database URL with its password replaced, for messages and `n8nops info`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_canonical;
#[cfg(test)]
mod tests_deployments;
#[cfg(test)]
mod tests_incidents;
