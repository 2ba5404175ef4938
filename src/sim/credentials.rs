//! Credentials: create and delete only (n8n 1.x has no list or get), a small
//! schema per known type, and n8n's repair of node credential references on
//! workflow writes.

use super::error::ApiError;
use super::json::Ts;
use super::rng::Rng;
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// Field types of the credential schemas below.
#[derive(Clone, Copy)]
enum F {
    S,
    N,
    B,
}

/// Fields of a credential type with their types.
type Fields = &'static [(&'static str, F)];
/// Fields a credential type requires.
type Required = &'static [&'static str];

/// The credential types this instance knows: `(type, fields, required)`. A
/// simplification of n8n's (which are generated from every credential class).
const TYPES: &[(&str, Fields, Required)] = &[
    ("httpHeaderAuth", &[("name", F::S), ("value", F::S)], &[]),
    ("httpBasicAuth", &[("user", F::S), ("password", F::S)], &[]),
    ("httpQueryAuth", &[("name", F::S), ("value", F::S)], &[]),
    ("httpBearerAuth", &[("token", F::S)], &[]),
    (
        "slackApi",
        &[("accessToken", F::S), ("signatureSecret", F::S)],
        &["accessToken"],
    ),
    ("slackOAuth2Api", OAUTH, OAUTH_REQUIRED),
    (
        "githubApi",
        &[("server", F::S), ("user", F::S), ("accessToken", F::S)],
        &["accessToken"],
    ),
    (
        "gitlabApi",
        &[("server", F::S), ("accessToken", F::S)],
        &["accessToken"],
    ),
    ("googleSheetsOAuth2Api", OAUTH, OAUTH_REQUIRED),
    ("googleDriveOAuth2Api", OAUTH, OAUTH_REQUIRED),
    ("gmailOAuth2", OAUTH, OAUTH_REQUIRED),
    ("googleCalendarOAuth2Api", OAUTH, OAUTH_REQUIRED),
    ("hubspotOAuth2Api", OAUTH, OAUTH_REQUIRED),
    ("salesforceOAuth2Api", OAUTH, OAUTH_REQUIRED),
    ("microsoftOutlookOAuth2Api", OAUTH, OAUTH_REQUIRED),
    ("microsoftTeamsOAuth2Api", OAUTH, OAUTH_REQUIRED),
    (
        "postgres",
        &[
            ("host", F::S),
            ("database", F::S),
            ("user", F::S),
            ("password", F::S),
            ("port", F::N),
            ("ssl", F::S),
        ],
        &[],
    ),
    (
        "mySql",
        &[
            ("host", F::S),
            ("database", F::S),
            ("user", F::S),
            ("password", F::S),
            ("port", F::N),
        ],
        &[],
    ),
    (
        "mongoDb",
        &[("connectionString", F::S), ("database", F::S)],
        &[],
    ),
    (
        "redis",
        &[
            ("host", F::S),
            ("port", F::N),
            ("password", F::S),
            ("database", F::N),
        ],
        &[],
    ),
    (
        "openAiApi",
        &[("apiKey", F::S), ("organizationId", F::S), ("url", F::S)],
        &["apiKey"],
    ),
    ("anthropicApi", &[("apiKey", F::S)], &["apiKey"]),
    ("notionApi", &[("apiKey", F::S)], &["apiKey"]),
    (
        "airtableTokenApi",
        &[("accessToken", F::S)],
        &["accessToken"],
    ),
    (
        "telegramApi",
        &[("accessToken", F::S), ("baseUrl", F::S)],
        &["accessToken"],
    ),
    (
        "discordWebhookApi",
        &[("webhookUri", F::S)],
        &["webhookUri"],
    ),
    (
        "jiraSoftwareCloudApi",
        &[("email", F::S), ("apiToken", F::S), ("domain", F::S)],
        &["email", "apiToken", "domain"],
    ),
    ("stripeApi", &[("secretKey", F::S)], &["secretKey"]),
    (
        "twilioApi",
        &[("accountSid", F::S), ("authToken", F::S)],
        &[],
    ),
    ("sendGridApi", &[("apiKey", F::S)], &["apiKey"]),
    ("mailchimpApi", &[("apiKey", F::S)], &["apiKey"]),
    (
        "trelloApi",
        &[("apiKey", F::S), ("apiToken", F::S)],
        &["apiKey", "apiToken"],
    ),
    ("asanaApi", &[("accessToken", F::S)], &["accessToken"]),
    ("linearApi", &[("apiKey", F::S)], &["apiKey"]),
    (
        "zendeskApi",
        &[("subdomain", F::S), ("email", F::S), ("apiToken", F::S)],
        &["subdomain", "email", "apiToken"],
    ),
    ("pipedriveApi", &[("apiToken", F::S)], &["apiToken"]),
    (
        "shopifyAccessTokenApi",
        &[("shopSubdomain", F::S), ("accessToken", F::S)],
        &[],
    ),
    (
        "awsApi",
        &[
            ("region", F::S),
            ("accessKeyId", F::S),
            ("secretAccessKey", F::S),
        ],
        &[],
    ),
    ("smtp", MAIL_SERVER, &[]),
    ("imap", MAIL_SERVER, &[]),
];

