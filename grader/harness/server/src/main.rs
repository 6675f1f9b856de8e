//! The grader's harness for lab 5 (the capstone server): the hidden suite,
//! linked with the learner's server and the reference. The launcher
//! (`cargo run -p grader`) builds it and runs it in isolated children; the
//! suite starts this same binary as `__serve SIDE ...` to run a server the
//! way an MCP client does, as a process of its own.

mod server_proc;
mod suite;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(server_proc::SERVE_FLAG) {
        std::process::exit(server_proc::serve_main(&args[1..]));
    }
    std::process::exit(grader_kit::child::main(&args, suite::checks));
}
