//! The `solution-server` binary: `solution-server stdio` or `solution-server http`.

fn main() -> std::process::ExitCode {
    solution_server::run::main()
}