const OAUTH: Fields = &[
    ("clientId", F::S),
    ("clientSecret", F::S),
    ("oauthTokenData", F::S),
];
const OAUTH_REQUIRED: Required = &["clientId", "clientSecret"];

/// The fields `smtp` and `imap` share in this simplification.
const MAIL_SERVER: Fields = &[
    ("user", F::S),
    ("password", F::S),
    ("host", F::S),
    ("port", F::N),
    ("secure", F::B),
];

fn known(kind: &str) -> Option<(Fields, Required)> {
    TYPES
        .iter()
        .find(|(t, _, _)| *t == kind)
        .map(|(_, f, r)| (*f, *r))
}

/// `GET /credentials/schema/{type}`: a JSON schema of the type's data.
pub fn schema(kind: &str) -> Option<Value> {
    let (fields, required) = known(kind)?;
    let properties: Map<String, Value> = fields
        .iter()
        .map(|(name, f)| ((*name).to_owned(), json!({ "type": type_name(*f) })))
        .collect();
    Some(json!({
        "additionalProperties": false,
        "type": "object",
        "properties": properties,
        "required": required,
    }))
}

fn type_name(f: F) -> &'static str {
    match f {
        F::S => "string",
        F::N => "number",
        F::B => "boolean",
    }
}

/// Checks credential data against its type, with n8n's (jsonschema) messages.
fn check_data(kind: &str, data: &Map<String, Value>) -> Result<(), ApiError> {
    let Some((fields, required)) = known(kind) else {
        return Err(ApiError::bad_request("req.body.type is not a known type"));
    };
    for key in data.keys() {
        if !fields.iter().any(|(name, _)| name == key) {
            return Err(ApiError::bad_request(format!(
                "request.body.data is not allowed to have the additional property \"{key}\""
            )));
        }
    }
    for (name, f) in fields {
        let ok = match (data.get(*name), f) {
            (None, _) => true,
            (Some(v), F::S) => v.is_string(),
            (Some(v), F::N) => v.is_number(),
            (Some(v), F::B) => v.is_boolean(),
        };
        if !ok {
            return Err(ApiError::bad_request(format!(
                "request.body.data is not of a type(s) {}",
                type_name(*f)
            )));
        }
    }
    if let Some(missing) = required.iter().find(|r| !data.contains_key(**r)) {
        return Err(ApiError::bad_request(format!(
            "request.body.data requires property \"{missing}\""
        )));
    }
    Ok(())
}

/// Per-request look-up results of `repair_references`, keyed by type and name or id.
#[derive(Default)]
struct Cache {
    by_name: HashMap<(String, Option<String>), Value>,
    by_id: HashMap<(String, Option<String>), Value>,
}

