//! The HTTP surface: n8n's public API under `/api/v1`, plus the few unauthenticated
//! pages a client probes (`/rest/settings`, `/healthz`, the editor page).
//!
//! Handlers are thin: check the key, read the query and body the way n8n's
//! validator does, call the store, and write n8n's JSON. The order matters and
//! follows n8n: unknown route (404) and method (405), then the API key (401),
//! then query and body validation (400), then the lookup (404).

use super::audit;
use super::credentials;
use super::cursor::Cursor;
use super::error::{ApiError, json_response};
use super::executions::{ExecFilter, ExecView, Status};
use super::faults::{self, PageFailure};
use super::query::{self, DEFAULT_LIMIT, Query};
use super::server::Sim;
use super::store::WorkflowFilter;
use super::validate;
use super::workflows::View;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post};
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::Arc;

type Shared = State<Arc<Sim>>;
type ApiResult = Result<Response, ApiError>;

/// The complete router of one simulated instance.
pub fn router(sim: Arc<Sim>) -> Router {
    let api = Router::new()
        .route("/workflows", api(get(list_workflows).post(create_workflow)))
        .route(
            "/workflows/{id}",
            api(get(get_workflow)
                .put(update_workflow)
                .delete(delete_workflow)),
        )
        .route("/workflows/{id}/activate", api(post(activate_workflow)))
        .route("/workflows/{id}/deactivate", api(post(deactivate_workflow)))
        .route(
            "/workflows/{id}/tags",
            api(get(get_workflow_tags).put(put_workflow_tags)),
        )
        .route("/executions", api(get(list_executions)))
        .route(
            "/executions/{id}",
            api(get(get_execution).delete(delete_execution)),
        )
        .route("/executions/{id}/retry", api(post(retry_execution)))
        .route("/tags", api(get(list_tags).post(create_tag)))
        .route(
            "/tags/{id}",
            api(get(get_tag).put(update_tag).delete(delete_tag)),
        )
        .route("/users", api(get(list_users)))
        .route("/users/{id}", api(get(get_user)))
        .route("/credentials", api(post(create_credential)))
        .route("/credentials/{id}", api(delete(delete_credential)))
        .route("/credentials/schema/{kind}", api(get(credential_schema)))
        .route("/audit", api(post(run_audit)))
        .route(
            "/variables",
            api(get(unlicensed_variables).post(unlicensed_variables)),
        )
        .route(
            "/projects",
            api(get(unlicensed_projects).post(unlicensed_projects)),
        )
        .fallback(api_not_found);
    Router::new()
        .nest("/api/v1", api)
        .route("/rest/settings", get(public_settings))
        .route("/healthz", get(healthz))
        .route("/healthz/readiness", get(healthz))
        .route("/", get(editor_page))
        .fallback(page_not_found)
        // n8n's default N8N_PAYLOAD_SIZE_MAX (axum's own default is 2 MiB).
        .layer(DefaultBodyLimit::max(16 * 1024 * 1024))
        .layer(middleware::from_fn_with_state(sim.clone(), faults::layer))
        .with_state(sim)
}

/// n8n answers an unsupported method on a known route with 405 and a message.
fn api(route: MethodRouter<Arc<Sim>>) -> MethodRouter<Arc<Sim>> {
    route.fallback(|method: Method| async move {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} method not allowed"),
        )
    })
}

async fn api_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not found")
}

async fn page_not_found(method: Method, uri: Uri) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot {method} {}</pre>\n</body>\n</html>\n",
        uri.path()
    );
    let mut response = (StatusCode::NOT_FOUND, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// The API key check (`X-N8N-API-KEY`), as an extractor so it runs after routing.
pub struct Auth;

impl FromRequestParts<Arc<Sim>> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        sim: &Arc<Sim>,
    ) -> Result<Self, Self::Rejection> {
        match parts.headers.get("x-n8n-api-key") {
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "'X-N8N-API-KEY' header required",
            )),
            Some(key) if key.as_bytes() == sim.api_key.as_bytes() => Ok(Auth),
            Some(_) => Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized")),
        }
    }
}

/// The query string, parsed (validation is per handler).
pub struct Q(Query);

