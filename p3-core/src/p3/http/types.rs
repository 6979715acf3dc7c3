//! `wasi:http/types@0.3.0`: fields, request options, and the plain getters and setters of
//! requests and responses.

use super::bindings::http::types::{
    self, ErrorCode, HeaderError as HeaderErrorCode, Method,
    RequestOptionsError as OptionsErrorCode, Scheme, StatusCode,
};
use super::body::{Request, Response};
use super::{method_from_http, method_to_http, scheme_from_http, scheme_to_http};
use crate::http::{FieldMap, WasiHttpCtxView};
use std::time::Duration;
use wasmtime::component::Resource;

/// An `error-code` for the guest, or a trap.
pub type HttpError = crate::TrappableError<ErrorCode>;
/// A `header-error` for the guest, or a trap.
pub type HeaderError = crate::TrappableError<HeaderErrorCode>;
/// A `request-options-error` for the guest, or a trap.
pub type RequestOptionsError = crate::TrappableError<OptionsErrorCode>;

type HeaderResult<T> = Result<T, HeaderError>;

/// A `request-options` resource: the options, and whether the guest may still change them
/// (those read back from a request are immutable).
#[derive(Clone, Copy, Default)]
pub struct RequestOptions {
    /// The timeouts.
    pub options: crate::http::RequestOptions,
    /// Whether setters are allowed.
    pub mutable: bool,
}

impl crate::veneer::HeaderErrorCodes for HeaderErrorCode {
    const IMMUTABLE: Self = HeaderErrorCode::Immutable;
    const INVALID_SYNTAX: Self = HeaderErrorCode::InvalidSyntax;
    const FORBIDDEN: Self = HeaderErrorCode::Forbidden;
    const SIZE_EXCEEDED: Option<Self> = Some(HeaderErrorCode::SizeExceeded);
}

impl types::Host for WasiHttpCtxView<'_> {
    fn convert_error_code(&mut self, err: HttpError) -> wasmtime::Result<ErrorCode> {
        err.downcast()
    }

    fn convert_header_error(&mut self, err: HeaderError) -> wasmtime::Result<HeaderErrorCode> {
        err.downcast()
    }

    fn convert_request_options_error(
        &mut self,
        err: RequestOptionsError,
    ) -> wasmtime::Result<OptionsErrorCode> {
        err.downcast()
    }
}

