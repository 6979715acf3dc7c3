//! wasi:http as both bindings expand it: the one conversion table between wasi:http's WIT types
//! and the neutral layer ([`http_conversions!`](crate::http::http_conversions)), the `fields`
//! resource's shared methods ([`http_fields_methods!`](crate::http_fields_methods)) and the
//! `header-error` a field-map failure is ([`header_error`]).
//!
//! `wasi:http@0.2.x` and `@0.3.0` declare `error-code`, `method` and `scheme` with the same cases,
//! so each ABI's bindings get their conversions from this macro rather than a copy of the table:
//! `p3_core::http_conversions!(path::to::bindings::types)` defines, in the calling module,
//! `From<HttpError> for ErrorCode` (the default hooks' mapping: a failed connect is
//! `connection-refused` unless the name did not resolve, TLS failures `tls-protocol-error`),
//! `From<ErrorCode> for HttpError`, and `method_to_http` / `method_from_http` /
//! `scheme_to_http` / `scheme_from_http`.

/// See the [module documentation](self).
#[doc(hidden)]
#[macro_export]
macro_rules! __http_conversions {
    ($types:path) => {
        mod __http_conv {
            use t::ErrorCode as C;
            use $crate::http::HttpError as E;
            use $types as t;

            impl From<&E> for C {
                fn from(e: &E) -> C {
                    match e {
                        E::Hyper(err) => {
                            if err.is_timeout() {
                                return C::HttpResponseTimeout;
                            }
                            let mut source = std::error::Error::source(&err);
                            while let Some(cause) = source {
                                if let Some(code) = cause.downcast_ref::<C>() {
                                    return code.clone();
                                }
                                source = cause.source();
                            }
                            C::HttpProtocolError
                        }
                        E::Connect(err) => {
                            if err.kind() == std::io::ErrorKind::AddrNotAvailable
                                || err
                                    .to_string()
                                    .starts_with("failed to lookup address information")
                            {
                                C::DnsError(t::DnsErrorPayload {
                                    rcode: Some("address not available".to_string()),
                                    info_code: None,
                                })
                            } else {
                                C::ConnectionRefused
                            }
                        }
                        E::Tls(_) => C::TlsProtocolError,
                        E::InvalidDnsNameError(_) => C::DnsError(t::DnsErrorPayload {
                            rcode: Some("invalid dns name".to_string()),
                            info_code: None,
                        }),
                        E::DnsTimeout => C::DnsTimeout,
                        E::DnsError { rcode, info_code } => C::DnsError(t::DnsErrorPayload {
                            rcode: rcode.clone(),
                            info_code: *info_code,
                        }),
                        E::DestinationNotFound => C::DestinationNotFound,
                        E::DestinationUnavailable => C::DestinationUnavailable,
                        E::DestinationIpProhibited => C::DestinationIpProhibited,
                        E::DestinationIpUnroutable => C::DestinationIpUnroutable,
                        E::ConnectionRefused => C::ConnectionRefused,
                        E::ConnectionTerminated => C::ConnectionTerminated,
                        E::ConnectionTimeout => C::ConnectionTimeout,
                        E::ConnectionReadTimeout => C::ConnectionReadTimeout,
                        E::ConnectionWriteTimeout => C::ConnectionWriteTimeout,
                        E::ConnectionLimitReached => C::ConnectionLimitReached,
                        E::TlsProtocolError => C::TlsProtocolError,
                        E::TlsCertificateError => C::TlsCertificateError,
                        E::TlsAlertReceived {
                            alert_id,
                            alert_message,
                        } => C::TlsAlertReceived(t::TlsAlertReceivedPayload {
                            alert_id: *alert_id,
                            alert_message: alert_message.clone(),
                        }),
                        E::HttpRequestDenied => C::HttpRequestDenied,
                        E::HttpRequestLengthRequired => C::HttpRequestLengthRequired,
                        E::HttpRequestBodySize(n) => C::HttpRequestBodySize(n.clone()),
                        E::HttpRequestMethodInvalid => C::HttpRequestMethodInvalid,
                        E::HttpRequestUriInvalid => C::HttpRequestUriInvalid,
                        E::HttpRequestUriTooLong => C::HttpRequestUriTooLong,
                        E::HttpRequestHeaderSectionSize(n) => {
                            C::HttpRequestHeaderSectionSize(n.clone())
                        }
                        E::HttpRequestHeaderSize {
                            field_name,
                            field_size,
                        } => C::HttpRequestHeaderSize(Some(t::FieldSizePayload {
                            field_name: field_name.clone(),
                            field_size: *field_size,
                        })),
                        E::HttpRequestTrailerSectionSize(n) => {
                            C::HttpRequestTrailerSectionSize(n.clone())
                        }
                        E::HttpRequestTrailerSize {
                            field_name,
                            field_size,
                        } => C::HttpRequestTrailerSize(t::FieldSizePayload {
                            field_name: field_name.clone(),
                            field_size: *field_size,
                        }),
                        E::HttpResponseIncomplete => C::HttpResponseIncomplete,
                        E::HttpResponseHeaderSectionSize(n) => {
                            C::HttpResponseHeaderSectionSize(n.clone())
                        }
                        E::HttpResponseHeaderSize {
                            field_name,
                            field_size,
                        } => C::HttpResponseHeaderSize(t::FieldSizePayload {
                            field_name: field_name.clone(),
                            field_size: *field_size,
                        }),
                        E::HttpResponseBodySize(n) => C::HttpResponseBodySize(n.clone()),
                        E::HttpResponseTrailerSectionSize(n) => {
                            C::HttpResponseTrailerSectionSize(n.clone())
                        }
                        E::HttpResponseTrailerSize {
                            field_name,
                            field_size,
                        } => C::HttpResponseTrailerSize(t::FieldSizePayload {
                            field_name: field_name.clone(),
                            field_size: *field_size,
                        }),
                        E::HttpResponseTransferCoding(s) => {
                            C::HttpResponseTransferCoding(s.clone())
                        }
                        E::HttpResponseContentCoding(s) => C::HttpResponseContentCoding(s.clone()),
                        E::HttpResponseTimeout => C::HttpResponseTimeout,
                        E::HttpUpgradeFailed => C::HttpUpgradeFailed,
                        E::HttpProtocolError => C::HttpProtocolError,
                        E::LoopDetected => C::LoopDetected,
                        E::ConfigurationError => C::ConfigurationError,
                        E::InternalError(s) => C::InternalError(s.clone()),
                        other => C::InternalError(Some(other.to_string())),
                    }
                }
            }

            impl From<E> for C {
                fn from(e: E) -> C {
                    C::from(&e)
                }
            }

            impl From<C> for E {
                fn from(c: C) -> E {
                    match c {
                        C::DnsTimeout => E::DnsTimeout,
                        C::DnsError(p) => E::DnsError {
                            rcode: p.rcode,
                            info_code: p.info_code,
                        },
                        C::DestinationNotFound => E::DestinationNotFound,
                        C::DestinationUnavailable => E::DestinationUnavailable,
                        C::DestinationIpProhibited => E::DestinationIpProhibited,
                        C::DestinationIpUnroutable => E::DestinationIpUnroutable,
                        C::ConnectionRefused => E::ConnectionRefused,
                        C::ConnectionTerminated => E::ConnectionTerminated,
                        C::ConnectionTimeout => E::ConnectionTimeout,
                        C::ConnectionReadTimeout => E::ConnectionReadTimeout,
                        C::ConnectionWriteTimeout => E::ConnectionWriteTimeout,
                        C::ConnectionLimitReached => E::ConnectionLimitReached,
                        C::TlsProtocolError => E::TlsProtocolError,
                        C::TlsCertificateError => E::TlsCertificateError,
                        C::TlsAlertReceived(p) => E::TlsAlertReceived {
                            alert_id: p.alert_id,
                            alert_message: p.alert_message,
                        },
                        C::HttpRequestDenied => E::HttpRequestDenied,
                        C::HttpRequestLengthRequired => E::HttpRequestLengthRequired,
                        C::HttpRequestBodySize(n) => E::HttpRequestBodySize(n),
                        C::HttpRequestMethodInvalid => E::HttpRequestMethodInvalid,
                        C::HttpRequestUriInvalid => E::HttpRequestUriInvalid,
                        C::HttpRequestUriTooLong => E::HttpRequestUriTooLong,
                        C::HttpRequestHeaderSectionSize(n) => E::HttpRequestHeaderSectionSize(n),
                        C::HttpRequestHeaderSize(p) => {
                            let (field_name, field_size) =
                                p.map_or((None, None), |p| (p.field_name, p.field_size));
                            E::HttpRequestHeaderSize {
                                field_name,
                                field_size,
                            }
                        }
                        C::HttpRequestTrailerSectionSize(n) => E::HttpRequestTrailerSectionSize(n),
                        C::HttpRequestTrailerSize(p) => E::HttpRequestTrailerSize {
                            field_name: p.field_name,
                            field_size: p.field_size,
                        },
                        C::HttpResponseIncomplete => E::HttpResponseIncomplete,
                        C::HttpResponseHeaderSectionSize(n) => E::HttpResponseHeaderSectionSize(n),
                        C::HttpResponseHeaderSize(p) => E::HttpResponseHeaderSize {
                            field_name: p.field_name,
                            field_size: p.field_size,
                        },
                        C::HttpResponseBodySize(n) => E::HttpResponseBodySize(n),
                        C::HttpResponseTrailerSectionSize(n) => {
                            E::HttpResponseTrailerSectionSize(n)
                        }
                        C::HttpResponseTrailerSize(p) => E::HttpResponseTrailerSize {
                            field_name: p.field_name,
                            field_size: p.field_size,
                        },
                        C::HttpResponseTransferCoding(s) => E::HttpResponseTransferCoding(s),
                        C::HttpResponseContentCoding(s) => E::HttpResponseContentCoding(s),
                        C::HttpResponseTimeout => E::HttpResponseTimeout,
                        C::HttpUpgradeFailed => E::HttpUpgradeFailed,
                        C::HttpProtocolError => E::HttpProtocolError,
                        C::LoopDetected => E::LoopDetected,
                        C::ConfigurationError => E::ConfigurationError,
                        C::InternalError(s) => E::InternalError(s),
                    }
                }
            }

            /// The WIT method as `http`'s; `None` for an `other` that is not a token.
            #[allow(dead_code)]
            pub fn method_to_http(m: &t::Method) -> Option<$crate::http::__http::Method> {
                Some(match m {
                    t::Method::Get => $crate::http::__http::Method::GET,
                    t::Method::Head => $crate::http::__http::Method::HEAD,
                    t::Method::Post => $crate::http::__http::Method::POST,
                    t::Method::Put => $crate::http::__http::Method::PUT,
                    t::Method::Delete => $crate::http::__http::Method::DELETE,
                    t::Method::Connect => $crate::http::__http::Method::CONNECT,
                    t::Method::Options => $crate::http::__http::Method::OPTIONS,
                    t::Method::Trace => $crate::http::__http::Method::TRACE,
                    t::Method::Patch => $crate::http::__http::Method::PATCH,
                    t::Method::Other(s) => {
                        $crate::http::__http::Method::from_bytes(s.as_bytes()).ok()?
                    }
                })
            }

            /// `http`'s method as the WIT's.
            #[allow(dead_code)]
            pub fn method_from_http(m: &$crate::http::__http::Method) -> t::Method {
                match *m {
                    $crate::http::__http::Method::GET => t::Method::Get,
                    $crate::http::__http::Method::HEAD => t::Method::Head,
                    $crate::http::__http::Method::POST => t::Method::Post,
                    $crate::http::__http::Method::PUT => t::Method::Put,
                    $crate::http::__http::Method::DELETE => t::Method::Delete,
                    $crate::http::__http::Method::CONNECT => t::Method::Connect,
                    $crate::http::__http::Method::OPTIONS => t::Method::Options,
                    $crate::http::__http::Method::TRACE => t::Method::Trace,
                    $crate::http::__http::Method::PATCH => t::Method::Patch,
                    ref other => t::Method::Other(other.to_string()),
                }
            }

            /// The WIT scheme as `http`'s; `None` for an `other` that is not a scheme.
            #[allow(dead_code)]
            pub fn scheme_to_http(s: &t::Scheme) -> Option<$crate::http::__http::uri::Scheme> {
                Some(match s {
                    t::Scheme::Http => $crate::http::__http::uri::Scheme::HTTP,
                    t::Scheme::Https => $crate::http::__http::uri::Scheme::HTTPS,
                    t::Scheme::Other(s) => s.parse().ok()?,
                })
            }

            /// `http`'s scheme as the WIT's.
            #[allow(dead_code)]
            pub fn scheme_from_http(s: &$crate::http::__http::uri::Scheme) -> t::Scheme {
                if *s == $crate::http::__http::uri::Scheme::HTTP {
                    t::Scheme::Http
                } else if *s == $crate::http::__http::uri::Scheme::HTTPS {
                    t::Scheme::Https
                } else {
                    t::Scheme::Other(s.as_str().to_string())
                }
            }
        }
        #[allow(unused_imports)]
        pub use __http_conv::{method_from_http, method_to_http, scheme_from_http, scheme_to_http};
    };
}

