//! Cursor pagination over `{data, nextCursor}` lists: a page at a time, as
//! a stream, or all at once.

use futures_util::Stream;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::client::{ApiRequest, N8nClient, Reply};
use super::error::{Endpoint, N8nError, looks_like_html};
use tokio::task::JoinHandle;

/// The largest page n8n serves (more is a 400).
pub const PAGE_LIMIT: usize = 250;

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor of the next page; `None` on the last one.
    pub next_cursor: Option<String>,
}

/// Reads one list page by page. On an error the pager stays where it was,
/// so calling [`Pager::next_page`] again retries the same page.
///
/// As soon as a page's body has arrived, the request for the next page is
/// sent, before this page is decoded: n8n prepares the next page while the
/// caller works on this one. Dropping the pager cancels that request.
pub struct Pager<T> {
    client: N8nClient,
    request: ApiRequest,
    limit: usize,
    cursor: Option<String>,
    finished: bool,
    decode: fn(&RawValue) -> Result<T, serde_json::Error>,
    /// The request for the page at `cursor`, already sent.
    prefetched: Option<JoinHandle<Result<Reply, N8nError>>>,
}

impl<T> Drop for Pager<T> {
    fn drop(&mut self) {
        if let Some(handle) = self.prefetched.take() {
            handle.abort();
        }
    }
}

impl<T> Pager<T> {
    pub(crate) fn new(
        client: N8nClient,
        request: ApiRequest,
        decode: fn(&RawValue) -> Result<T, serde_json::Error>,
    ) -> Self {
        Self {
            client,
            request,
            limit: PAGE_LIMIT,
            cursor: None,
            finished: false,
            decode,
            prefetched: None,
        }
    }

    /// Page size, clamped to 1..=250 (default 250).
    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = limit.clamp(1, PAGE_LIMIT);
        self
    }

    /// Starts from a cursor an earlier pager returned.
    pub fn starting_at(mut self, cursor: Option<String>) -> Self {
        if let Some(handle) = self.prefetched.take() {
            handle.abort();
        }
        self.cursor = cursor;
        self
    }

    fn page_request(&self, cursor: Option<&str>) -> ApiRequest {
        let req = self.request.clone().query("limit", self.limit);
        match cursor {
            Some(cursor) => req.query("cursor", cursor),
            None => req,
        }
    }

    /// The cursor the next call will send (`None` before the first page).
    pub fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The next page, or `None` once the last page has been returned.
    pub async fn next_page(&mut self) -> Result<Option<Page<T>>, N8nError> {
        if self.finished {
            return Ok(None);
        }
        let req = self.page_request(self.cursor.as_deref());
        let endpoint = req.endpoint();
        let reply = match self.prefetched.take() {
            Some(handle) => handle.await.map_err(|e| N8nError::Transport {
                env: self.client.env().to_owned(),
                endpoint: endpoint.clone(),
                detail: format!("the request for this page stopped: {e}"),
            })??,
            None => self.client.execute(&req).await?,
        };
        if let Some(next) = next_cursor_of(&reply.body).filter(|c| Some(c) != self.cursor.as_ref())
        {
            let (client, next_req) = (self.client.clone(), self.page_request(Some(&next)));
            self.prefetched = Some(tokio::spawn(async move { client.execute(&next_req).await }));
        }
        let page = match parse_page(&self.client, &endpoint, &reply, self.decode) {
            Ok(page) => page,
            Err(e) => {
                if let Some(handle) = self.prefetched.take() {
                    handle.abort();
                }
                return Err(e);
            }
        };
        if page.next_cursor.is_some() && page.next_cursor == self.cursor {
            return Err(N8nError::InvalidBody {
                env: self.client.env().to_owned(),
                endpoint,
                status: reply.status,
                detail: "n8n returned the same cursor again; stopping to avoid a loop".into(),
            });
        }
        self.finished = page.next_cursor.is_none();
        self.cursor.clone_from(&page.next_cursor);
        Ok(Some(page))
    }

    /// Every remaining item, following cursors to the end.
    pub async fn collect_all(mut self) -> Result<Vec<T>, N8nError> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page().await? {
            all.extend(page.items);
        }
        Ok(all)
    }

    /// The remaining pages as a stream; it ends after the first error.
    pub fn into_stream(self) -> impl Stream<Item = Result<Page<T>, N8nError>> {
        futures_util::stream::try_unfold(self, |mut pager| async move {
            Ok(pager.next_page().await?.map(|page| (page, pager)))
        })
    }
}

