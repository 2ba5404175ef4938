//! Users of the simulated instance: a seeded owner (whose personal project owns
//! every workflow) plus any users the options add.

use super::json::{Json, Ts, to_json};
use super::rng::Rng;
use serde::Serialize;
use serde_json::json;

/// A user to add at start besides the owner.
#[derive(Clone, Debug, PartialEq)]
pub struct SimUser {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// `global:member` or `global:admin`.
    pub role: String,
}

impl SimUser {
    pub fn member(email: &str, first_name: &str, last_name: &str) -> Self {
        Self {
            email: email.into(),
            first_name: first_name.into(),
            last_name: last_name.into(),
            role: "global:member".into(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: String,
    pub created_at: Ts,
    pub updated_at: Ts,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView<'a> {
    id: &'a str,
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    created_at: Ts,
    updated_at: Ts,
    is_pending: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'a str>,
}

impl User {
    pub fn view(&self, include_role: bool) -> UserView<'_> {
        UserView {
            id: &self.id,
            email: &self.email,
            first_name: &self.first_name,
            last_name: &self.last_name,
            created_at: self.created_at,
            updated_at: self.updated_at,
            is_pending: false,
            role: include_role.then_some(self.role.as_str()),
        }
    }
}

/// What `GET /users/{id}` accepts as an id: a UUID or an email address.
pub fn is_identifier(s: &str) -> bool {
    let uuid = s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    let email = match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    };
    uuid || email
}

/// The owner as workflows show it: name for `activeVersion.authors`, and the
/// personal project (rendered once) for `shared`.
#[derive(Clone, Debug)]
pub struct Owner {
    pub full_name: String,
    pub project_id: String,
    pub project_json: Json,
}

/// All users; the first is the owner.
#[derive(Debug)]
pub struct Users {
    pub list: Vec<User>,
    pub owner: Owner,
}

impl Users {
    pub fn new(extra: &[SimUser], rng: &mut Rng) -> Self {
        let created = Ts::now();
        let owner_user = User {
            id: rng.uuid(),
            email: "owner@n8nops.sim".into(),
            first_name: "Sim".into(),
            last_name: "Owner".into(),
            role: "global:owner".into(),
            created_at: created,
            updated_at: created,
        };
        let project_id = rng.nanoid();
        let ts = created.to_iso();
        let project = json!({
            "updatedAt": ts, "createdAt": ts, "id": project_id,
            "name": format!("{} {} <{}>", owner_user.first_name, owner_user.last_name, owner_user.email),
            "type": "personal", "icon": null, "description": null,
            "projectRelations": [{
                "updatedAt": ts, "createdAt": ts, "userId": owner_user.id, "projectId": project_id,
                "user": {
                    "updatedAt": ts, "createdAt": ts, "id": owner_user.id, "email": owner_user.email,
                    "firstName": owner_user.first_name, "lastName": owner_user.last_name,
                    "personalizationAnswers": null, "settings": {"userActivated": true},
                    "disabled": false, "mfaEnabled": false, "lastActiveAt": null, "isPending": false
                }
            }]
        });
        let owner = Owner {
            full_name: format!("{} {}", owner_user.first_name, owner_user.last_name),
            project_id,
            project_json: to_json(&project),
        };
        let mut list = vec![owner_user];
        list.extend(extra.iter().map(|u| User {
            id: rng.uuid(),
            email: u.email.clone(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            role: u.role.clone(),
            created_at: created,
            updated_at: created,
        }));
        Users { list, owner }
    }

    /// A user by id or email (what `GET /users/{id}` accepts).
    pub fn find(&self, id_or_email: &str) -> Option<&User> {
        self.list
            .iter()
            .find(|u| u.id == id_or_email || u.email.eq_ignore_ascii_case(id_or_email))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(is_identifier("858bb899-c294-4d07-98f5-f8cecaeddedf"));
        assert!(is_identifier("owner@n8nops.sim"));
        assert!(!is_identifier("nope"));
        assert!(!is_identifier("a@b"));
        let users = Users::new(
            &[SimUser::member("ann@example.com", "Ann", "Lee")],
            &mut Rng::new(1),
        );
        assert_eq!(users.list.len(), 2);
        assert_eq!(
            users.find("ANN@example.com").map(|u| u.role.as_str()),
            Some("global:member")
        );
        assert!(users.find(&users.list[0].id).is_some());
    }
}