impl<S: Send + Sync> FromRequestParts<S> for Q {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Q(Query::parse(parts.uri.query())))
    }
}

/// A JSON request body; an empty body reads as `{}` (what n8n's parser yields).
fn json_body(bytes: &Bytes) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(bytes).map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Failed to parse request body",
        )
    })
}

fn ok_json<T: Serialize>(value: &T) -> Response {
    ok_status(StatusCode::OK, value)
}

fn ok_status<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => json_response(status, body),
        Err(e) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Page<T> {
    data: Vec<T>,
    next_cursor: Option<String>,
}

/// A list page, failed as the faults say when its number is targeted.
fn page_response<T: Serialize>(sim: &Sim, path: &str, number: u64, page: &Page<T>) -> Response {
    let body = match serde_json::to_vec(page) {
        Ok(body) => body,
        Err(e) => {
            return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response();
        }
    };
    match sim.faults.page_failure(path, number) {
        None => json_response(StatusCode::OK, body),
        Some(PageFailure::ServerError) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Internal error while reading page {number}"),
        )
        .into_response(),
        Some(PageFailure::DropConnection) => {
            let keep = body.len() / 2;
            faults::dropped_after(
                json_response(StatusCode::OK, Vec::new()),
                Bytes::from(body),
                keep,
            )
        }
    }
}

fn page_number(offset: i64, limit: i64) -> u64 {
    if limit <= 0 {
        1
    } else {
        (offset.max(0) / limit) as u64 + 1
    }
}

// ---- workflows ----

async fn list_workflows(State(sim): Shared, _: Auth, Q(q): Q) -> ApiResult {
    q.check(&[
        "active",
        "tags",
        "name",
        "projectId",
        "excludePinnedData",
        "limit",
        "cursor",
    ])?;
    let filter = WorkflowFilter {
        active: q.boolean("active")?,
        name: q.string("name")?.map(str::to_owned),
        tags: q
            .string("tags")?
            .map(|t| t.split(',').map(|n| n.trim().to_owned()).collect()),
        project_id: q.string("projectId")?.map(str::to_owned),
    };
    let exclude_pinned_data = q.boolean("excludePinnedData")?.unwrap_or(false);
    let (offset, limit) = query::offset_page(&q)?;
    let store = sim.read();
    let matching = store.filter_workflows(&filter);
    let (range, next_cursor) = query::offset_slice(matching.len(), offset, limit);
    let cx = store.render_context();
    let view = View::List {
        exclude_pinned_data,
    };
    let data = matching[range].iter().map(|w| w.view(view, &cx)).collect();
    let page = Page { data, next_cursor };
    Ok(page_response(
        &sim,
        "/api/v1/workflows",
        page_number(offset, limit),
        &page,
    ))
}

async fn create_workflow(State(sim): Shared, _: Auth, text: Bytes) -> ApiResult {
    let body = json_body(&text)?;
    let mut store = sim.write();
    let id = store.create_workflow(&body, Some(&text))?.id.clone();
    let cx = store.render_context();
    let w = store.workflow(&id).ok_or_else(ApiError::not_found)?;
    Ok(ok_json(&w.view(View::Create, &cx)))
}

async fn get_workflow(State(sim): Shared, _: Auth, Path(id): Path<String>, Q(q): Q) -> ApiResult {
    q.check(&["excludePinnedData"])?;
    let exclude_pinned_data = q.boolean("excludePinnedData")?.unwrap_or(false);
    let store = sim.read();
    let w = store.workflow(&id).ok_or_else(ApiError::not_found)?;
    Ok(ok_json(&w.view(
        View::Get {
            exclude_pinned_data,
        },
        &store.render_context(),
    )))
}

async fn update_workflow(
    State(sim): Shared,
    _: Auth,
    Path(id): Path<String>,
    text: Bytes,
) -> ApiResult {
    let body = json_body(&text)?;
    let mut store = sim.write();
    store.update_workflow(&id, &body, Some(&text))?;
    let w = store.workflow(&id).ok_or_else(ApiError::not_found)?;
    Ok(ok_json(&w.view(View::Update, &store.render_context())))
}