/// The `nextCursor` of a list body, read without building its items; None
/// when absent, null or unreadable (then `parse_page` says what is wrong).
fn next_cursor_of(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct CursorOnly {
        #[serde(rename = "nextCursor")]
        next_cursor: Option<String>,
    }
    serde_json::from_slice::<CursorOnly>(body)
        .ok()
        .and_then(|c| c.next_cursor)
        .filter(|c| !c.is_empty())
}

/// Decodes a list item with serde.
pub(crate) fn decode_item<T: DeserializeOwned>(raw: &RawValue) -> Result<T, serde_json::Error> {
    serde_json::from_str(raw.get())
}

/// Splits a `{data, nextCursor}` body into items without re-serializing
/// them. Anything else at a list endpoint is not n8n.
pub(crate) fn parse_page<T>(
    client: &N8nClient,
    endpoint: &Endpoint,
    reply: &Reply,
    decode: fn(&RawValue) -> Result<T, serde_json::Error>,
) -> Result<Page<T>, N8nError> {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow)]
        data: Vec<&'a RawValue>,
        /// Required, though null on the last page.
        #[serde(rename = "nextCursor", deserialize_with = "Option::deserialize")]
        next_cursor: Option<String>,
    }

    if looks_like_html(&reply.body) {
        return Err(client.not_n8n(endpoint, reply.status, "an HTML page instead of a list"));
    }
    let envelope: Envelope = serde_json::from_slice(&reply.body).map_err(|e| {
        if e.is_data() {
            client.not_n8n(
                endpoint,
                reply.status,
                &format!("JSON that is not a {{data, nextCursor}} list ({e})"),
            )
        } else {
            client.invalid_body(endpoint, reply.status, &e)
        }
    })?;
    let items = envelope
        .data
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            decode(raw).map_err(|e| N8nError::InvalidBody {
                env: client.env().to_owned(),
                endpoint: endpoint.clone(),
                status: reply.status,
                detail: client.scrub(&format!("item {i} of the page: {e}")),
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(Page {
        items,
        next_cursor: envelope.next_cursor.filter(|c| !c.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::extract::Query;
    use axum::routing::get;
    use futures_util::TryStreamExt;
    use serde_json::json;

    use super::super::testkit::{client, json, raw, serve};
    use super::super::{N8nError, WorkflowFilter};

    type Seen = Arc<Mutex<Vec<HashMap<String, String>>>>;

    /// Three pages of workflows, chained by cursors; records each query.
    fn three_pages(seen: Seen) -> Router {
        Router::new().route(
            "/api/v1/workflows",
            get(move |Query(q): Query<HashMap<String, String>>| {
                let seen = seen.clone();
                async move {
                    let cursor = q.get("cursor").cloned();
                    seen.lock().unwrap().push(q);
                    let (ids, next) = match cursor.as_deref() {
                        None => (vec!["1", "2"], json!("c2")),
                        Some("c2") => (vec!["3", "4"], json!("c3")),
                        Some("c3") => (vec!["5"], json!(null)),
                        Some(_) => return json(400, &json!({"message": "bad cursor"})),
                    };
                    let data: Vec<_> = ids
                        .iter()
                        .map(|id| json!({"id": id, "name": format!("w{id}"), "extra2x": {"k": 1}}))
                        .collect();
                    json(200, &json!({"data": data, "nextCursor": next}))
                }
            }),
        )
    }

    #[tokio::test]
    async fn follows_cursors_to_the_end_with_limit_250() {
        let seen = Seen::default();
        let server = serve(three_pages(seen.clone())).await;
        let filter = WorkflowFilter {
            active: Some(true),
            tags: vec!["prod".into(), "eu".into()],
            exclude_pinned_data: true,
            ..WorkflowFilter::default()
        };
        let all = client(&server.url).all_workflows(&filter).await.unwrap();
        let ids: Vec<_> = all.iter().map(|w| w.id.as_str()).collect();
        assert_eq!(ids, ["1", "2", "3", "4", "5"]);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3);
        for q in seen.iter() {
            assert_eq!(q.get("limit").map(String::as_str), Some("250"));
            assert_eq!(q.get("active").map(String::as_str), Some("true"));
            assert_eq!(q.get("tags").map(String::as_str), Some("prod,eu"));
            assert_eq!(q.get("excludePinnedData").map(String::as_str), Some("true"));
        }
        assert_eq!(seen[1].get("cursor").map(String::as_str), Some("c2"));
        assert_eq!(seen[2].get("cursor").map(String::as_str), Some("c3"));
    }

    #[tokio::test]
    async fn pages_one_at_a_time_and_as_a_stream() {
        let server = serve(three_pages(Seen::default())).await;
        let c = client(&server.url);
        let mut pager = c.workflows(&WorkflowFilter::default());
        let first = pager.next_page().await.unwrap().unwrap();
        assert_eq!(first.items.len(), 2);
        assert_eq!(pager.cursor(), Some("c2"));
        assert!(!pager.is_finished());
        let sizes: Vec<usize> = pager
            .into_stream()
            .map_ok(|p| p.items.len())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(sizes, [2, 1]);
    }

    #[tokio::test]
    async fn items_keep_their_exact_text() {
        let body = r#"{"data":[{"id":7,  "name":"x","odd":  [1,2]}],"nextCursor":null}"#;
        let app = Router::new().route(
            "/api/v1/workflows",
            get(move || async move { raw(200, "application/json", body) }),
        );
        let server = serve(app).await;
        let all = client(&server.url)
            .all_workflows(&WorkflowFilter::default())
            .await
            .unwrap();
        assert_eq!(all[0].raw_json(), r#"{"id":7,  "name":"x","odd":  [1,2]}"#);
        assert_eq!(all[0].id, "7");
    }

    #[tokio::test]
    async fn json_of_another_shape_is_not_n8n() {
        for body in [
            r#"{"items":[]}"#,
            r#"{"data":[]}"#,
            r#"[1,2]"#,
            r#"{"data":{},"nextCursor":null}"#,
        ] {
            let app = Router::new().route(
                "/api/v1/workflows",
                get(move || async move { raw(200, "application/json", body) }),
            );
            let server = serve(app).await;
            let err = client(&server.url)
                .all_workflows(&WorkflowFilter::default())
                .await
                .unwrap_err();
            assert!(
                matches!(err, N8nError::NotN8n { status: 200, .. }),
                "{body}: {err}"
            );
        }
    }

    #[tokio::test]
    async fn a_repeated_cursor_stops_the_walk() {
        let app = Router::new().route(
            "/api/v1/tags",
            get(|| async {
                json(
                    200,
                    &json!({"data": [{"id": "1", "name": "t"}], "nextCursor": "same"}),
                )
            }),
        );
        let server = serve(app).await;
        let err = client(&server.url).all_tags().await.unwrap_err();
        assert!(matches!(err, N8nError::InvalidBody { .. }), "{err}");
        assert!(err.to_string().contains("same cursor"), "{err}");
    }

    #[tokio::test]
    async fn an_unreadable_item_names_its_place() {
        let app = Router::new().route(
            "/api/v1/executions",
            get(|| async {
                json(
                    200,
                    &json!({"data": [{"id": "1"}, {"id": null}], "nextCursor": null}),
                )
            }),
        );
        let server = serve(app).await;
        let err = client(&server.url)
            .all_executions(&Default::default())
            .await
            .unwrap_err();
        assert!(matches!(err, N8nError::InvalidBody { .. }), "{err}");
        assert!(err.to_string().contains("item 1 of the page"), "{err}");
    }
}
