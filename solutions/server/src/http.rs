//! Streamable HTTP, and the endpoints an operator needs beside it.
//!
//! - `/mcp`: the protocol, through rmcp's streamable HTTP service, which
//!   refuses a `Host` that is not this machine (DNS rebinding) and a
//!   browser `Origin` that is not allowed;
//! - `/healthz`: liveness, answered without touching the database, so a
//!   slow database does not get the process restarted;
//! - `/readyz`: readiness, 503 while the database does not answer;
//! - `/metrics`: the Prometheus text format.
//!
//! With a token configured, `/mcp` and `/metrics` need
//! `Authorization: Bearer <token>` and answer 401 without it.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::auth::check_bearer;
use crate::cli::Config;
use crate::service::McpServer;
use crate::tools::AppState;

/// Host names always accepted: this machine.
pub const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Browser origins always accepted: pages served from this machine.
pub const LOOPBACK_ORIGINS: [&str; 3] =
    ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"];

#[derive(Clone)]
struct Shared {
    state: Arc<AppState>,
    token: Option<Arc<str>>,
}

// ANCHOR: router
/// The whole HTTP application. `stop` ends the MCP sessions when cancelled.
pub fn router(
    config: &Config,
    server: McpServer,
    state: Arc<AppState>,
    stop: CancellationToken,
) -> Router {
    let hosts = LOOPBACK_HOSTS
        .iter()
        .map(|h| h.to_string())
        .chain(config.allowed_hosts.iter().cloned());
    let origins = LOOPBACK_ORIGINS
        .iter()
        .map(|o| o.to_string())
        .chain(config.allowed_origins.iter().cloned());
    let mcp_config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts)
        .with_allowed_origins(origins)
        .enforce_origin_validation()
        .with_cancellation_token(stop);
    let mcp = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        mcp_config,
    );
    let shared = Shared {
        state,
        token: config.token.as_deref().map(Arc::from),
    };
    let guarded = Router::new()
        .nest_service("/mcp", mcp)
        .route("/metrics", get(metrics))
        .route_layer(middleware::from_fn_with_state(
            shared.clone(),
            require_token,
        ));
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .merge(guarded)
        .with_state(shared)
}
// ANCHOR_END: router

// ANCHOR: require_token
async fn require_token(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let Some(expected) = &shared.token else {
        return next.run(request).await;
    };
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes);
    match check_bearer(expected, header) {
        Ok(()) => next.run(request).await,
        Err(why) => {
            let mut response = (StatusCode::UNAUTHORIZED, format!("{why}\n")).into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
    }
}
// ANCHOR_END: require_token

// ANCHOR: ready
async fn ready(State(shared): State<Shared>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), shared.state.backend.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready\n").into_response(),
        Ok(Err(e)) => {
            (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {e}\n")).into_response()
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the database did not answer within 2 s\n",
        )
            .into_response(),
    }
}
// ANCHOR_END: ready

async fn metrics(State(shared): State<Shared>) -> Response {
    let c = shared.state.backend.connections();
    let gauges = [
        (
            "mcp_db_connections_open",
            "Database connections open.",
            f64::from(c.open),
        ),
        (
            "mcp_db_connections_idle",
            "Database connections open and idle.",
            f64::from(c.idle),
        ),
        (
            "mcp_db_connections_max",
            "Database connections allowed.",
            f64::from(c.max),
        ),
    ];
    let body = shared.state.metrics.render_prometheus(&gauges);
    Response::builder()
        .header(header::CONTENT_TYPE, "text/plain; version=0.0.4")
        .body(Body::from(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