async fn delete_workflow(State(sim): Shared, _: Auth, Path(id): Path<String>) -> ApiResult {
    let mut store = sim.write();
    let removed = store.delete_workflow(&id).ok_or_else(ApiError::not_found)?;
    Ok(ok_json(
        &removed.view(View::Delete, &store.render_context()),
    ))
}

async fn activate_workflow(State(sim): Shared, _: Auth, Path(id): Path<String>) -> ApiResult {
    let mut store = sim.write();
    let toggled = store.activate(&id)?;
    Ok(ok_json(
        &toggled.shown.view(toggled.view, &store.render_context()),
    ))
}

async fn deactivate_workflow(State(sim): Shared, _: Auth, Path(id): Path<String>) -> ApiResult {
    let mut store = sim.write();
    let toggled = store.deactivate(&id)?;
    Ok(ok_json(
        &toggled.shown.view(toggled.view, &store.render_context()),
    ))
}

async fn get_workflow_tags(State(sim): Shared, _: Auth, Path(id): Path<String>) -> ApiResult {
    let store = sim.read();
    let w = store.workflow(&id).ok_or_else(ApiError::not_found)?;
    Ok(ok_json(&store.tags.views(&w.tags)))
}

async fn put_workflow_tags(
    State(sim): Shared,
    _: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let ids = validate::tag_ids_body(&json_body(&body)?).map_err(ApiError::bad_request)?;
    let mut store = sim.write();
    store.set_workflow_tags(&id, ids)?;
    let w = store.workflow(&id).ok_or_else(ApiError::not_found)?;
    Ok(ok_json(&store.tags.views(&w.tags)))
}

// ---- executions ----

/// The execution id of a path: n8n declares it a number.
fn execution_id(raw: &str) -> Result<Option<u64>, ApiError> {
    let number: f64 = raw
        .trim()
        .parse()
        .map_err(|_| ApiError::bad_request("request/params/id must be number"))?;
    Ok((number.fract() == 0.0 && number >= 0.0).then_some(number as u64))
}

async fn list_executions(State(sim): Shared, _: Auth, Q(q): Q) -> ApiResult {
    q.check(&[
        "includeData",
        "status",
        "workflowId",
        "projectId",
        "limit",
        "cursor",
    ])?;
    let include_data = q.boolean("includeData")?.unwrap_or(false);
    let status = q
        .one_of("status", &Status::FILTERABLE)?
        .and_then(|s| Status::parse(&s));
    let filter = ExecFilter {
        status,
        workflow_id: q.string("workflowId")?.map(str::to_owned),
    };
    let project_id = q.string("projectId")?.map(str::to_owned);
    let limit = q.limit()?;
    let (before, limit) = match q.cursor()? {
        Some(Cursor::LastId { last_id, limit: l }) => {
            (last_id, l.or(limit).unwrap_or(DEFAULT_LIMIT))
        }
        Some(Cursor::Offset { limit: l, .. }) => (None, l.or(limit).unwrap_or(DEFAULT_LIMIT)),
        None => (None, limit.unwrap_or(DEFAULT_LIMIT)),
    };
    sim.write().settle_executions(super::json::Ts::now());
    let store = sim.read();
    let page_size = usize::try_from(limit)
        .ok()
        .filter(|&l| l > 0)
        .unwrap_or(usize::MAX);
    let hidden = project_id.is_some_and(|p| p != store.users.owner.project_id)
        || filter
            .workflow_id
            .as_deref()
            .is_some_and(|w| store.workflow(w).is_none());
    let (items, more) = if hidden {
        (Vec::new(), false)
    } else {
        store.execution_page(&filter, before, page_size)
    };
    let next_cursor = match items.last() {
        Some(last) if more => Some(super::cursor::encode_last_id(last.id, limit)),
        _ => None,
    };
    let number = match before {
        None => 1,
        Some(b) => {
            let newer = store
                .execution_page(&filter, None, usize::MAX)
                .0
                .iter()
                .take_while(|e| e.id >= b)
                .count();
            (newer / page_size.max(1)) as u64 + 1
        }
    };
    let data = items
        .iter()
        .map(|e| e.view(ExecView::List, include_data))
        .collect();
    Ok(page_response(
        &sim,
        "/api/v1/executions",
        number,
        &Page { data, next_cursor },
    ))
}