#[derive(Clone, Debug)]
pub struct Credential {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub created_at: Ts,
    pub updated_at: Ts,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialView<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    updated_at: Ts,
    created_at: Ts,
    is_managed: bool,
    is_global: bool,
}

impl Credential {
    /// As created (with `id`) or as deleted (n8n leaves the id out then).
    pub fn view(&self, with_id: bool) -> CredentialView<'_> {
        CredentialView {
            name: &self.name,
            kind: &self.kind,
            id: with_id.then_some(self.id.as_str()),
            updated_at: self.updated_at,
            created_at: self.created_at,
            is_managed: false,
            is_global: false,
        }
    }
}

/// All credentials of an instance.
#[derive(Debug, Default)]
pub struct Credentials {
    by_id: HashMap<String, Credential>,
    /// Ids in creation order (n8n's "first of a type" follows the database order).
    order: Vec<String>,
}

impl Credentials {
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn all(&self) -> impl Iterator<Item = &Credential> {
        self.order.iter().filter_map(|id| self.by_id.get(id))
    }

    pub fn get(&self, id: &str) -> Option<&Credential> {
        self.by_id.get(id)
    }

    /// `POST /credentials` after body validation.
    pub fn create(
        &mut self,
        name: &str,
        kind: &str,
        data: &Map<String, Value>,
        rng: &mut Rng,
    ) -> Result<&Credential, ApiError> {
        check_data(kind, data)?;
        let id = rng.nanoid();
        Ok(self.insert(id, name, kind))
    }

    /// Adds a credential with a given id (seeding: the credentials that seeded
    /// workflows refer to exist on the instance).
    pub fn insert(&mut self, id: String, name: &str, kind: &str) -> &Credential {
        let now = Ts::now();
        if !self.by_id.contains_key(&id) {
            self.order.push(id.clone());
        }
        let credential = Credential {
            id: id.clone(),
            name: name.to_owned(),
            kind: kind.to_owned(),
            created_at: now,
            updated_at: now,
        };
        self.by_id.entry(id).or_insert(credential)
    }

    pub fn remove(&mut self, id: &str) -> Option<Credential> {
        let removed = self.by_id.remove(id)?;
        self.order.retain(|i| i != id);
        Some(removed)
    }

