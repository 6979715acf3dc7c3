//! wasi:http's domain objects, shared by the `wasi:http@0.3.0` bindings and the p2 adapter.
//!
//! Header validation, the host hooks, error codes and the default client are wasmtime-wasi-http's
//! ABI-neutral layer ([`FieldMap`], [`WasiHttpHooks`], [`HttpError`], [`default_send_request`]),
//! re-used rather than re-implemented. What lives here is the part each ABI would otherwise write
//! twice: the request and response objects ([`Request`], [`Response`]), the body a host hands a
//! guest ([`IncomingBody`], a [`ByteSource`](crate::io::ByteSource) that reads hyper's frames
//! without copying them twice), the body a guest hands the host ([`body_pipe`]: a
//! [`ByteSink`](crate::io::ByteSink) with a byte-exact budget and content-length checked at write
//! time, whose other end is an `http_body::Body`), the response outparam and the client
//! ([`send`]).

mod body;
mod client;
mod ctx;
mod forward;
mod message;
mod outparam;
mod sink;

pub use body::{BodyReader, EarlyDrop, IncomingBody, TrailersFuture};
pub use client::{FutureResponse, send};
pub use ctx::{WasiHttp, WasiHttpCtx, WasiHttpCtxView, WasiHttpView};
pub(crate) use message::incoming_request;
pub use message::{Body, Invalid, Request, Response, StatusCodes};
pub use outparam::ResponseOutparam;
pub(crate) use sink::body_pipe_with_budget;
pub use sink::{BodyFinisher, BodyReceiver, BodySink, Direction, body_pipe};

pub use wasmtime_wasi_http::{
    DEFAULT_FORBIDDEN_HEADERS, Error as HttpError, FieldMap, FieldMapError, ForbiddenHeaderFilter,
    RequestOptions, Result as HttpResult, WasiBody, WasiHttpHooks, default_hooks,
    default_send_request, io::TokioIo,
};

/// Bytes a WASIp2 guest may have written into an outgoing body that the host has not taken yet.
///
/// Native p2 holds at most two writes (a 1 MiB permit per free slot of its chunk channel), so a
/// guest writing 64 KiB at a time runs 128 KiB ahead of the socket; this queue is byte-exact
/// and holds as much. Measured against `wasmtime serve` (a 1 MiB GET in 64 KiB writes, 50
/// connections, `benches/serve_vs_wasmtime.py`): 128 KiB 0.99×, 256 KiB 0.87×, 2 MiB 0.90× its
/// RPS — a longer queue lets every connection's body go cold in the cache before hyper copies
/// it. Permits are smaller than native's 1 MiB; p2 guests write what `check-write` grants.
pub(crate) const BODY_BUDGET: usize = 128 << 10;

/// A `Content-Length` that is not one decimal number.
#[derive(Debug, thiserror::Error)]
#[error("invalid content-length")]
pub struct InvalidContentLength;

/// The `Content-Length` of `headers`: `Ok(None)` without one, `Err` when it is not one decimal
/// number (RFC 9110's `1*DIGIT`) or appears twice.
pub fn content_length(headers: &http::HeaderMap) -> Result<Option<u64>, InvalidContentLength> {
    let mut values = headers.get_all(http::header::CONTENT_LENGTH).iter();
    let Some(v) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(InvalidContentLength);
    }
    let v = v.as_bytes();
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return Err(InvalidContentLength);
    }
    std::str::from_utf8(v)
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Some)
        .ok_or(InvalidContentLength)
}

/// Which `path-with-query` values a guest may set: the two ABIs' rules differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathRule {
    /// wasi:http 0.2 (wasmtime 48's rule, kept for p2 guests): empty, or starting with `/` or
    /// `?`; the value reads back as it was set.
    Rooted,
    /// wasi:http 0.3: also a relative reference such as `a/b/c` or `../..`
    /// (WebAssembly/wasi-http#178), read back unchanged; an empty one reads back as `/`. It is
    /// sent resolved against `/`.
    Relative,
}

/// Which authorities a guest may set on a request: the two ABIs' rules differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthorityRule {
    /// wasi:http 0.2 (wasmtime 48's rule, kept for p2 guests): anything that parses as a URI
    /// authority, `@:` and `host:` included.
    Parses,
    /// wasi:http 0.3 (wasmtime 48's p3 rule and the spec's tests): it parses, and a `:` after
    /// the host (outside an IPv6 literal's brackets) is followed by a port number — so `::`,
    /// `:@`, `@:`, `host:` and `localhost:what` are refused, as are `@@`, a space, `#` and the
    /// empty string, which do not parse.
    PortChecked,
}

