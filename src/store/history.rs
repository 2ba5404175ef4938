//! The change history syncs record per workflow: which fingerprints each environment
//! held, in order (what the diff's TARGET_HOTFIX status is read from).

use super::{Context, StoreError};
use sqlx::AnyConnection;
use sqlx::Row;
use std::collections::HashMap;

/// n8n id -> every fingerprint recorded for it in an environment, oldest first
/// (only `n8n_id`'s when given).
pub async fn fingerprints(
    conn: &mut AnyConnection,
    env_id: i64,
    n8n_id: Option<&str>,
) -> Result<HashMap<String, Vec<String>>, StoreError> {
    let ctx = "reading the workflow change history";
    let rows = sqlx::query(
        "SELECT n8n_id, fingerprint FROM workflow_changes
         WHERE env_id = $1 AND fingerprint IS NOT NULL AND ($2 IS NULL OR n8n_id = $2)
         ORDER BY at, id",
    )
    .bind(env_id)
    .bind(n8n_id.map(str::to_owned))
    .fetch_all(&mut *conn)
    .await
    .context(ctx)?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for row in rows {
        let id: String = row.try_get("n8n_id").context(ctx)?;
        let fingerprint: String = row.try_get("fingerprint").context(ctx)?;
        out.entry(id).or_default().push(fingerprint);
    }
    Ok(out)
}
