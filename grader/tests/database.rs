//! The PostgreSQL fixture against a real database (`DATABASE_URL`, as
//! `cargo test` requires): what crashed checks leave behind is removed.

use grader::db;

fn url() -> String {
    std::env::var(db::DATABASE_URL).expect(
        "these tests need PostgreSQL: set DATABASE_URL=postgres://USER@HOST/DB (see README.md)",
    )
}

fn run(url: &str, sql: String) {
    use sqlx::Connection;
    db::runtime().unwrap().block_on(async {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .unwrap();
    });
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
    // Two scratch schemas abandoned, as by a check killed at its deadline.
    run(
        &url,
        format!(
            "CREATE SCHEMA {prefix}_1; CREATE TABLE {prefix}_1.t (x int); CREATE SCHEMA {prefix}_2"
        ),
    );
    assert_eq!(schemas_like(&url, &prefix).len(), 2);
    assert_eq!(db::drop_scratch_schemas(&url, &prefix).unwrap(), 2);
    assert!(schemas_like(&url, &prefix).is_empty());
    // A schema of another run is not touched.
    let other = format!("{prefix}x");
    assert_eq!(db::drop_scratch_schemas(&url, &other).unwrap(), 0);
}
