//! The given command line parser: flags, their variables, and the errors
//! for wrong values. Given code, so checked here once, on the solution.

use solution_server::cli::{CliError, Command, Config, DEFAULT_DB_CONNECTIONS, parse};

fn parse_with(args: &[&str], env: &[(&str, &str)]) -> Result<Config, CliError> {
    let args = args.iter().map(|a| (*a).to_owned());
    let env = |name: &str| {
        env.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| (*v).to_owned())
    };
    match parse(args, env)? {
        Command::Serve(config) => Ok(*config),
        other => panic!("expected a configuration, got {other:?}"),
    }
}

#[test]
fn a_flag_wins_over_its_variable() {
    let config = parse_with(
        &["stdio", "--db-connections", "8"],
        &[("MCP_DB_CONNECTIONS", "2")],
    )
    .unwrap();
    assert_eq!(config.db_connections, 8);
    let config = parse_with(&["stdio"], &[("MCP_DB_CONNECTIONS", "2")]).unwrap();
    assert_eq!(config.db_connections, 2);
    let config = parse_with(&["stdio"], &[]).unwrap();
    assert_eq!(config.db_connections, DEFAULT_DB_CONNECTIONS);
}

#[test]
fn wrong_values_say_what_to_type() {
    let error = parse_with(&["http", "--db-connections=0"], &[]).unwrap_err();
    assert!(error.0.contains("--db-connections"), "{error}");
    let error = parse_with(&["http", "--listen", "localhost"], &[]).unwrap_err();
    assert!(error.0.contains("127.0.0.1:8000"), "{error}");
    let error = parse_with(&["stdio", "--listen", "127.0.0.1:1"], &[]).unwrap_err();
    assert!(error.0.contains("http"), "{error}");
    let error = parse_with(&["stdio", "--nope"], &[]).unwrap_err();
    assert!(error.0.contains("--nope"), "{error}");
    let error = parse_with(&["stdio", "--timeout", "soon"], &[]).unwrap_err();
    assert!(error.0.contains("30s"), "{error}");
}
