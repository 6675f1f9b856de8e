//! Runs a PostgreSQL gate in the foreground, to try it with `psql`:
//!
//! ```text
//! cargo run -p grader-sandbox --example pg_gate -- DIR ROLE DATABASE [HOST:PORT]
//! psql "host=DIR user=ROLE dbname=DATABASE"
//! ```
//!
//! The gate stops, and removes its socket, when standard input closes or a
//! line is entered.

use grader_sandbox::{PgGate, Upstream};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, role, database, rest @ ..] = args.as_slice() else {
        eprintln!("usage: pg_gate DIR ROLE DATABASE [HOST:PORT (default 127.0.0.1:5432)]");
        std::process::exit(2);
    };
    let upstream = rest.first().map_or("127.0.0.1:5432", String::as_str);
    let gate = PgGate::start(dir, Upstream::Tcp(upstream.to_string()), role, database)?;
    println!("listening on {}", gate.socket_path().display());
    println!("url: {}", gate.url(role, None, database));
    println!("try: psql \"host={dir} user={role} dbname={database}\"");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(())
}
