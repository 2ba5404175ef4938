//! Errors: `SimError` for the Rust API of the simulator, `ApiError` for the HTTP
//! answers it gives (always `{"message": ...}`, like n8n).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::path::PathBuf;

/// What can go wrong starting, seeding or driving a simulator from Rust.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("seed workflow #{index} ({name}) is not accepted by n8n: {message}")]
    Seed {
        index: usize,
        name: String,
        message: String,
    },
    #[error("simulated server failed: {0}")]
    Serve(std::io::Error),
    /// A direct call on a running simulator was refused, as the API would refuse it.
    #[error("{message} (HTTP {status})")]
    Api { status: u16, message: String },
}

impl From<ApiError> for SimError {
    fn from(e: ApiError) -> Self {
        SimError::Api {
            status: e.status.as_u16(),
            message: e.message,
        }
    }
}

/// An HTTP error answer in n8n's shape.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// n8n's 404 for a known route and an unknown id.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found")
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(self.status, message_body(&self.message))
    }
}

/// `{"message": ...}` serialized.
pub fn message_body(message: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "message": message })).unwrap_or_default()
}

/// A JSON response with n8n's content type.
pub fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}