async fn get_execution(State(sim): Shared, _: Auth, Path(id): Path<String>, Q(q): Q) -> ApiResult {
    q.check(&["includeData"])?;
    let include_data = q.boolean("includeData")?.unwrap_or(false);
    let id = execution_id(&id)?.ok_or_else(ApiError::not_found)?;
    sim.write().settle_executions(super::json::Ts::now());
    let store = sim.read();
    let e = store.executions.get(id).ok_or_else(ApiError::not_found)?;
    Ok(ok_json(&e.view(ExecView::Get, include_data)))
}

async fn delete_execution(State(sim): Shared, _: Auth, Path(id): Path<String>) -> ApiResult {
    let id = execution_id(&id)?.ok_or_else(ApiError::not_found)?;
    let mut store = sim.write();
    store.settle_executions(super::json::Ts::now());
    let removed = store.delete_execution(id)?;
    Ok(ok_json(&removed.view(ExecView::Deleted, false)))
}

async fn retry_execution(State(sim): Shared, _: Auth, Path(id): Path<String>) -> ApiResult {
    let id = execution_id(&id)?.ok_or_else(ApiError::not_found)?;
    let mut store = sim.write();
    store.settle_executions(super::json::Ts::now());
    let retried = store.retry_execution(id)?;
    Ok(ok_json(&retried.retry_view()))
}

// ---- tags ----

async fn list_tags(State(sim): Shared, _: Auth, Q(q): Q) -> ApiResult {
    q.check(&["limit", "cursor"])?;
    let (offset, limit) = query::offset_page(&q)?;
    let store = sim.read();
    let all = store.tags.all();
    let (range, next_cursor) = query::offset_slice(all.len(), offset, limit);
    let page = Page {
        data: all[range].iter().map(|t| t.view()).collect(),
        next_cursor,
    };
    Ok(page_response(
        &sim,
        "/api/v1/tags",
        page_number(offset, limit),
        &page,
    ))
}

async fn create_tag(State(sim): Shared, _: Auth, body: Bytes) -> ApiResult {
    let body = json_body(&body)?;
    let name = validate::tag_body(&body).map_err(ApiError::bad_request)?;
    let mut guard = sim.write();
    let store = &mut *guard;
    let tag = store.tags.create(name, &mut store.rng)?;
    // n8n answers a new tag with 201 and its fields in creation order.
    Ok(ok_status(
        StatusCode::CREATED,
        &json!({ "name": tag.name, "id": tag.id, "updatedAt": tag.updated_at, "createdAt": tag.created_at }),
    ))
}

async fn get_tag(State(sim): Shared, _: Auth, Path(id): Path<String>) -> ApiResult {
    let store = sim.read();
    let tag = store.tags.get(&id).ok_or_else(ApiError::not_found)?;
    Ok(ok_json(&tag.view()))
}

async fn update_tag(State(sim): Shared, _: Auth, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let body = json_body(&body)?;
    let name = validate::tag_body(&body).map_err(ApiError::bad_request)?;
    let mut store = sim.write();
    let tag = store.tags.rename(&id, name)?;
    Ok(ok_json(
        &json!({ "id": tag.id, "name": tag.name, "updatedAt": tag.updated_at }),
    ))
}

async fn delete_tag(State(sim): Shared, _: Auth, Path(id): Path<String>) -> ApiResult {
    let mut store = sim.write();
    let tag = store.delete_tag(&id).ok_or_else(ApiError::not_found)?;
    Ok(ok_json(&tag.view()))
}

// ---- users ----

async fn list_users(State(sim): Shared, _: Auth, Q(q): Q) -> ApiResult {
    q.check(&["limit", "cursor", "includeRole", "projectId"])?;
    let include_role = q.boolean("includeRole")?.unwrap_or(false);
    let project_id = q.string("projectId")?.map(str::to_owned);
    let (offset, limit) = query::offset_page(&q)?;
    let store = sim.read();
    let users: Vec<_> = match project_id {
        Some(p) if p != store.users.owner.project_id => Vec::new(),
        Some(_) => store.users.list.iter().take(1).collect(),
        None => store.users.list.iter().collect(),
    };
    let (range, next_cursor) = query::offset_slice(users.len(), offset, limit);
    let page = Page {
        data: users[range].iter().map(|u| u.view(include_role)).collect(),
        next_cursor,
    };
    Ok(page_response(
        &sim,
        "/api/v1/users",
        page_number(offset, limit),
        &page,
    ))
}

