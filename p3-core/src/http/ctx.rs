//! The wasi:http context in a store, with wasmtime-wasi-http's names and fields.

use super::WasiHttpHooks;
use http_body_util::combinators::BoxBody;
use wasmtime::component::{HasData, Resource, ResourceTable};

/// The field-size limit wasmtime-wasi-http uses by default (128 KiB).
const DEFAULT_FIELD_SIZE_LIMIT: usize = 128 * 1024;

/// Per-store wasi:http state (wasmtime-wasi-http's `WasiHttpCtx`).
#[derive(Debug, Clone)]
pub struct WasiHttpCtx {
    field_size_limit: usize,
}

impl WasiHttpCtx {
    /// A context with the default limits.
    pub fn new() -> Self {
        WasiHttpCtx {
            field_size_limit: DEFAULT_FIELD_SIZE_LIMIT,
        }
    }

    /// Sets the most bytes a guest's `fields` may hold (names and values).
    pub fn set_field_size_limit(&mut self, limit: usize) {
        self.field_size_limit = limit;
    }

    /// The most bytes a guest's `fields` may hold.
    pub fn field_size_limit(&self) -> usize {
        self.field_size_limit
    }
}

impl Default for WasiHttpCtx {
    fn default() -> Self {
        Self::new()
    }
}

/// What the wasi:http bindings see of a store: its context, resource table and hooks.
pub struct WasiHttpCtxView<'a> {
    /// The host's hooks (`default_hooks()` or `Default::default()` for wasmtime's defaults).
    pub hooks: &'a mut dyn WasiHttpHooks,
    /// The store's resource table (the one its WASI context uses too).
    pub table: &'a mut ResourceTable,
    /// The store's wasi:http context.
    pub ctx: &'a mut WasiHttpCtx,
}

/// A store's data that can serve wasi:http.
pub trait WasiHttpView: Send {
    /// The wasi:http view of this store's data.
    fn http(&mut self) -> WasiHttpCtxView<'_>;
}

/// The [`HasData`] marker the wasi:http bindings are linked with.
pub struct WasiHttp;

impl HasData for WasiHttp {
    type Data<'a> = WasiHttpCtxView<'a>;
}

impl WasiHttpCtxView<'_> {
    /// Puts a request hyper received into the table for a guest's handler (wasmtime-wasi-http's
    /// `new_incoming_request`). `scheme` is the listener's; the authority comes from the URI or
    /// the `Host` header. The body stays lazy.
    pub fn new_incoming_request<B>(
        &mut self,
        scheme: impl Into<http::uri::Scheme>,
        request: hyper::Request<B>,
    ) -> wasmtime::Result<Resource<super::Request>>
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<super::HttpError>,
    {
        let request = super::incoming_request(self.hooks, scheme.into(), request);
        Ok(self.table.push(request)?)
    }

    /// Puts the slot for a guest's response into the table (wasmtime-wasi-http's
    /// `new_response_outparam`): the response, or the error the guest set, arrives on
    /// `sender`; the sender is dropped if the guest never sets one.
    pub fn new_response_outparam<E>(
        &mut self,
        sender: tokio::sync::oneshot::Sender<Result<hyper::Response<BoxBody<bytes::Bytes, E>>, E>>,
    ) -> wasmtime::Result<Resource<super::ResponseOutparam>>
    where
        E: From<super::HttpError> + Send + Sync + 'static,
    {
        Ok(self.table.push(super::ResponseOutparam::channel(sender))?)
    }

    /// [`new_response_outparam`](Self::new_response_outparam) with a callback instead of a
    /// channel (wasmtime-wasi-http's `new_response_outparam_from_callback`): `callback` runs
    /// inside the guest's `set`, so the response leaves even while the guest goes on
    /// blocking the store.
    pub fn new_response_outparam_from_callback<E>(
        &mut self,
        callback: impl FnOnce(Result<hyper::Response<BoxBody<bytes::Bytes, E>>, E>)
        + Send
        + Sync
        + 'static,
    ) -> wasmtime::Result<Resource<super::ResponseOutparam>>
    where
        E: From<super::HttpError> + Send + Sync + 'static,
    {
        Ok(self
            .table
            .push(super::ResponseOutparam::callback(callback))?)
    }

    /// Every field of `fields` as (name, value) pairs, in order (p2 `fields.entries`, p3
    /// `fields.copy-all`).
    pub fn field_entries(
        &mut self,
        fields: &Resource<super::FieldMap>,
    ) -> wasmtime::Result<Vec<(String, Vec<u8>)>> {
        Ok(self
            .table
            .get(fields)?
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_owned()))
            .collect())
    }
}