    fn of_type<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Credential> + 'a {
        self.all().filter(move |c| c.kind == kind)
    }

    /// Credentials of `kind` named `name`; `None` for the name matches any (an
    /// undefined filter, which the database ignores).
    fn named<'a>(&'a self, kind: &'a str, name: Option<&'a str>) -> Vec<&'a Credential> {
        self.of_type(kind)
            .filter(|c| name.is_none_or(|n| c.name == n))
            .collect()
    }

    /// n8n's `replaceInvalidCredentials`, run on every workflow write: a node
    /// credential given by name only (a bare string or `id: null`) is bound to the
    /// one credential of that name and type; one whose id is unknown is bound to
    /// the one credential with its name and type. Otherwise it is left as sent.
    /// Quirks kept: without an `id` key the first credential of the type is
    /// taken, and a `null` reference fails the request.
    pub fn repair_references(&self, nodes: &mut Value) -> Result<(), ApiError> {
        let Some(items) = nodes.as_array_mut() else {
            return Ok(());
        };
        // n8n remembers look-ups per request, which shows in its answers.
        let mut cache = Cache::default();
        for node in items.iter_mut().filter_map(Value::as_object_mut) {
            if node.get("disabled") == Some(&Value::Bool(true)) {
                continue;
            }
            let Some(Value::Object(creds)) = node.get_mut("credentials") else {
                continue;
            };
            for (kind, reference) in creds.iter_mut() {
                if let Some(bound) = self.bind(kind, reference, &mut cache)? {
                    *reference = bound;
                }
            }
        }
        Ok(())
    }

    /// The new reference for one node credential, if it changes.
    fn bind(
        &self,
        kind: &str,
        reference: &Value,
        cache: &mut Cache,
    ) -> Result<Option<Value>, ApiError> {
        match reference {
            Value::Null => Err(ApiError::bad_request(
                "Cannot read properties of null (reading 'id')",
            )),
            Value::String(name) => Ok(self.bind_by_name(kind, Some(name), &mut cache.by_name)),
            Value::Object(o) if o.get("id") == Some(&Value::Null) => Ok(self.bind_by_name(
                kind,
                o.get("name").and_then(Value::as_str),
                &mut cache.by_name,
            )),
            other => Ok(self.bind_by_id(kind, other, &mut cache.by_id)),
        }
    }

    /// A reference with an id: kept when the id exists, else bound to the one
    /// credential with its name and type. n8n caches the outcome under the id it
    /// ends up with, so a later node with the same unknown id gets a copy of the
    /// first node's reference (name included).
    fn bind_by_id(
        &self,
        kind: &str,
        reference: &Value,
        cache: &mut HashMap<(String, Option<String>), Value>,
    ) -> Option<Value> {
        let id = reference
            .get("id")
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned));
        let key = (kind.to_owned(), id.clone());
        if let Some(cached) = cache.get(&key) {
            return Some(cached.clone());
        }
        let found = match reference.get("id") {
            // An undefined id is dropped from the query: any credential of the type.
            None => self.of_type(kind).next(),
            Some(Value::String(id)) => self.get(id).filter(|c| c.kind == kind),
            Some(_) => None,
        };
        if let Some(c) = found {
            let bound = json!({ "id": c.id, "name": c.name });
            cache.insert(key, bound.clone());
            return Some(bound);
        }
        let by_name = self.named(kind, reference.get("name").and_then(Value::as_str));
        if let [one] = by_name.as_slice() {
            let bound = json!({ "id": one.id, "name": one.name });
            cache.insert((kind.to_owned(), Some(one.id.clone())), bound.clone());
            return Some(bound);
        }
        cache.insert(key, reference.clone());
        None
    }

    /// A reference by name only: bound to the one credential of that name and
    /// type. Without one, n8n leaves the first such reference of a request as
    /// sent and turns later ones into `{"id": null, "name": ...}` (its look-up
    /// cache holds that placeholder).
    fn bind_by_name(
        &self,
        kind: &str,
        name: Option<&str>,
        cache: &mut HashMap<(String, Option<String>), Value>,
    ) -> Option<Value> {
        let key = (kind.to_owned(), name.map(str::to_owned));
        if let Some(cached) = cache.get(&key) {
            return Some(cached.clone());
        }
        let unique = match self.named(kind, name).as_slice() {
            [one] => Some(json!({ "id": one.id, "name": one.name })),
            _ => None,
        };
        let placeholder = match name {
            Some(n) => json!({ "id": null, "name": n }),
            None => json!({ "id": null }),
        };
        cache.insert(key, unique.clone().unwrap_or(placeholder));
        unique
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (Credentials, String, String) {
        let mut c = Credentials::default();
        let mut rng = Rng::new(9);
        let first = c
            .create("My Hdr", "httpHeaderAuth", &Map::new(), &mut rng)
            .unwrap()
            .id
            .clone();
        c.create("My Hdr", "httpHeaderAuth", &Map::new(), &mut rng)
            .unwrap();
        let uniq = c
            .create("Uniq", "httpHeaderAuth", &Map::new(), &mut rng)
            .unwrap()
            .id
            .clone();
        (c, first, uniq)
    }

    fn repaired(c: &Credentials, reference: Value) -> Value {
        let mut nodes = json!([{ "credentials": { "httpHeaderAuth": reference } }]);
        c.repair_references(&mut nodes).unwrap();
        nodes[0]["credentials"]["httpHeaderAuth"].clone()
    }

    // Each case mirrors an answer of a real n8n 1.123.0.
    #[test]
    fn references_are_repaired_like_n8n() {
        let (c, first, uniq) = store();
        assert_eq!(
            repaired(&c, json!({"id": "zzz", "name": "Uniq"})),
            json!({"id": uniq, "name": "Uniq"})
        );
        assert_eq!(
            repaired(&c, json!({"id": "zzz", "name": "My Hdr"})),
            json!({"id": "zzz", "name": "My Hdr"})
        );
        assert_eq!(
            repaired(&c, json!({"id": null, "name": "Uniq"})),
            json!({"id": uniq, "name": "Uniq"})
        );
        assert_eq!(
            repaired(&c, json!("Uniq")),
            json!({"id": uniq, "name": "Uniq"})
        );
        assert_eq!(repaired(&c, json!("Nobody")), json!("Nobody"));
        // A second reference to the same unknown name in one request becomes a placeholder.
        let mut nodes = json!([
            { "credentials": { "httpHeaderAuth": "Nobody" } },
            { "credentials": { "httpHeaderAuth": "Nobody" } }
        ]);
        c.repair_references(&mut nodes).unwrap();
        assert_eq!(nodes[0]["credentials"]["httpHeaderAuth"], json!("Nobody"));
        assert_eq!(
            nodes[1]["credentials"]["httpHeaderAuth"],
            json!({"id": null, "name": "Nobody"})
        );
        // A later node with the same unknown id gets the first node's reference.
        let mut nodes = json!([
            { "credentials": { "telegramApi": {"id": "x1", "name": "IT_RSS"} } },
            { "credentials": { "telegramApi": {"id": "x1", "name": "Security_RSS"} } }
        ]);
        c.repair_references(&mut nodes).unwrap();
        assert_eq!(
            nodes[1]["credentials"]["telegramApi"],
            json!({"id": "x1", "name": "IT_RSS"})
        );
        assert_eq!(
            repaired(&c, json!({"id": uniq, "name": "Wrong name"})),
            json!({"id": uniq, "name": "Uniq"})
        );
        assert_eq!(repaired(&c, json!({"id": "zzz"})), json!({"id": "zzz"}));
        assert_eq!(
            repaired(&c, json!({"name": "Uniq"})),
            json!({"id": first, "name": "My Hdr"})
        );
        let mut nodes = json!([{ "credentials": { "httpHeaderAuth": null } }]);
        assert_eq!(
            c.repair_references(&mut nodes).unwrap_err().message,
            "Cannot read properties of null (reading 'id')"
        );
        // Another type is never matched by name.
        let mut nodes =
            json!([{ "credentials": { "httpBasicAuth": {"id": "zzz", "name": "Uniq"} } }]);
        c.repair_references(&mut nodes).unwrap();
        assert_eq!(nodes[0]["credentials"]["httpBasicAuth"]["id"], "zzz");
    }

    #[test]
    fn data_is_checked_against_the_type() {
        let mut c = Credentials::default();
        let mut rng = Rng::new(1);
        let data = |v: Value| v.as_object().cloned().unwrap_or_default();
        assert_eq!(
            c.create("x", "nopeApi", &Map::new(), &mut rng)
                .unwrap_err()
                .message,
            "req.body.type is not a known type"
        );
        assert_eq!(
            c.create("x", "httpHeaderAuth", &data(json!({"zz": 1})), &mut rng)
                .unwrap_err()
                .message,
            "request.body.data is not allowed to have the additional property \"zz\""
        );
        assert_eq!(
            c.create("x", "slackApi", &Map::new(), &mut rng)
                .unwrap_err()
                .message,
            "request.body.data requires property \"accessToken\""
        );
        assert!(
            c.create(
                "x",
                "slackApi",
                &data(json!({"accessToken": "t"})),
                &mut rng
            )
            .is_ok()
        );
        assert!(schema("slackApi").is_some());
        assert!(schema("nopeApi").is_none());
    }
}
