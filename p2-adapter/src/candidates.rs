//! Functions of the WASI 0.2.0 release candidates of 2023 (`0.2.0-rc-2023-11-10`, and the
//! `-12-05` guests, whose sockets are `-11-10`'s) that 0.2.0 dropped: `ipv6-only` and
//! `set-ipv6-only` of `tcp-socket` and `udp-socket`. A guest built against a candidate has its
//! names renamed to 0.2.0 before it is compiled (`wasi_bridge::run::final_names`), so these are
//! linked beside 0.2.x's functions in the same instances, under the candidates' names; no 0.2
//! guest imports them. The answers are the core's (`Family::ipv6_only`).

use crate::WasiView;
use crate::bindings::sockets::network::ErrorCode;
use crate::sockets::{TcpSocket, UdpSocket};
use p3_core::sockets::Family;
use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource};

/// The instances of the 0.2 bindings that take the candidates' extra functions.
const TCP: &str = "wasi:sockets/tcp@0.2.12";
const UDP: &str = "wasi:sockets/udp@0.2.12";

/// Adds the candidates' `ipv6-only` / `set-ipv6-only` to `linker`'s 0.2 TCP and UDP instances
/// (after the 0.2 bindings are added; the same for a sync or an async linker).
pub(crate) fn add_to_linker<T: WasiView + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    add_ipv6_only::<T, TcpSocket>(linker, TCP, "tcp-socket", TcpSocket::family)?;
    add_ipv6_only::<T, UdpSocket>(linker, UDP, "udp-socket", UdpSocket::family)
}

/// `[method]RESOURCE.ipv6-only` and `.set-ipv6-only` in `instance`, for sockets of type `S`.
fn add_ipv6_only<T: WasiView + 'static, S: Send + 'static>(
    linker: &mut Linker<T>,
    instance: &str,
    resource: &str,
    family: fn(&S) -> Family,
) -> wasmtime::Result<()> {
    let mut instance = linker.instance(instance)?;
    instance.func_wrap(
        &format!("[method]{resource}.ipv6-only"),
        move |mut store: StoreContextMut<'_, T>, (this,): (Resource<S>,)| {
            let family = family(store.data_mut().ctx().table.get(&this)?);
            Ok((family.ipv6_only().map_err(ErrorCode::from),))
        },
    )?;
    instance.func_wrap(
        &format!("[method]{resource}.set-ipv6-only"),
        move |mut store: StoreContextMut<'_, T>, (this, value): (Resource<S>, bool)| {
            let family = family(store.data_mut().ctx().table.get(&this)?);
            Ok((family.set_ipv6_only(value).map_err(ErrorCode::from),))
        },
    )?;
    Ok(())
}
