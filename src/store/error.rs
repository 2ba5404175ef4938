use thiserror::Error;

/// What can go wrong in the store. Messages name the thing concerned.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot open the store at {location}: {source}")]
    Open {
        location: String,
        source: sqlx::Error,
    },
    #[error("migration {version} failed on {backend}: {source}")]
    Migration {
        backend: &'static str,
        version: i64,
        source: sqlx::Error,
    },
    #[error(
        "the store holds schema version {found}, newer than this n8nops knows ({known}): upgrade n8nops"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("database error while {context}: {source}")]
    Database {
        context: String,
        source: sqlx::Error,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("secret store: {0}")]
    Secret(String),
    #[error("corrupt data in the store: {0}")]
    Corrupt(String),
}

/// Adds what the store was doing to a database error.
pub trait Context<T> {
    fn context(self, what: &str) -> Result<T, StoreError>;
}

impl<T> Context<T> for Result<T, sqlx::Error> {
    fn context(self, what: &str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Database {
            context: what.to_owned(),
            source,
        })
    }
}
