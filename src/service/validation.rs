//! Running a stage's custom validation: a command (no shell) or an HTTP check, bounded
//! by its timeout. The domain judges the outcome (`validation_gate`).

use std::sync::Mutex;
use std::time::Duration;

use futures_util::FutureExt as _;
use futures_util::future::FusedFuture as _;
use reqwest::{Method, Url};
use tokio::io::{AsyncRead, AsyncReadExt as _};
use tokio::process::Command;

use crate::domain::pipeline::{Validation, ValidationOutcome};

/// Most bytes of a command's combined stdout and stderr kept (the last ones).
const OUTPUT_LIMIT: usize = 4096;

/// How long, after the command exited, its pipes may stay open (a background child
/// it left behind holds them) before we stop reading and judge what we have.
const DRAIN_GRACE: Duration = Duration::from_millis(500);

/// Runs `validation` once and says how it went; never fails as a whole.
pub(super) async fn run_validation(validation: &Validation) -> ValidationOutcome {
    let limit = Duration::from_secs(validation.timeout_secs());
    match validation {
        Validation::Command { command, .. } => run_command(command, limit).await,
        Validation::Http { url, method, .. } => run_http(url, method, limit).await,
    }
}

/// Runs `command[0]` with the rest as arguments (no shell, stdin closed), keeping the
/// last [`OUTPUT_LIMIT`] bytes of stdout and stderr interleaved as they arrive. Past
/// `limit` the child is killed and reaped.
async fn run_command(command: &[String], limit: Duration) -> ValidationOutcome {
    let Some((program, args)) = command.split_first() else {
        return error("the validation command names no program".to_owned());
    };
    let mut child = match Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(e) => return error(format!("cannot start '{program}': {e}")),
    };
    let tail = Mutex::new(Tail::default());
    // Both pipes are read at once so a program filling one cannot block on it.
    let readers = {
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let tail = &tail;
        async move {
            tokio::join!(pump(stdout, tail), pump(stderr, tail));
        }
        .fuse()
    };
    tokio::pin!(readers);

    let waited = tokio::time::timeout(limit, async {
        tokio::select! {
            status = child.wait() => status,
            () = &mut readers => child.wait().await,
        }
    })
    .await;
    let status = match waited {
        Ok(Ok(status)) => status,
        Ok(Err(e)) => return error(format!("cannot wait for '{program}': {e}")),
        Err(_) => {
            // `kill` sends SIGKILL and waits, so no zombie is left; if the child ended
            // in the meantime there is nothing to kill and that is fine.
            let _ = child.kill().await;
            return ValidationOutcome::TimedOut;
        }
    };
    if !readers.is_terminated() {
        let _ = tokio::time::timeout(DRAIN_GRACE, &mut readers).await;
    }
    let output = match tail.lock() {
        Ok(tail) => tail.text(),
        Err(poisoned) => poisoned.into_inner().text(),
    };
    ValidationOutcome::Exited {
        code: status.code(),
        output,
    }
}

/// Copies `pipe` into `tail` until it closes or fails.
async fn pump(pipe: Option<impl AsyncRead + Unpin>, tail: &Mutex<Tail>) {
    let Some(mut pipe) = pipe else { return };
    let mut buf = vec![0u8; 8192];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => match tail.lock() {
                Ok(mut tail) => tail.push(&buf[..n]),
                Err(poisoned) => poisoned.into_inner().push(&buf[..n]),
            },
        }
    }
}

/// The last [`OUTPUT_LIMIT`] bytes written.
#[derive(Default)]
struct Tail {
    bytes: Vec<u8>,
}

impl Tail {
    fn push(&mut self, chunk: &[u8]) {
        let chunk = &chunk[chunk.len().saturating_sub(OUTPUT_LIMIT)..];
        let overflow = (self.bytes.len() + chunk.len()).saturating_sub(OUTPUT_LIMIT);
        self.bytes.drain(..overflow);
        self.bytes.extend_from_slice(chunk);
    }

    /// The kept bytes as text; a character cut by the bound at the start is dropped,
    /// other invalid UTF-8 becomes U+FFFD.
    fn text(&self) -> String {
        let start = self
            .bytes
            .iter()
            .take(3)
            .take_while(|b| (**b & 0b1100_0000) == 0b1000_0000)
            .count();
        String::from_utf8_lossy(&self.bytes[start..]).into_owned()
    }
}

