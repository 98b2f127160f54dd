//! A small HTTP/1 server (hyper) with two endpoints: `GET /metrics` (OpenMetrics text, which
//! Prometheus scrapes) and `GET /healthz` (200 `ok`, or 503 with the reason).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::metrics::{Health, Metrics};

/// Content type of the OpenMetrics text format.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

fn respond(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    if let Ok(v) = content_type.parse() {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

/// Answers one request.
pub fn handle(
    req: &Request<Incoming>,
    metrics: &Metrics,
    health: &Health,
) -> Response<Full<Bytes>> {
    let text = "text/plain; charset=utf-8";
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return respond(StatusCode::METHOD_NOT_ALLOWED, text, "GET only\n".into());
    }
    match req.uri().path() {
        "/metrics" => respond(StatusCode::OK, OPENMETRICS, metrics.render()),
        "/healthz" => match health.check() {
            Ok(()) => respond(StatusCode::OK, text, "ok\n".into()),
            Err(why) => respond(StatusCode::SERVICE_UNAVAILABLE, text, format!("{why}\n")),
        },
        _ => respond(
            StatusCode::NOT_FOUND,
            text,
            "not found (try /metrics or /healthz)\n".into(),
        ),
    }
}

/// Binds `addr` (fails at once if it cannot) and serves until the task is dropped.
pub async fn serve(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (metrics, health) = (metrics.clone(), health.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let r = handle(&req, &metrics, &health);
                    async move { Ok::<_, Infallible>(r) }
                });
                if let Err(e) = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    tracing::debug!("http connection: {e}");
                }
            });
        }
    });
    Ok((local, task))
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    async fn get(addr: SocketAddr, path: &str) -> String {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn metrics_and_health_over_http() {
        let metrics = Arc::new(Metrics::new());
        let health = Health::new();
        metrics.takeovers.inc();
        let (addr, task) = serve("127.0.0.1:0".parse().unwrap(), metrics, health.clone())
            .await
            .unwrap();
        let m = get(addr, "/metrics").await;
        assert!(m.starts_with("HTTP/1.1 200"), "{m}");
        assert!(m.contains("ovs_egress_takeovers_total 1"), "{m}");
        let h = get(addr, "/healthz").await;
        assert!(
            h.starts_with("HTTP/1.1 503") && h.contains("ovs-vswitchd"),
            "{h}"
        );
        health.set_switch_connected(true);
        health.set_converged(true);
        assert!(get(addr, "/healthz").await.starts_with("HTTP/1.1 200"));
        assert!(get(addr, "/nope").await.starts_with("HTTP/1.1 404"));
        task.abort();
    }
}
