fn main() -> std::process::ExitCode {
    n8nops::cli::main()
}