/// Sends one `method` request to `url` and reports its status; the body is not read.
///
/// Redirects are followed (reqwest's default, up to 10), so the status judged is the
/// final one; reqwest drops the `Authorization` header (including credentials given
/// as `user:pass@` in the URL) when a redirect leaves the host. Messages name the URL
/// without its userinfo.
async fn run_http(url: &str, method: &str, limit: Duration) -> ValidationOutcome {
    let shown = url_for_display(url);
    let method = match Method::from_bytes(method.trim().to_ascii_uppercase().as_bytes()) {
        Ok(m) => m,
        Err(_) => return error(format!("'{method}' is not an HTTP method (for {shown})")),
    };
    let parsed = match Url::parse(url.trim()) {
        Ok(u) => u,
        Err(e) => return error(format!("{shown} is not a valid URL: {e}")),
    };
    let client = match reqwest::Client::builder()
        .timeout(limit)
        .connect_timeout(limit)
        .build()
    {
        Ok(c) => c,
        Err(e) => return error(format!("cannot build the HTTP client for {shown}: {e}")),
    };
    // The client's timeout covers the request; this one is a backstop in case a
    // stage of it (DNS resolution) does not honour it.
    let sent = tokio::time::timeout(
        limit + Duration::from_secs(1),
        client.request(method, parsed).send(),
    )
    .await;
    match sent {
        Err(_) => ValidationOutcome::TimedOut,
        Ok(Ok(response)) => ValidationOutcome::Responded {
            status: response.status().as_u16(),
        },
        Ok(Err(e)) if e.is_timeout() => ValidationOutcome::TimedOut,
        Ok(Err(e)) => error(format!("{shown}: {}", error_chain(&e.without_url()))),
    }
}

/// `url` as messages may show it: without `user:pass@`. A URL that does not parse is
/// shown only when it cannot hold credentials.
fn url_for_display(url: &str) -> String {
    match Url::parse(url.trim()) {
        Ok(mut u) => {
            // These fail only for URLs that cannot carry userinfo at all.
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) if url.contains('@') => "[unparsable URL with credentials]".to_owned(),
        Err(_) => url.trim().to_owned(),
    }
}

/// An error and its sources, `a: b: c`, skipping a source its parent already quotes.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

