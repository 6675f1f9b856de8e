//! The PostgreSQL fixture against a real database (`DATABASE_URL`, as
//! `cargo test` requires): scratch schemas are created and always removed.

use grader::db;

fn url() -> String {
    std::env::var(db::DATABASE_URL).expect(
        "these tests need PostgreSQL: set DATABASE_URL=postgres://USER@HOST/DB (see README.md)",
    )
}

fn schemas_like(url: &str, prefix: &str) -> Vec<String> {
    use sqlx::Connection;
    db::runtime().unwrap().block_on(async {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, $1)")
                .bind(prefix)
                .fetch_all(&mut conn)
                .await
                .unwrap();
        rows.into_iter().map(|(n,)| n).collect()
    })
}

#[test]
fn what_crashed_checks_leave_behind_is_dropped_by_prefix() {
    let url = url();
    let prefix = db::scratch_prefix();
    // SAFETY: this test binary's only test, so nothing reads the environment concurrently.
    unsafe { std::env::set_var(db::SCRATCH_PREFIX, &prefix) };
    let runtime = db::runtime().unwrap();
    // Two scratch schemas abandoned, as by a check killed at its deadline.
    let first = runtime.block_on(db::Scratch::create(&url)).unwrap();
    let second = runtime.block_on(db::Scratch::create(&url)).unwrap();
    assert!(first.schema.starts_with(&prefix) && second.schema.starts_with(&prefix));
    assert_eq!(schemas_like(&url, &prefix).len(), 2);
    std::mem::forget((first, second));
    assert_eq!(db::drop_scratch_schemas(&url, &prefix).unwrap(), 2);
    assert!(schemas_like(&url, &prefix).is_empty());
    // A schema of another run is not touched.
    let other = format!("{prefix}x");
    assert_eq!(db::drop_scratch_schemas(&url, &other).unwrap(), 0);
}
