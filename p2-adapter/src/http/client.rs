//! `wasi:http/outgoing-handler@0.2.x`: a guest's request through the core's client.

use super::bindings::http::outgoing_handler;
use super::bindings::http::types::{ErrorCode, RequestOptions};
use super::types::{HostFutureIncomingResponse, HostOutgoingRequest, HttpError};
use p3_core::http::{self as core, WasiHttpCtxView};
use wasmtime::component::Resource;

impl outgoing_handler::Host for WasiHttpCtxView<'_> {
    fn handle(
        &mut self,
        request: Resource<HostOutgoingRequest>,
        options: Option<Resource<RequestOptions>>,
    ) -> Result<Resource<HostFutureIncomingResponse>, HttpError> {
        let options = match options {
            Some(opts) => Some(*self.table.get(&opts)?),
            None => None,
        };
        let mut request = self.table.delete(request)?.0;
        request.options = options;
        let future =
            core::send(self.hooks, request).map_err(|e| HttpError::code(ErrorCode::from(e)))?;
        Ok(self.table.push(HostFutureIncomingResponse::new(future))?)
    }
}