fn error(message: String) -> ValidationOutcome {
    ValidationOutcome::Error { message }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pipeline::validation_gate;
    use tokio::io::AsyncWriteExt as _;
    use tokio::net::TcpListener;

    fn cmd(args: &[&str], timeout_secs: u64) -> Validation {
        Validation::Command {
            command: args.iter().map(|s| s.to_string()).collect(),
            timeout_secs,
        }
    }

    fn http(url: &str, expect_status: u16, timeout_secs: u64) -> Validation {
        Validation::Http {
            url: url.to_owned(),
            method: "GET".to_owned(),
            expect_status,
            timeout_secs,
        }
    }

    /// A server on 127.0.0.1 answering every connection with `status` after reading
    /// the request head; returns its base URL.
    async fn serve_status(status: u16) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let reply = format!(
                        "HTTP/1.1 {status} Whatever\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                    );
                    let _ = sock.write_all(reply.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        format!("http://{addr}/health")
    }

    #[tokio::test]
    async fn command_exit_zero_passes() {
        let v = cmd(&["sh", "-c", "echo fine"], 10);
        let out = run_validation(&v).await;
        assert_eq!(
            out,
            ValidationOutcome::Exited {
                code: Some(0),
                output: "fine\n".into()
            }
        );
        let gate = validation_gate(&v, Some(&out));
        assert!(gate.passed, "{}", gate.detail);
        assert_eq!(gate.detail, "command 'sh -c echo fine' exited 0");
    }

    #[tokio::test]
    async fn command_failure_keeps_both_streams_and_fails_the_gate() {
        let v = cmd(&["sh", "-c", "echo to-out; echo to-err >&2; exit 3"], 10);
        let out = run_validation(&v).await;
        let ValidationOutcome::Exited { code, output } = &out else {
            panic!("expected Exited, got {out:?}");
        };
        assert_eq!(*code, Some(3));
        assert!(output.contains("to-out"), "{output:?}");
        assert!(output.contains("to-err"), "{output:?}");
        let gate = validation_gate(&v, Some(&out));
        assert!(!gate.passed);
        assert!(gate.detail.contains("exited 3"), "{}", gate.detail);
        assert!(gate.detail.contains("to-err"), "{}", gate.detail);
    }

    #[tokio::test]
    async fn command_past_its_timeout_is_stopped() {
        let v = cmd(&["sleep", "5"], 1);
        let out = run_validation(&v).await;
        assert_eq!(out, ValidationOutcome::TimedOut);
        let gate = validation_gate(&v, Some(&out));
        assert!(!gate.passed);
        assert!(
            gate.detail.contains("timed out after 1s"),
            "{}",
            gate.detail
        );
    }

    #[tokio::test]
    async fn missing_program_is_an_error_naming_it() {
        let v = cmd(&["n8nops-no-such-program-xyz", "--flag"], 5);
        let out = run_validation(&v).await;
        let ValidationOutcome::Error { message } = &out else {
            panic!("expected Error, got {out:?}");
        };
        assert!(
            message.contains("'n8nops-no-such-program-xyz'"),
            "{message}"
        );
        assert!(message.contains("No such file"), "{message}");
        assert!(!validation_gate(&v, Some(&out)).passed);
    }

    #[tokio::test]
    async fn empty_command_is_an_error() {
        let out = run_validation(&cmd(&[], 5)).await;
        assert!(
            matches!(&out, ValidationOutcome::Error { message } if message.contains("no program")),
            "{out:?}"
        );
    }

    #[tokio::test]
    async fn large_output_is_bounded_to_its_tail() {
        // A million bytes on stdout, then a marker on stderr: the pipes must not block
        // and the kept output must be the last 4 KiB, marker included.
        let v = cmd(
            &[
                "sh",
                "-c",
                "yes | head -c 1000000; sleep 0.1; echo THE-END >&2; exit 1",
            ],
            20,
        );
        let out = run_validation(&v).await;
        let ValidationOutcome::Exited { code, output } = &out else {
            panic!("expected Exited, got {out:?}");
        };
        assert_eq!(*code, Some(1));
        assert_eq!(output.len(), OUTPUT_LIMIT);
        assert!(output.ends_with("y\nTHE-END\n"), "{:?}", &output[4000..]);
    }

    #[test]
    fn tail_keeps_the_last_bytes_and_drops_a_cut_character() {
        let mut t = Tail::default();
        t.push(&[b'a'; 5000]);
        assert_eq!(t.bytes.len(), OUTPUT_LIMIT);
        t.push("é".as_bytes());
        t.push(&[b'b'; OUTPUT_LIMIT - 1]);
        // The kept bytes start with the second byte of "é": it is dropped.
        assert_eq!(t.bytes.len(), OUTPUT_LIMIT);
        assert_eq!(t.text(), "b".repeat(OUTPUT_LIMIT - 1));
    }

    #[tokio::test]
    async fn http_expected_status_passes() {
        let url = serve_status(200).await;
        let v = http(&url, 200, 5);
        let out = run_validation(&v).await;
        assert_eq!(out, ValidationOutcome::Responded { status: 200 });
        let gate = validation_gate(&v, Some(&out));
        assert!(gate.passed, "{}", gate.detail);
    }

    #[tokio::test]
    async fn http_other_status_fails_with_expected_and_got() {
        let url = serve_status(503).await;
        let v = http(&url, 200, 5);
        let out = run_validation(&v).await;
        assert_eq!(out, ValidationOutcome::Responded { status: 503 });
        let gate = validation_gate(&v, Some(&out));
        assert!(!gate.passed);
        assert!(
            gate.detail.contains("answered 503, expected 200"),
            "{}",
            gate.detail
        );
    }

    #[tokio::test]
    async fn http_method_is_parsed_from_the_string() {
        let url = serve_status(204).await;
        let v = Validation::Http {
            url,
            method: "post".into(),
            expect_status: 204,
            timeout_secs: 5,
        };
        assert_eq!(
            run_validation(&v).await,
            ValidationOutcome::Responded { status: 204 }
        );
        let bad = Validation::Http {
            url: "http://127.0.0.1:1/".into(),
            method: "GE T".into(),
            expect_status: 200,
            timeout_secs: 5,
        };
        let out = run_validation(&bad).await;
        assert!(
            matches!(&out, ValidationOutcome::Error { message } if message.contains("'GE T' is not an HTTP method")),
            "{out:?}"
        );
    }

    #[tokio::test]
    async fn http_closed_port_is_an_error_naming_the_url() {
        // Bind then drop a listener so the port is (very likely) closed.
        let addr = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap();
        let url = format!("http://{addr}/ready");
        let v = http(&url, 200, 5);
        let out = run_validation(&v).await;
        let ValidationOutcome::Error { message } = &out else {
            panic!("expected Error, got {out:?}");
        };
        assert!(message.contains(&url), "{message}");
        assert!(message.to_lowercase().contains("refused"), "{message}");
        assert!(!validation_gate(&v, Some(&out)).passed);
    }

    #[tokio::test]
    async fn http_server_that_never_answers_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Accept and hold connections without ever answering.
        let server = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((sock, _)) = listener.accept().await {
                held.push(sock);
            }
        });
        let v = http(&format!("http://{addr}/"), 200, 1);
        let out = run_validation(&v).await;
        server.abort();
        assert_eq!(out, ValidationOutcome::TimedOut);
        assert!(!validation_gate(&v, Some(&out)).passed);
    }

    #[tokio::test]
    async fn http_credentials_in_the_url_never_show() {
        // Closed port: the error message quotes the URL.
        let addr = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap();
        let v = http(&format!("http://alice:s3cr3t-pw@{addr}/check"), 200, 5);
        let out = run_validation(&v).await;
        let shown = format!("{out:?}");
        assert!(matches!(out, ValidationOutcome::Error { .. }), "{shown}");
        assert!(!shown.contains("s3cr3t-pw"), "{shown}");
        assert!(!shown.contains("alice"), "{shown}");
        assert!(shown.contains(&format!("http://{addr}/check")), "{shown}");
    }

    #[test]
    fn display_url_strips_userinfo() {
        assert_eq!(
            url_for_display("https://user:pass@example.com:8443/a?b=1"),
            "https://example.com:8443/a?b=1"
        );
        assert_eq!(
            url_for_display("https://example.com/x"),
            "https://example.com/x"
        );
        assert_eq!(
            url_for_display("not a url with pw@host"),
            "[unparsable URL with credentials]"
        );
    }
}
