//! Prints what this machine allows, and what a typical grading policy
//! would get from it: `cargo run -p grader-sandbox --example probe`.

use grader_sandbox::{Network, Policy, Prepared, probe};

fn main() -> std::io::Result<()> {
    let caps = probe();
    println!("{caps}");
    let policy = Policy::new()
        .with_system_runtime()
        .read_write(std::env::current_dir()?)
        .hide_service_directories()
        .network(Network::Isolated);
    println!("{}", Prepared::new(&policy, &caps)?.report().details());
    Ok(())
}
