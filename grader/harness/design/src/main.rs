//! The grader's harness for lab 4 (design patterns): the hidden suite, linked with the
//! learner's crate and the reference. The launcher (`cargo run -p grader`)
//! builds it and runs it in isolated children; it is not run by hand.

mod suite;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(grader_kit::child::main(&args, suite::checks));
}
