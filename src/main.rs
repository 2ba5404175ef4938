fn main() -> std::process::ExitCode {
    // libgit2's network timeouts are process-wide: set them before any thread starts.
    n8nops::git::configure_libgit2();
    n8nops::cli::main()
}