async fn get_user(State(sim): Shared, _: Auth, Path(id): Path<String>, Q(q): Q) -> ApiResult {
    q.check(&["includeRole"])?;
    let include_role = q.boolean("includeRole")?.unwrap_or(false);
    if !super::users::is_identifier(&id) {
        return Err(ApiError::bad_request(
            "request/params/id must match format \"identifier\"",
        ));
    }
    let store = sim.read();
    let user = store.users.find(&id).ok_or_else(ApiError::not_found)?;
    Ok(ok_json(&user.view(include_role)))
}

// ---- credentials ----

async fn create_credential(State(sim): Shared, _: Auth, body: Bytes) -> ApiResult {
    let body = json_body(&body)?;
    let (name, kind, data) = validate::credential_body(&body).map_err(ApiError::bad_request)?;
    let mut guard = sim.write();
    let store = &mut *guard;
    let credential = store.credentials.create(name, kind, data, &mut store.rng)?;
    Ok(ok_json(&credential.view(true)))
}

async fn delete_credential(State(sim): Shared, _: Auth, Path(id): Path<String>) -> ApiResult {
    let mut store = sim.write();
    let removed = store
        .credentials
        .remove(&id)
        .ok_or_else(ApiError::not_found)?;
    Ok(ok_json(&removed.view(false)))
}

async fn credential_schema(State(_sim): Shared, _: Auth, Path(kind): Path<String>) -> ApiResult {
    let schema = credentials::schema(&kind).ok_or_else(ApiError::not_found)?;
    Ok(ok_json(&schema))
}

// ---- audit and unlicensed features ----

async fn run_audit(State(sim): Shared, _: Auth, body: Bytes) -> ApiResult {
    let body = json_body(&body)?;
    let categories = audit::categories(&body).map_err(ApiError::bad_request)?;
    let store = sim.read();
    Ok(ok_json(&audit::report(&store, &categories)))
}

async fn unlicensed_variables(_: Auth) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "Your license does not allow for feat:variables. To enable feat:variables, please upgrade to a license that supports this feature.",
    )
}

async fn unlicensed_projects(_: Auth) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "Your license does not allow for feat:projectRole:admin. To enable feat:projectRole:admin, please upgrade to a license that supports this feature.",
    )
}

// ---- unauthenticated pages ----

/// What n8n shows anyone at `/rest/settings`: the public settings only. The
/// version (`versionCli`) is not among them; clients find it in the editor page.
async fn public_settings() -> Response {
    ok_json(&json!({ "data": {
        "settingsMode": "public",
        "userManagement": { "authenticationMethod": "email", "showSetupOnFirstLoad": false, "smtpSetup": false },
        "sso": {
            "saml": { "loginEnabled": false },
            "ldap": { "loginEnabled": false, "loginLabel": "" },
            "oidc": { "loginEnabled": false, "loginUrl": "" }
        },
        "authCookie": { "secure": false },
        "previewMode": false,
        "enterprise": { "saml": false, "ldap": false, "oidc": false }
    }}))
}

async fn healthz() -> Response {
    ok_json(&json!({ "status": "ok" }))
}

/// The editor page, reduced to what a client reads from it: the Sentry config
/// meta tag carrying the release (`n8n@1.123.0`), base64 encoded.
async fn editor_page(State(sim): Shared) -> Response {
    let config = json!({ "dsn": "", "environment": "production", "release": format!("n8n@{}", sim.version) });
    let encoded = crate::domain::encoding::base64_encode(config.to_string().as_bytes());
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n<meta name=\"n8n:config:rest-endpoint\" content=\"cmVzdA==\">\n<meta name=\"n8n:config:sentry\" content=\"{encoded}\">\n<title>n8n.io - Workflow Automation</title>\n</head>\n<body><div id=\"app\"></div></body>\n</html>\n"
    );
    let mut response = (StatusCode::OK, page).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}
