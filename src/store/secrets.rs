//! Named secrets other than API keys (e.g. the git token), sealed with the store's
//! `SecretBox` like API keys. A sealed value is bound to its name, so it does not open
//! under another.

use super::{Context, SecretBox, StoreError, now_ms};
use sqlx::AnyConnection;
use sqlx::Row;

/// What a secret's ciphertext is bound to.
fn aad(name: &str) -> String {
    format!("secret:{name}")
}

/// Stores `value` under `name`, replacing any earlier value.
pub async fn set(
    conn: &mut AnyConnection,
    secrets: &SecretBox,
    name: &str,
    value: &str,
) -> Result<(), StoreError> {
    let sealed = secrets.seal(value.as_bytes(), &aad(name))?;
    sqlx::query(
        "INSERT INTO secrets (name, value_enc, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, name)
         DO UPDATE SET value_enc = excluded.value_enc, updated_at = excluded.updated_at",
    )
    .bind(name.to_owned())
    .bind(sealed)
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .context(&format!("storing the secret '{name}'"))?;
    Ok(())
}

/// The secret's value, opened; None when none is stored under `name`.
pub async fn get(
    conn: &mut AnyConnection,
    secrets: &SecretBox,
    name: &str,
) -> Result<Option<String>, StoreError> {
    let ctx = format!("reading the secret '{name}'");
    let row = sqlx::query("SELECT value_enc FROM secrets WHERE name = $1")
        .bind(name.to_owned())
        .fetch_optional(&mut *conn)
        .await
        .context(&ctx)?;
    let Some(row) = row else { return Ok(None) };
    let sealed: Vec<u8> = row.try_get("value_enc").context(&ctx)?;
    let plain = secrets.open(&sealed, &aad(name))?;
    String::from_utf8(plain)
        .map(Some)
        .map_err(|_| StoreError::Corrupt(format!("the secret '{name}' is not text")))
}

/// Removes the secret; false when there was none.
pub async fn clear(conn: &mut AnyConnection, name: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM secrets WHERE name = $1")
        .bind(name.to_owned())
        .execute(&mut *conn)
        .await
        .context(&format!("removing the secret '{name}'"))?;
    Ok(done.rows_affected() > 0)
}
