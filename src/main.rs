fn main() -> std::process::ExitCode {
    nursequeue::cli::main()
}
