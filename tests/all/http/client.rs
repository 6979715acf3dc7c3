//! The client side of the wasi:http tests: one request on a fresh connection, what came back
//! ([`Seen`]), and both servers asked the same thing.

use super::servers::Servers;
use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;

/// What a client saw.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Seen {
    Response {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        trailers: Vec<(String, String)>,
    },
    /// The connection failed before or during the response (a truncated body).
    Failed {
        status: Option<u16>,
        partial: Vec<u8>,
    },
}

pub(super) fn pairs(map: &http::HeaderMap) -> Vec<(String, String)> {
    let mut out: Vec<_> = map
        .iter()
        .filter(|(k, _)| *k != http::header::DATE)
        .map(|(k, v)| {
            (
                k.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Sends one request on a fresh connection and collects what came back.
pub(super) async fn fetch(
    addr: SocketAddr,
    request: http::Request<http_body_util::combinators::BoxBody<Bytes, Infallible>>,
) -> Seen {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(wasi_bridge::http::io::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let response = match tokio::time::timeout(Duration::from_secs(30), sender.send_request(request))
        .await
        .expect("a response within 30 s")
    {
        Ok(r) => r,
        Err(_) => {
            return Seen::Failed {
                status: None,
                partial: Vec::new(),
            };
        }
    };
    let status = response.status().as_u16();
    let headers = pairs(response.headers());
    let mut body = response.into_body();
    let mut bytes = Vec::new();
    let mut trailers = Vec::new();
    while let Some(frame) = tokio::time::timeout(Duration::from_secs(30), body.frame())
        .await
        .expect("body frames within 30 s")
    {
        match frame {
            Ok(frame) => match frame.into_data() {
                Ok(data) => bytes.extend_from_slice(&data),
                Err(frame) => {
                    if let Ok(t) = frame.into_trailers() {
                        trailers = pairs(&t);
                    }
                }
            },
            Err(_) => {
                return Seen::Failed {
                    status: Some(status),
                    partial: bytes,
                };
            }
        }
    }
    Seen::Response {
        status,
        headers,
        body: bytes,
        trailers,
    }
}

pub(super) fn get(
    addr: SocketAddr,
    path: &str,
) -> http::Request<http_body_util::combinators::BoxBody<Bytes, Infallible>> {
    http::Request::builder()
        .uri(path)
        .header("host", addr.to_string())
        .body(http_body_util::Empty::new().boxed())
        .unwrap()
}

/// A request whose body is `data` in chunks, then `trailers` (sent only when declared).
pub(super) fn post(
    addr: SocketAddr,
    path: &str,
    data: Vec<u8>,
    trailers: Option<http::HeaderMap>,
) -> http::Request<http_body_util::combinators::BoxBody<Bytes, Infallible>> {
    let mut frames: Vec<Result<Frame<Bytes>, Infallible>> = data
        .chunks(64 * 1024)
        .map(|c| Ok(Frame::data(Bytes::copy_from_slice(c))))
        .collect();
    let mut builder = http::Request::builder()
        .method("POST")
        .uri(path)
        .header("host", addr.to_string());
    if let Some(t) = trailers {
        let names: Vec<String> = t.keys().map(|k| k.to_string()).collect();
        builder = builder.header("trailer", names.join(", "));
        frames.push(Ok(Frame::trailers(t)));
    }
    builder
        .body(StreamBody::new(futures_util::stream::iter(frames)).boxed())
        .unwrap()
}

/// Replaces each server's own address in what it saw, so the two compare.
pub(super) fn normalise(seen: Seen, addr: SocketAddr) -> Seen {
    let fix = |b: Vec<u8>| match String::from_utf8(b) {
        Ok(text) => text.replace(&addr.to_string(), "ADDR").into_bytes(),
        Err(binary) => binary.into_bytes(),
    };
    match seen {
        Seen::Response {
            status,
            headers,
            body,
            trailers,
        } => Seen::Response {
            status,
            headers,
            body: fix(body),
            trailers,
        },
        Seen::Failed { status, partial } => Seen::Failed {
            status,
            partial: fix(partial),
        },
    }
}

pub(super) async fn both<F>(s: &Servers, request: F) -> (Seen, Seen)
where
    F: Fn(SocketAddr) -> http::Request<http_body_util::combinators::BoxBody<Bytes, Infallible>>,
{
    let native = normalise(fetch(s.native, request(s.native)).await, s.native);
    let bridge = normalise(fetch(s.bridge, request(s.bridge)).await, s.bridge);
    (native, bridge)
}

pub(super) fn body_of(seen: &Seen) -> String {
    match seen {
        Seen::Response { body, .. } => String::from_utf8_lossy(body).into_owned(),
        Seen::Failed { partial, .. } => String::from_utf8_lossy(partial).into_owned(),
    }
}
