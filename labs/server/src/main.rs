//! The `lab-server` binary: `lab-server stdio` or `lab-server http`.

fn main() -> std::process::ExitCode {
    lab_server::run::main()
}