/// A binding's `header-error` cases, for [`header_error`].
pub trait HeaderErrorCodes: std::error::Error + Send + Sync + Sized + 'static {
    /// `immutable`.
    const IMMUTABLE: Self;
    /// `invalid-syntax`.
    const INVALID_SYNTAX: Self;
    /// `forbidden`.
    const FORBIDDEN: Self;
    /// `size-exceeded`, where the ABI has it (WASIp3); without it (WASIp2) too many or too
    /// large fields trap, as in wasmtime-wasi-http.
    const SIZE_EXCEEDED: Option<Self>;
}

/// A field-map failure as a binding's `header-error` (or a trap).
pub fn header_error<C: HeaderErrorCodes>(
    e: crate::http::FieldMapError,
) -> crate::TrappableError<C> {
    use crate::http::FieldMapError as F;
    match e {
        F::Immutable => crate::TrappableError::code(C::IMMUTABLE),
        F::InvalidHeaderName | F::InvalidHeaderValue => {
            crate::TrappableError::code(C::INVALID_SYNTAX)
        }
        F::Forbidden => crate::TrappableError::code(C::FORBIDDEN),
        other => match C::SIZE_EXCEEDED {
            Some(code) => crate::TrappableError::code(code),
            None => crate::TrappableError::trap(other),
        },
    }
}

