//! Requests and responses: one object each, whichever way they travel and whichever ABI.

use super::{
    BodyReceiver, FieldMap, HttpError, IncomingBody, RequestOptions, WasiBody, WasiHttpHooks,
    content_length,
};
use bytes::Bytes;
use http::uri::{Authority, Scheme};
use http::{HeaderMap, Method, StatusCode};
use http_body_util::BodyExt;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A value a guest set that the request or response does not take (it stays unchanged).
#[derive(Debug, thiserror::Error)]
#[error("invalid value")]
pub struct Invalid;

/// Which status codes `set-status-code` takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusCodes {
    /// RFC 9110's (§15: "all valid status codes are within the range of 100 to 599"): WASIp3,
    /// as wasmtime-wasi-http 48's p3 checks.
    Rfc9110,
    /// Any three-digit code, 100–999 (`http::StatusCode`'s range): WASIp2, as wasmtime-wasi-http
    /// 48's p2 takes them, so a p2 guest sees the same answers as on wasmtime.
    ThreeDigit,
}

/// A request or response body.
pub enum Body {
    /// No body.
    Empty,
    /// A body coming from the host (an inbound request, a client's response).
    Incoming(IncomingBody),
    /// A body a guest writes (an outgoing request or response).
    Outgoing(BodyReceiver),
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, HttpError>>> {
        match self.get_mut() {
            Body::Empty => Poll::Ready(None),
            Body::Incoming(b) => Pin::new(b).poll_frame(cx),
            Body::Outgoing(b) => Pin::new(b).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Empty => true,
            Body::Incoming(b) => b.is_end_stream(),
            Body::Outgoing(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self {
            Body::Empty => http_body::SizeHint::with_exact(0),
            Body::Incoming(b) => b.size_hint(),
            Body::Outgoing(b) => b.size_hint(),
        }
    }
}

/// An HTTP request: an inbound one a guest handles, or one a guest sends.
pub struct Request {
    /// The method.
    pub method: Method,
    /// The scheme; `None` on a guest's request means the hooks' default.
    pub scheme: Option<Scheme>,
    /// The authority (`host[:port]`).
    pub authority: Option<String>,
    /// The path and query; `None` with an authority is sent as `/`.
    pub path_with_query: Option<String>,
    /// The header fields.
    pub headers: FieldMap,
    /// Timeouts for sending it.
    pub options: Option<RequestOptions>,
    /// The body; `None` once a guest has taken it.
    pub body: Option<Body>,
}

impl Request {
    /// A `GET` request with `headers` and no scheme, authority, path or body yet.
    pub fn new(headers: FieldMap) -> Self {
        Request {
            method: Method::GET,
            scheme: None,
            authority: None,
            path_with_query: None,
            headers,
            options: None,
            body: None,
        }
    }

    /// Sets the path and query; `Err` (unchanged) unless it parses under `rule`
    /// ([`parse_path_with_query`](super::parse_path_with_query)). Under
    /// [`PathRule::Relative`](super::PathRule::Relative) the value is kept as it reads back (an
    /// empty one as `/`); under `Rooted` exactly as set.
    pub fn set_path_with_query(
        &mut self,
        path: Option<String>,
        rule: super::PathRule,
    ) -> Result<(), Invalid> {
        self.path_with_query = match path {
            None => None,
            Some(p) => Some(super::path_with_query_as_set(p, rule).ok_or(Invalid)?),
        };
        Ok(())
    }

    /// Sets the authority; `Err` (unchanged) unless `rule` takes it
    /// ([`authority_is_valid`](super::authority_is_valid)).
    pub fn set_authority(
        &mut self,
        authority: Option<String>,
        rule: super::AuthorityRule,
    ) -> Result<(), Invalid> {
        if authority
            .as_deref()
            .is_some_and(|a| !super::authority_is_valid(a, rule))
        {
            return Err(Invalid);
        }
        self.authority = authority;
        Ok(())
    }

    /// Sets the scheme; `Err` (unchanged) when the WIT's `other` did not parse (`Some(None)`).
    pub fn set_scheme(&mut self, scheme: Option<Option<Scheme>>) -> Result<(), Invalid> {
        match scheme {
            Some(None) => Err(Invalid),
            Some(Some(s)) => {
                self.scheme = Some(s);
                Ok(())
            }
            None => {
                self.scheme = None;
                Ok(())
            }
        }
    }

    /// Sets the method; `Err` (unchanged) when the WIT's `other` was not a token (`None`).
    pub fn set_method(&mut self, method: Option<Method>) -> Result<(), Invalid> {
        self.method = method.ok_or(Invalid)?;
        Ok(())
    }

    /// The request as `http`'s, ready for [`WasiHttpHooks::send_request`]: the scheme defaults
    /// through the hooks, the authority becomes the `Host` header (when the hooks say so), a
    /// missing or empty path is `/` and a relative one is resolved against it, and a declared
    /// content-length without a body is an error.
    pub fn into_http(
        self,
        hooks: &mut dyn WasiHttpHooks,
    ) -> Result<http::Request<WasiBody>, HttpError> {
        let declared = content_length(&self.headers)
            .map_err(|e| HttpError::InternalError(Some(e.to_string())))?;
        let bodiless = matches!(self.body, None | Some(Body::Empty));
        if bodiless && declared.is_some_and(|n| n != 0) {
            return Err(HttpError::HttpRequestBodySize(Some(0)));
        }
        let scheme = match self.scheme {
            Some(scheme) if hooks.is_supported_scheme(&scheme) => scheme,
            Some(_) => return Err(HttpError::HttpProtocolError),
            None => hooks.default_scheme().ok_or(HttpError::HttpProtocolError)?,
        };
        let authority = self.authority.unwrap_or_default();
        // What was set passed its ABI's rule, which p3's takes in whole: its origin form.
        let path = match self.path_with_query.as_deref() {
            None => http::uri::PathAndQuery::from_static("/"),
            Some(p) => super::parse_path_with_query(p, super::PathRule::Relative)
                .ok_or(HttpError::HttpRequestUriInvalid)?,
        };
        let uri = http::Uri::builder()
            .scheme(scheme)
            .authority(authority.as_str())
            .path_and_query(path)
            .build()
            .map_err(|_| HttpError::HttpRequestUriInvalid)?;
        let mut headers = HeaderMap::from(self.headers);
        reserve_for_hyper(&mut headers).map_err(HttpError::HttpRequestHeaderSectionSize)?;
        if hooks.set_host_header() {
            let host = http::HeaderValue::try_from(authority.as_str())
                .map_err(|_| HttpError::HttpRequestUriInvalid)?;
            headers.insert(http::header::HOST, host);
        }
        let body = self.body.unwrap_or(Body::Empty);
        let mut request = http::Request::new(body.boxed_unsync());
        *request.method_mut() = self.method;
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        Ok(request)
    }
}

/// Header fields hyper (and `into_http`'s `Host`) may add to a message on its way out: `date`,
/// `content-length` or `transfer-encoding`, `host`, `connection`, with room to spare.
const HYPER_ADDS: usize = 8;

/// Makes room in `headers` for the fields hyper adds to a message: an `http::HeaderMap` holds
/// at most 2^15 entries and panics when an insert goes past that, so a guest that filled one
/// (many short names under a large `max-http-fields-size`) took hyper's connection task, or
/// the host, down with it (GHSA-gwgc-gc57-mv5f). `Err` when there is no room: the message
/// is refused with its direction's header-section-size error instead (its size is in bytes,
/// which is not what ran out, so none is given).
pub(crate) fn reserve_for_hyper(headers: &mut HeaderMap) -> Result<(), Option<u32>> {
    headers.try_reserve(HYPER_ADDS).map_err(|_| None)
}

/// Builds the request a guest handles from one hyper received: the body stays lazy, the scheme
/// is the listener's, and the authority comes from the URI or else the `Host` header (hyper
/// puts only the path in an HTTP/1 request's URI, which is where wasmtime 48 loses it).
pub(crate) fn incoming_request<B>(
    hooks: &mut dyn WasiHttpHooks,
    scheme: Scheme,
    request: http::Request<B>,
) -> Request
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<HttpError>,
{
    let (parts, body) = request.into_parts();
    let authority = match parts.uri.authority() {
        Some(authority) => Some(authority.as_str().to_string()),
        None => parts
            .headers
            .get(http::header::HOST)
            .and_then(|host| host.to_str().ok())
            .filter(|host| host.parse::<Authority>().is_ok())
            .map(str::to_string),
    };
    let path_with_query = parts.uri.path_and_query().map(|p| p.as_str().to_string());
    let body = body.map_err(Into::into).boxed_unsync();
    Request {
        method: parts.method,
        scheme: Some(parts.uri.scheme().cloned().unwrap_or(scheme)),
        authority,
        path_with_query,
        headers: FieldMap::new_immutable(hooks, parts.headers),
        options: None,
        body: Some(Body::Incoming(IncomingBody::new(body))),
    }
}

/// An HTTP response: one a guest returns, or one a guest's client call received.
pub struct Response {
    /// The status code.
    pub status: StatusCode,
    /// The header fields.
    pub headers: FieldMap,
    /// The body; `None` once a guest has taken it.
    pub body: Option<Body>,
}

impl Response {
    /// A `200` response with `headers` and no body yet.
    pub fn new(headers: FieldMap) -> Self {
        Response {
            status: StatusCode::OK,
            headers,
            body: None,
        }
    }

    /// Sets the status; `Err` (unchanged) when `codes` does not take it.
    pub fn set_status(&mut self, status: u16, codes: StatusCodes) -> Result<(), Invalid> {
        let valid = match codes {
            StatusCodes::Rfc9110 => (100..=599).contains(&status),
            StatusCodes::ThreeDigit => (100..=999).contains(&status),
        };
        if !valid {
            return Err(Invalid);
        }
        self.status = StatusCode::from_u16(status).map_err(|_| Invalid)?;
        Ok(())
    }

    /// The response as `http`'s, its body the guest's (or empty); `HTTP-response-header-section-size`
    /// when its fields leave hyper no room (`reserve_for_hyper`).
    pub fn into_http(self) -> Result<http::Response<Body>, HttpError> {
        let mut headers = HeaderMap::from(self.headers);
        reserve_for_hyper(&mut headers).map_err(HttpError::HttpResponseHeaderSectionSize)?;
        let mut response = http::Response::new(self.body.unwrap_or(Body::Empty));
        *response.status_mut() = self.status;
        *response.headers_mut() = headers;
        Ok(response)
    }

    /// Wraps a response a client call received; `worker` (the connection's task) lives as long
    /// as the body.
    pub fn incoming(
        hooks: &mut dyn WasiHttpHooks,
        response: http::Response<WasiBody>,
        worker: Option<tokio::task::JoinHandle<()>>,
    ) -> Self {
        let (parts, body) = response.into_parts();
        let mut body = IncomingBody::new(body);
        if let Some(worker) = worker {
            body.retain_worker(worker);
        }
        Response {
            status: parts.status,
            headers: FieldMap::new_immutable(hooks, parts.headers),
            body: Some(Body::Incoming(body)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A field map holding as many distinct names as `http::HeaderMap` takes (a guest does
    /// this with a large `max-http-fields-size`: GHSA-gwgc-gc57-mv5f).
    fn full_fields() -> FieldMap {
        let mut map = HeaderMap::new();
        for i in 0.. {
            let name = http::HeaderName::try_from(format!("x-{i}")).unwrap();
            if map
                .try_append(name, http::HeaderValue::from_static(""))
                .is_err()
            {
                break;
            }
        }
        FieldMap::new_immutable(crate::http::default_hooks(), map)
    }

    #[test]
    fn a_full_header_map_is_a_header_section_error_not_a_panic() {
        // What hyper does with such a map: it inserts its own fields, and `insert` panics.
        let mut map = HeaderMap::from(full_fields());
        let inserted = std::panic::catch_unwind(move || {
            map.insert(http::header::DATE, http::HeaderValue::from_static("now"))
        });
        assert!(inserted.is_err(), "a full HeaderMap panics on insert");

        let response = Response::new(full_fields());
        assert!(matches!(
            response.into_http(),
            Err(HttpError::HttpResponseHeaderSectionSize(None))
        ));
        let mut request = Request::new(full_fields());
        request.authority = Some("localhost".into());
        request.scheme = Some(Scheme::HTTP);
        assert!(matches!(
            request.into_http(crate::http::default_hooks()),
            Err(HttpError::HttpRequestHeaderSectionSize(None))
        ));

        // A large but not full map leaves hyper its room.
        let mut map = HeaderMap::new();
        for i in 0..1000 {
            map.append(
                http::HeaderName::try_from(format!("x-{i}")).unwrap(),
                http::HeaderValue::from_static(""),
            );
        }
        let fields = FieldMap::new_immutable(crate::http::default_hooks(), map);
        let mut http = Response::new(fields).into_http().unwrap();
        http.headers_mut()
            .insert(http::header::DATE, http::HeaderValue::from_static("now"));
    }
}
