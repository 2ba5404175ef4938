//! The command-line face: clap arguments turned into `Ops` calls.

pub fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