/// The methods of the `fields` resource both ABIs share — `new`, `from-list`, `get`, `has`,
/// `set`, `delete`, `append`, `clone`, `drop` — for the inside of a binding's
/// `impl HostFields for WasiHttpCtxView<'_>`; `$codes` is the binding's `header-error` type
/// (a [`HeaderErrorCodes`]). The ABI-specific methods (p2 `entries`; p3 `copy-all`,
/// `get-and-delete`) are written beside it (`entries` and `copy-all` on
/// [`WasiHttpCtxView::field_entries`](crate::http::WasiHttpCtxView::field_entries)).
#[doc(hidden)]
#[macro_export]
macro_rules! http_fields_methods {
    ($codes:ty) => {
        fn new(
            &mut self,
        ) -> wasmtime::Result<wasmtime::component::Resource<$crate::http::FieldMap>> {
            Ok(self.table.push($crate::http::FieldMap::new_mutable(
                self.ctx.field_size_limit(),
            ))?)
        }

        fn from_list(
            &mut self,
            entries: Vec<(String, Vec<u8>)>,
        ) -> Result<
            wasmtime::component::Resource<$crate::http::FieldMap>,
            $crate::TrappableError<$codes>,
        > {
            let mut fields = $crate::http::FieldMap::new_mutable(self.ctx.field_size_limit());
            for (name, value) in entries {
                fields
                    .append(self.hooks, name, value)
                    .map_err($crate::veneer::header_error::<$codes>)?;
            }
            Ok(self.table.push(fields)?)
        }

        fn get(
            &mut self,
            fields: wasmtime::component::Resource<$crate::http::FieldMap>,
            name: String,
        ) -> wasmtime::Result<Vec<Vec<u8>>> {
            let fields = self.table.get(&fields)?;
            Ok(
                match $crate::http::__http::HeaderName::from_bytes(name.as_bytes()) {
                    Ok(name) => fields
                        .get_all(&name)
                        .iter()
                        .map(|v| v.as_bytes().to_vec())
                        .collect(),
                    Err(_) => Vec::new(),
                },
            )
        }

        fn has(
            &mut self,
            fields: wasmtime::component::Resource<$crate::http::FieldMap>,
            name: String,
        ) -> wasmtime::Result<bool> {
            let fields = self.table.get(&fields)?;
            Ok(
                $crate::http::__http::HeaderName::from_bytes(name.as_bytes())
                    .is_ok_and(|n| fields.contains_key(&n)),
            )
        }

        fn set(
            &mut self,
            fields: wasmtime::component::Resource<$crate::http::FieldMap>,
            name: String,
            values: Vec<Vec<u8>>,
        ) -> Result<(), $crate::TrappableError<$codes>> {
            let fields = self.table.get_mut(&fields)?;
            fields
                .set(self.hooks, name, values)
                .map_err($crate::veneer::header_error::<$codes>)
        }

        fn delete(
            &mut self,
            fields: wasmtime::component::Resource<$crate::http::FieldMap>,
            name: String,
        ) -> Result<(), $crate::TrappableError<$codes>> {
            let fields = self.table.get_mut(&fields)?;
            fields
                .remove_all(self.hooks, name)
                .map_err($crate::veneer::header_error::<$codes>)?;
            Ok(())
        }

        fn append(
            &mut self,
            fields: wasmtime::component::Resource<$crate::http::FieldMap>,
            name: String,
            value: Vec<u8>,
        ) -> Result<(), $crate::TrappableError<$codes>> {
            let fields = self.table.get_mut(&fields)?;
            fields
                .append(self.hooks, name, value)
                .map_err($crate::veneer::header_error::<$codes>)?;
            Ok(())
        }

        fn clone(
            &mut self,
            fields: wasmtime::component::Resource<$crate::http::FieldMap>,
        ) -> wasmtime::Result<wasmtime::component::Resource<$crate::http::FieldMap>> {
            let mut fields = self.table.get(&fields)?.clone();
            fields.set_mutable(self.ctx.field_size_limit());
            Ok(self.table.push(fields)?)
        }

        fn drop(
            &mut self,
            fields: wasmtime::component::Resource<$crate::http::FieldMap>,
        ) -> wasmtime::Result<()> {
            self.table.delete(fields)?;
            Ok(())
        }
    };
}
