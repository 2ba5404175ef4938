//! Stores for tests: a fresh SQLite file always, and a fresh PostgreSQL database when
//! `N8NOPS_TEST_PG_URL` names a server (scripts/test.sh starts one). With
//! `N8NOPS_REQUIRE_PG=1` (as in CI) a missing server is a failure, not a skip.

use super::{SecretBox, Store};
use crate::domain::encoding::hex;
use ring::rand::{SecureRandom, SystemRandom};

pub struct TestStore {
    pub store: Store,
    pub label: &'static str,
    _dir: Option<tempfile::TempDir>,
}

fn random_suffix() -> String {
    let mut b = [0u8; 6];
    SystemRandom::new().fill(&mut b).expect("randomness");
    hex(&b)
}

pub async fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open_sqlite(&dir.path().join("n8nops.db"), SecretBox::from_key(&[7; 32]))
        .await
        .expect("open sqlite store");
    TestStore {
        store,
        label: "sqlite",
        _dir: Some(dir),
    }
}

/// A fresh database on the test PostgreSQL server, or None (with a note) when there is none.
pub async fn postgres() -> Option<TestStore> {
    let Ok(admin_url) = std::env::var("N8NOPS_TEST_PG_URL") else {
        if std::env::var("N8NOPS_REQUIRE_PG").is_ok_and(|v| v == "1") {
            panic!("N8NOPS_REQUIRE_PG=1 but N8NOPS_TEST_PG_URL is not set");
        }
        eprintln!(
            "SKIPPED (postgres): N8NOPS_TEST_PG_URL is not set; run scripts/test.sh to test on PostgreSQL"
        );
        return None;
    };
    sqlx::any::install_default_drivers();
    let name = format!("n8nops_test_{}", random_suffix());
    let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url)
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("N8NOPS_TEST_PG_URL must end with /DBNAME");
    let store = Store::open_postgres(&format!("{base}/{name}"), SecretBox::from_key(&[7; 32]))
        .await
        .expect("open postgres store");
    Some(TestStore {
        store,
        label: "postgres",
        _dir: None,
    })
}

/// Every backend available to this test run.
pub async fn all() -> Vec<TestStore> {
    let mut stores = vec![sqlite().await];
    stores.extend(postgres().await);
    stores
}
