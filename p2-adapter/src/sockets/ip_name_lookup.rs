//! `wasi:sockets/ip-name-lookup@0.2.x`: a resolution in progress as a p2 stream of addresses.

use super::{Network, SocketResult, ip_out};
use crate::bindings::sockets::ip_name_lookup;
use crate::bindings::sockets::network::{ErrorCode, IpAddress};
use crate::streams::noop_cx;
use p3_core::sockets::WasiSocketsCtxView;
use p3_core::sockets::lookup::Resolve;
use std::task::Poll;
use wasmtime::component::Resource;
use wasmtime_wasi_io::poll::{DynPollable, Pollable, subscribe};

/// A p2 `resolve-address-stream`.
pub struct ResolveAddressStream {
    resolve: Resolve,
    next: usize,
}

#[async_trait::async_trait]
impl Pollable for ResolveAddressStream {
    async fn ready(&mut self) {
        std::future::poll_fn(|cx| self.resolve.poll(cx).map(drop)).await
    }
}

impl ip_name_lookup::Host for WasiSocketsCtxView<'_> {
    fn resolve_addresses(
        &mut self,
        network: Resource<Network>,
        name: String,
    ) -> SocketResult<Resource<ResolveAddressStream>> {
        self.table.get(&network)?;
        let resolve = Resolve::start(self.ctx, &name);
        // Refusals and malformed names are reported by this call, as wasmtime-wasi does.
        if let Resolve::Done(Err(e)) = &resolve {
            return Err(ErrorCode::from(*e).into());
        }
        Ok(self.table.push(ResolveAddressStream { resolve, next: 0 })?)
    }
}

impl ip_name_lookup::HostResolveAddressStream for WasiSocketsCtxView<'_> {
    fn resolve_next_address(
        &mut self,
        this: Resource<ResolveAddressStream>,
    ) -> SocketResult<Option<IpAddress>> {
        let stream = self.table.get_mut(&this)?;
        let Poll::Ready(result) = stream.resolve.poll(&mut noop_cx()) else {
            return Err(ErrorCode::WouldBlock.into());
        };
        match result {
            Ok(addrs) => {
                let next = addrs.get(stream.next).copied().map(ip_out);
                if next.is_some() {
                    stream.next += 1;
                }
                Ok(next)
            }
            Err(e) => Err(ErrorCode::from(*e).into()),
        }
    }

    fn subscribe(
        &mut self,
        this: Resource<ResolveAddressStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        subscribe(self.table, this)
    }

    fn drop(&mut self, this: Resource<ResolveAddressStream>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}
