//! Where the end-to-end tests find a real n8n: scripts/test.sh starts one and sets
//! N8NOPS_E2E_N8N_URL and N8NOPS_E2E_N8N_API_KEY. Without them a test prints SKIPPED
//! and passes, unless N8NOPS_REQUIRE_N8N=1 makes a missing n8n a failure.
#![allow(dead_code)]

/// The URL and API key of the real n8n, or None (after saying why) to skip.
pub fn real_n8n() -> Option<(String, String)> {
    match (
        std::env::var("N8NOPS_E2E_N8N_URL"),
        std::env::var("N8NOPS_E2E_N8N_API_KEY"),
    ) {
        (Ok(url), Ok(key)) if !url.is_empty() && !key.is_empty() => Some((url, key)),
        _ => {
            if std::env::var("N8NOPS_REQUIRE_N8N").is_ok_and(|v| v == "1") {
                panic!(
                    "N8NOPS_REQUIRE_N8N=1 but N8NOPS_E2E_N8N_URL / N8NOPS_E2E_N8N_API_KEY are not set"
                );
            }
            eprintln!("SKIPPED (real n8n): N8NOPS_E2E_N8N_URL is not set; run scripts/test.sh");
            None
        }
    }
}
