//! `cargo run -p grader -- --help` says what it does.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(grader::main_with(&args));
}
