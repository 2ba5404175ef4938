//! A small migration runner: numbered SQL files per backend, embedded in the binary,
//! each applied in its own transaction and recorded in `schema_migrations`.

use super::{Backend, Context, Store, StoreError, now_ms};
use sqlx::Row;

struct Migration {
    version: i64,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sqlite: include_str!("migrations/sqlite/0001_init.sql"),
        postgres: include_str!("migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        sqlite: include_str!("migrations/sqlite/0002_workflow_ops.sql"),
        postgres: include_str!("migrations/postgres/0002_workflow_ops.sql"),
    },
    Migration {
        version: 3,
        sqlite: include_str!("migrations/sqlite/0003_canonical.sql"),
        postgres: include_str!("migrations/postgres/0003_canonical.sql"),
    },
    Migration {
        version: 4,
        sqlite: include_str!("migrations/sqlite/0004_deployments.sql"),
        postgres: include_str!("migrations/postgres/0004_deployments.sql"),
    },
    Migration {
        version: 5,
        sqlite: include_str!("migrations/sqlite/0005_deployment_runs.sql"),
        postgres: include_str!("migrations/postgres/0005_deployment_runs.sql"),
    },
    Migration {
        version: 6,
        sqlite: include_str!("migrations/sqlite/0006_incidents.sql"),
        postgres: include_str!("migrations/postgres/0006_incidents.sql"),
    },
];

pub(super) async fn run(store: &Store) -> Result<(), StoreError> {
    let backend = store.backend();
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .execute(store.pool())
    .await
    .context("creating schema_migrations")?;
    let row = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
        .fetch_one(store.pool())
        .await
        .context("reading the schema version")?;
    let current: i64 = row.try_get("v").context("reading the schema version")?;
    let known = MIGRATIONS.last().map_or(0, |m| m.version);
    if current > known {
        return Err(StoreError::SchemaTooNew {
            found: current,
            known,
        });
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        let sql = match backend {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        let fail = |source| StoreError::Migration {
            backend: backend.as_str(),
            version: m.version,
            source,
        };
        let mut tx = store.pool().begin().await.map_err(fail)?;
        sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(fail)?;
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(m.version)
            .bind(now_ms())
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)?;
    }
    Ok(())
}
