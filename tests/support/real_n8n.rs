//! Where the end-to-end tests find a real n8n: scripts/test.sh starts one and sets
//! N8NOPS_E2E_N8N_URL and N8NOPS_E2E_N8N_API_KEY, and a second, fresh and empty one
//! (N8NOPS_E2E_N8N2_URL and N8NOPS_E2E_N8N2_API_KEY) as a restore target. Without them a
//! test prints SKIPPED and passes, unless N8NOPS_REQUIRE_N8N=1 makes a missing n8n a
//! failure.
#![allow(dead_code)]

/// The URL and API key of the real n8n, or None (after saying why) to skip.
pub fn real_n8n() -> Option<(String, String)> {
    instance("N8NOPS_E2E_N8N_URL", "N8NOPS_E2E_N8N_API_KEY", "real n8n")
}

/// The URL and API key of the second real n8n (fresh: empty when the suite starts), or
/// None (after saying why) to skip.
pub fn second_real_n8n() -> Option<(String, String)> {
    instance(
        "N8NOPS_E2E_N8N2_URL",
        "N8NOPS_E2E_N8N2_API_KEY",
        "second real n8n",
    )
}

fn instance(url_var: &str, key_var: &str, what: &str) -> Option<(String, String)> {
    match (std::env::var(url_var), std::env::var(key_var)) {
        (Ok(url), Ok(key)) if !url.is_empty() && !key.is_empty() => Some((url, key)),
        _ => {
            if std::env::var("N8NOPS_REQUIRE_N8N").is_ok_and(|v| v == "1") {
                panic!("N8NOPS_REQUIRE_N8N=1 but {url_var} / {key_var} are not set");
            }
            eprintln!("SKIPPED ({what}): {url_var} is not set; run scripts/test.sh");
            None
        }
    }
}