/// Whether a guest may set `authority` on a request under `rule`.
///
/// ```
/// use p3_core::http::{AuthorityRule, authority_is_valid};
/// for ok in ["example.com", "example.com:8080", "[::1]", "[::1]:80", "u@h:1"] {
///     assert!(authority_is_valid(ok, AuthorityRule::PortChecked), "{ok}");
/// }
/// for bad in ["::", ":@", "@@", "@:", " ", "", "#", "localhost:what", "host:"] {
///     assert!(!authority_is_valid(bad, AuthorityRule::PortChecked), "{bad:?}");
/// }
/// assert!(authority_is_valid("@:", AuthorityRule::Parses));
/// ```
pub fn authority_is_valid(authority: &str, rule: AuthorityRule) -> bool {
    let Ok(parsed) = authority.parse::<http::uri::Authority>() else {
        return false;
    };
    match rule {
        AuthorityRule::Parses => true,
        AuthorityRule::PortChecked => {
            let after_host = match authority.rfind(']') {
                Some(i) => &authority[i..],
                None => authority,
            };
            !after_host.contains(':') || parsed.port_u16().is_some()
        }
    }
}

/// Parses a `path-with-query` as a guest sets it under `rule`, to the origin-form target it is
/// sent as (a relative reference resolved against `/`, an empty one `/`). Nothing that could
/// address the request elsewhere than where it is sent is taken: no absolute URI
/// (`http://other/`), no authority form (`other:80`), no asterisk form (`*`) — a relative
/// reference's first segment has no `:`, and the value is never sent as anything but an origin-form path.
pub fn parse_path_with_query(path: &str, rule: PathRule) -> Option<http::uri::PathAndQuery> {
    if path.is_empty() {
        return Some(http::uri::PathAndQuery::from_static("/"));
    }
    if is_rooted(path) {
        return path.parse().ok();
    }
    let first_segment = path.split(['/', '?', '#']).next().unwrap_or_default();
    if rule == PathRule::Rooted || first_segment.contains(':') || path == "*" {
        return None;
    }
    format!("/{path}").parse().ok()
}

/// Whether a `path-with-query` is empty or starts with `/` or `?` (taken by both ABIs' rules).
fn is_rooted(path: &str) -> bool {
    path.is_empty() || path.starts_with('/') || path.starts_with('?')
}

/// What a guest's `path-with-query` reads back as once set under `rule`, `None` when the rule
/// refuses it: as set under [`PathRule::Rooted`] (wasmtime 48's p2); under
/// [`PathRule::Relative`] as parsed (an empty one as `/`, a fragment dropped), a relative
/// reference staying relative.
pub(crate) fn path_with_query_as_set(path: String, rule: PathRule) -> Option<String> {
    let target = parse_path_with_query(&path, rule)?;
    Some(match rule {
        PathRule::Rooted => path,
        PathRule::Relative if is_rooted(&path) => target.as_str().to_string(),
        PathRule::Relative => match &target.as_str()[1..] {
            "" => "/".to_string(),
            relative => relative.to_string(),
        },
    })
}

pub use crate::__http_conversions as http_conversions;

#[doc(hidden)]
pub use ::http as __http;

#[cfg(test)]
mod tests {
    use super::{PathRule, parse_path_with_query, path_with_query_as_set};

    #[test]
    fn relative_references_are_taken_under_p3s_rule_only() {
        for p in ["a/b/c", "../..", "a?x=1", "a%20b", "a?b:c"] {
            let sent = parse_path_with_query(p, PathRule::Relative);
            assert_eq!(sent.map(|s| s.to_string()), Some(format!("/{p}")), "{p:?}");
            let read = path_with_query_as_set(p.to_string(), PathRule::Relative);
            assert_eq!(read.as_deref(), Some(p), "{p:?}");
            assert!(
                parse_path_with_query(p, PathRule::Rooted).is_none(),
                "{p:?}"
            );
        }
        for rule in [PathRule::Rooted, PathRule::Relative] {
            let sent = parse_path_with_query("", rule).unwrap();
            assert_eq!(sent.as_str(), "/");
            assert!(parse_path_with_query("a:b/c", rule).is_none());
        }
        let read = |p: &str, rule| path_with_query_as_set(p.to_string(), rule);
        assert_eq!(read("", PathRule::Relative).as_deref(), Some("/"));
        assert_eq!(read("", PathRule::Rooted).as_deref(), Some(""));
        assert_eq!(read("a#f", PathRule::Relative).as_deref(), Some("a"));
    }
}