/// The `fields`, `request`, `response` and `request-options` host traits for a binding of the
/// 0.3.0 shape (0.3.0 and `0.3.0-rc-2026-01-06`, whose `header-error` and
/// `request-options-error` differ, generate distinct traits over the same resources).
///
/// The calling module must have the binding's `types` module, `HeaderErrorCode`,
/// `OptionsErrorCode`, `HeaderResult`, `RequestOptionsError`, the `method_*` / `scheme_*`
/// conversions and the types they name in scope.
macro_rules! http_types_impls {
    () => {
        impl types::HostFields for WasiHttpCtxView<'_> {
            // new, from-list, get, has, set, delete, append, clone, drop (crate::veneer's).
            crate::http_fields_methods!(HeaderErrorCode);

            fn get_and_delete(
                &mut self,
                fields: Resource<FieldMap>,
                name: String,
            ) -> HeaderResult<Vec<Vec<u8>>> {
                let fields = self.table.get_mut(&fields)?;
                let removed = fields
                    .remove_all(self.hooks, name)
                    .map_err(crate::veneer::header_error::<HeaderErrorCode>)?;
                Ok(removed.into_iter().map(|v| v.as_bytes().to_vec()).collect())
            }

            fn copy_all(
                &mut self,
                fields: Resource<FieldMap>,
            ) -> wasmtime::Result<Vec<(String, Vec<u8>)>> {
                self.field_entries(&fields)
            }
        }

        impl types::HostRequest for WasiHttpCtxView<'_> {
            fn get_method(&mut self, req: Resource<Request>) -> wasmtime::Result<Method> {
                Ok(method_from_http(&self.table.get(&req)?.head.method))
            }

            fn set_method(
                &mut self,
                req: Resource<Request>,
                method: Method,
            ) -> wasmtime::Result<Result<(), ()>> {
                let head = &mut self.table.get_mut(&req)?.head;
                Ok(head.set_method(method_to_http(&method)).map_err(drop))
            }

            fn get_path_with_query(
                &mut self,
                req: Resource<Request>,
            ) -> wasmtime::Result<Option<String>> {
                Ok(self.table.get(&req)?.head.path_with_query.clone())
            }

            fn set_path_with_query(
                &mut self,
                req: Resource<Request>,
                path: Option<String>,
            ) -> wasmtime::Result<Result<(), ()>> {
                let head = &mut self.table.get_mut(&req)?.head;
                Ok(head
                    .set_path_with_query(path, crate::http::PathRule::Relative)
                    .map_err(drop))
            }

            fn get_scheme(&mut self, req: Resource<Request>) -> wasmtime::Result<Option<Scheme>> {
                Ok(self
                    .table
                    .get(&req)?
                    .head
                    .scheme
                    .as_ref()
                    .map(scheme_from_http))
            }

            fn set_scheme(
                &mut self,
                req: Resource<Request>,
                scheme: Option<Scheme>,
            ) -> wasmtime::Result<Result<(), ()>> {
                let head = &mut self.table.get_mut(&req)?.head;
                Ok(head
                    .set_scheme(scheme.as_ref().map(scheme_to_http))
                    .map_err(drop))
            }

            fn get_authority(
                &mut self,
                req: Resource<Request>,
            ) -> wasmtime::Result<Option<String>> {
                Ok(self.table.get(&req)?.head.authority.clone())
            }

            fn set_authority(
                &mut self,
                req: Resource<Request>,
                authority: Option<String>,
            ) -> wasmtime::Result<Result<(), ()>> {
                let head = &mut self.table.get_mut(&req)?.head;
                Ok(head
                    .set_authority(authority, crate::http::AuthorityRule::PortChecked)
                    .map_err(drop))
            }

            fn get_options(
                &mut self,
                req: Resource<Request>,
            ) -> wasmtime::Result<Option<Resource<RequestOptions>>> {
                let Some(options) = self.table.get(&req)?.head.options else {
                    return Ok(None);
                };
                Ok(Some(self.table.push(RequestOptions {
                    options,
                    mutable: false,
                })?))
            }

            fn get_headers(
                &mut self,
                req: Resource<Request>,
            ) -> wasmtime::Result<Resource<FieldMap>> {
                let mut headers = self.table.get(&req)?.head.headers.clone();
                headers.set_immutable();
                Ok(self.table.push(headers)?)
            }
        }

        impl types::HostResponse for WasiHttpCtxView<'_> {
            fn get_status_code(&mut self, res: Resource<Response>) -> wasmtime::Result<StatusCode> {
                Ok(self.table.get(&res)?.head.status.as_u16())
            }

            fn set_status_code(
                &mut self,
                res: Resource<Response>,
                status: StatusCode,
            ) -> wasmtime::Result<Result<(), ()>> {
                let head = &mut self.table.get_mut(&res)?.head;
                Ok(head
                    .set_status(status, crate::http::StatusCodes::Rfc9110)
                    .map_err(drop))
            }

            fn get_headers(
                &mut self,
                res: Resource<Response>,
            ) -> wasmtime::Result<Resource<FieldMap>> {
                let mut headers = self.table.get(&res)?.head.headers.clone();
                headers.set_immutable();
                Ok(self.table.push(headers)?)
            }
        }

        fn nanos(d: Option<Duration>) -> wasmtime::Result<Option<u64>> {
            Ok(d.map(|d| u64::try_from(d.as_nanos())).transpose()?)
        }

        fn set_option(
            table: &mut wasmtime::component::ResourceTable,
            opts: &Resource<RequestOptions>,
            set: impl FnOnce(&mut crate::http::RequestOptions),
        ) -> Result<(), RequestOptionsError> {
            let opts = table.get_mut(opts)?;
            if !opts.mutable {
                return Err(RequestOptionsError::code(OptionsErrorCode::Immutable));
            }
            set(&mut opts.options);
            Ok(())
        }

        impl types::HostRequestOptions for WasiHttpCtxView<'_> {
            fn new(&mut self) -> wasmtime::Result<Resource<RequestOptions>> {
                Ok(self.table.push(RequestOptions {
                    options: Default::default(),
                    mutable: true,
                })?)
            }

            fn get_connect_timeout(
                &mut self,
                opts: Resource<RequestOptions>,
            ) -> wasmtime::Result<Option<u64>> {
                nanos(self.table.get(&opts)?.options.connect_timeout)
            }

            fn set_connect_timeout(
                &mut self,
                opts: Resource<RequestOptions>,
                duration: Option<u64>,
            ) -> Result<(), RequestOptionsError> {
                set_option(self.table, &opts, |o| {
                    o.connect_timeout = duration.map(Duration::from_nanos)
                })
            }

            fn get_first_byte_timeout(
                &mut self,
                opts: Resource<RequestOptions>,
            ) -> wasmtime::Result<Option<u64>> {
                nanos(self.table.get(&opts)?.options.first_byte_timeout)
            }

            fn set_first_byte_timeout(
                &mut self,
                opts: Resource<RequestOptions>,
                duration: Option<u64>,
            ) -> Result<(), RequestOptionsError> {
                set_option(self.table, &opts, |o| {
                    o.first_byte_timeout = duration.map(Duration::from_nanos)
                })
            }

            fn get_between_bytes_timeout(
                &mut self,
                opts: Resource<RequestOptions>,
            ) -> wasmtime::Result<Option<u64>> {
                nanos(self.table.get(&opts)?.options.between_bytes_timeout)
            }

            fn set_between_bytes_timeout(
                &mut self,
                opts: Resource<RequestOptions>,
                duration: Option<u64>,
            ) -> Result<(), RequestOptionsError> {
                set_option(self.table, &opts, |o| {
                    o.between_bytes_timeout = duration.map(Duration::from_nanos)
                })
            }

            fn clone(
                &mut self,
                opts: Resource<RequestOptions>,
            ) -> wasmtime::Result<Resource<RequestOptions>> {
                let options = self.table.get(&opts)?.options;
                Ok(self.table.push(RequestOptions {
                    options,
                    mutable: true,
                })?)
            }

            fn drop(&mut self, opts: Resource<RequestOptions>) -> wasmtime::Result<()> {
                self.table.delete(opts)?;
                Ok(())
            }
        }
    };
}
pub(crate) use http_types_impls;

// The host traits of 0.3.0's `wasi:http/types`.
http_types_impls!();
