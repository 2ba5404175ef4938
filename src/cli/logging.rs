//! Tracing to a log file in the data dir; never to the terminal.

use std::path::Path;
use std::sync::Mutex;
use tracing_subscriber::EnvFilter;

/// `-v` beats RUST_LOG beats the config's level. A log that cannot be opened is not
/// fatal: n8nops runs without one and says so on stderr.
pub fn init(log_file: &Path, verbose: u8, config_level: &str) {
    let filter = match verbose {
        0 => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(config_level)),
        1 => EnvFilter::new("debug"),
        _ => EnvFilter::new("trace"),
    };
    if let Some(dir) = log_file.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let file = match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_file)
    {
        Ok(f) => f,
        Err(e) => {
            eprintln!(
                "n8nops: cannot open the log file {}: {e}; continuing without a log",
                log_file.display()
            );
            return;
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init();
}
