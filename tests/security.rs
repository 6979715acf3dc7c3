//! wasmtime 48.0.x's WASI security advisories, re-checked on wasi-bridge's own code (the fixes
//! in wasmtime-wasi do not reach a re-implementation through the dependency). Each test is
//! named in `docs/security.md`; the advisories whose attack is a core module are in
//! `tests/p1.rs` (the p1/p0 differential harness), listed there too.

use p3_core::sockets::udp::UdpSocket;
use p3_core::sockets::{ErrorCode, Family, SocketAddrUse};
use wasi_bridge::WasiCtx;

/// GHSA-hmmr-87qq-258j (wasmtime 48.0.8): UDP `connect` (p2 `stream(remote)`, p3 `connect`)
/// was allowed when the host's check permitted the remote address for sending *or* receiving.
/// A connected socket does both, so both must be permitted: denying either one refuses it.
#[tokio::test(flavor = "multi_thread")]
async fn udp_connect_needs_the_remote_permitted_for_sending_and_receiving() {
    let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let remote = peer.local_addr().unwrap();
    for (denied, expect) in [
        (Some(SocketAddrUse::UdpSend), Err(ErrorCode::AccessDenied)),
        (
            Some(SocketAddrUse::UdpReceive),
            Err(ErrorCode::AccessDenied),
        ),
        (None, Ok(())),
    ] {
        let mut ctx = WasiCtx::builder()
            .allow_udp(true)
            .socket_addr_check(move |_, addr_use| {
                let allowed = !matches!(
                    (addr_use, denied),
                    (SocketAddrUse::UdpSend, Some(SocketAddrUse::UdpSend))
                        | (SocketAddrUse::UdpReceive, Some(SocketAddrUse::UdpReceive))
                );
                Box::pin(async move { allowed })
            })
            .build();
        let mut socket = UdpSocket::new(ctx.sockets(), Family::Ipv4).unwrap();
        assert_eq!(
            socket.connect(remote).await,
            expect,
            "connect with {denied:?} denied"
        );
    }
}
