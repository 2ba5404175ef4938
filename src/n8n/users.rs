//! Users (list only; managing users is the owner's business, not ours).

use reqwest::Method;

use super::client::{ApiRequest, N8nClient};
use super::error::N8nError;
use super::paginate::{Pager, decode_item};
use super::types::User;

impl N8nClient {
    /// Users page by page, with their global role.
    pub fn users(&self) -> Pager<User> {
        let req = ApiRequest::api(Method::GET, "/users").query("includeRole", true);
        Pager::new(self.clone(), req, decode_item)
    }

    pub async fn all_users(&self) -> Result<Vec<User>, N8nError> {
        self.users().collect_all().await
    }
}
