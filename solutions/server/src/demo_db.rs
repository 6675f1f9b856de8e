//! The SQLite demo database, so the server runs on a machine with nothing
//! else installed.
//!
//! It is created once, on first start, with three small tables of sample
//! data: `customers`, `products` and `orders`. The file is built under a
//! temporary name and renamed into place, so two servers starting at the
//! same moment never see half a database. The server then opens it
//! read-only (see [`crate::backend`]).

use std::path::Path;

use errors::{ErrorCode, ToolError};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection, Executor};

/// The schema and the fixed rows.
const SCHEMA: &str = "
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    country TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    price_cents INTEGER NOT NULL,
    in_stock INTEGER NOT NULL
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    product_id INTEGER NOT NULL REFERENCES products(id),
    quantity INTEGER NOT NULL,
    status TEXT NOT NULL,
    ordered_at TEXT NOT NULL
);
";

const FIRST_NAMES: [&str; 10] = [
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret", "Niklaus",
];
const COUNTRIES: [&str; 5] = ["FR", "DE", "US", "JP", "BR"];
const PRODUCTS: [(&str, i64); 8] = [
    ("Keyboard", 4900),
    ("Mouse", 1900),
    ("Monitor", 18900),
    ("Laptop stand", 3500),
    ("USB-C cable", 900),
    ("Webcam", 6900),
    ("Headset", 7900),
    ("Desk lamp", 2900),
];
const STATUSES: [&str; 4] = ["pending", "paid", "shipped", "delivered"];

/// Creates the demo database at `path` if it is not there yet.
pub async fn ensure(path: &Path) -> Result<(), ToolError> {
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            ToolError::new(
                ErrorCode::Unavailable,
                format!(
                    "cannot create {} for the demo database: {e}; set --demo-db to a writable path",
                    dir.display()
                ),
            )
        })?;
    }
    let building = path.with_extension(format!("building-{}", std::process::id()));
    let _ = std::fs::remove_file(&building);
    let mut conn = SqliteConnectOptions::new()
        .filename(&building)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Delete)
        .connect()
        .await?;
    let mut tx = conn.begin().await?;
    tx.execute(SCHEMA).await?;
    for (i, first) in FIRST_NAMES.iter().enumerate() {
        let id = i as i64 + 1;
        sqlx::query("INSERT INTO customers VALUES (?, ?, ?, ?, ?)")
            .bind(id)
            .bind(format!("{first} Example"))
            .bind(format!("{}@example.com", first.to_lowercase()))
            .bind(COUNTRIES[i % COUNTRIES.len()])
            .bind(format!("2026-0{}-1{}T09:00:00Z", 1 + i % 9, i % 10))
            .execute(&mut *tx)
            .await?;
    }
    for (i, (name, price)) in PRODUCTS.iter().enumerate() {
        sqlx::query("INSERT INTO products VALUES (?, ?, ?, ?)")
            .bind(i as i64 + 1)
            .bind(*name)
            .bind(*price)
            .bind((i * 7 % 40) as i64)
            .execute(&mut *tx)
            .await?;
    }
    for i in 0..40_i64 {
        sqlx::query("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)")
            .bind(i + 1)
            .bind(i * 3 % FIRST_NAMES.len() as i64 + 1)
            .bind(i * 5 % PRODUCTS.len() as i64 + 1)
            .bind(i % 4 + 1)
            .bind(STATUSES[(i % 4) as usize])
            .bind(format!(
                "2026-{:02}-{:02}T1{}:30:00Z",
                1 + i % 12,
                1 + i % 28,
                i % 10
            ))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    conn.close().await?;
    std::fs::rename(&building, path).map_err(|e| {
        ToolError::new(
            ErrorCode::Unavailable,
            format!("cannot move the demo database into {}: {e}", path.display()),
        )
    })
}
