//! wasmtime 48.0.x's WASI security advisories, re-checked on wasi-bridge's own code (the fixes
//! in wasmtime-wasi do not reach a re-implementation through the dependency). Each test is
//! named in `docs/security.md`; the advisories whose attack is a core module are in
//! `tests/all/p1.rs` (the p1/p0 differential harness), listed there too.

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

/// GHSA-5qpp-g3j2-8frx (wasmtime 48.0.6): a guest's absolute-form `path-with-query`
/// (`http://other/x`) sent the request to `other` instead of the request's authority. Both
/// ABIs' `set-path-with-query` (and p3's `request.new`) take it through this one function,
/// which accepts only what addresses the request's own authority.
#[test]
fn a_path_with_query_cannot_address_another_host() {
    use p3_core::http::parse_path_with_query;
    for absolute in [
        "http://evil.example/x",
        "https://evil.example",
        "evil.example:80",
        "*",
        "HTTP://evil.example/",
    ] {
        assert!(
            parse_path_with_query(absolute).is_none(),
            "{absolute:?} was accepted"
        );
    }
    for origin in ["", "/", "/a/b?c=d", "?q=1"] {
        assert!(
            parse_path_with_query(origin).is_some(),
            "{origin:?} was refused"
        );
    }
}

/// GHSA-r8xh-cgf7-392j (48.0.7) and GHSA-h4wp-g4x3-7398 (48.0.8): conflicting or malformed
/// `content-length` values reached the peer. The length a body is held to is read by this one
/// function for both ABIs, and anything but exactly one plain decimal number is refused.
#[test]
fn content_length_is_one_decimal_number_or_refused() {
    use p3_core::http::content_length;
    let headers = |values: &[&str]| {
        let mut h = http::HeaderMap::new();
        for v in values {
            h.append(http::header::CONTENT_LENGTH, v.parse().unwrap());
        }
        h
    };
    assert_eq!(content_length(&headers(&[])).unwrap(), None);
    assert_eq!(content_length(&headers(&["42"])).unwrap(), Some(42));
    for bad in [
        &["5", "5"][..],
        &["5", "6"],
        &["+5"],
        &["-1"],
        &["5, 5"],
        &[" 5"],
        &["0x10"],
        &["99999999999999999999999"],
    ] {
        assert!(content_length(&headers(bad)).is_err(), "{bad:?} was taken");
    }
}

/// GHSA-w4qr-p94g-mjhv (wasmtime 48.0.4): a guest's zero timeout panicked the host's HTTP
/// client (tokio refuses a zero interval). Both ABIs send through `p3_core::http::send`, which
/// hands the guest's options to wasmtime-wasi-http 48.0.8's `default_send_request`; a request
/// whose every timeout is zero must end in a response or an error code, never a panic.
#[tokio::test(flavor = "multi_thread")]
async fn zero_timeouts_do_not_panic_the_http_client() {
    use std::io::{Read, Write};
    use std::time::Duration;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8];
        while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap() == 1 {
            head.push(byte[0]);
        }
        let _ = conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
    });
    let hooks = wasi_bridge::http::default_hooks();
    let mut request = p3_core::http::Request::new(p3_core::http::FieldMap::new_mutable(1 << 16));
    request.set_authority(Some(addr.to_string())).unwrap();
    request
        .set_scheme(Some(Some(http::uri::Scheme::HTTP)))
        .unwrap();
    request.options = Some(wasi_bridge::http::RequestOptions {
        connect_timeout: Some(Duration::ZERO),
        first_byte_timeout: Some(Duration::ZERO),
        between_bytes_timeout: Some(Duration::ZERO),
    });
    let mut pending = p3_core::http::send(hooks, request).unwrap();
    std::future::poll_fn(|cx| pending.poll_ready(cx)).await;
    match pending.take().expect("a result once ready") {
        Ok((response, io)) => {
            assert_eq!(response.status(), 200);
            // Reading the body runs the zero between-bytes timer; an error is fine, a panic not.
            let _ = http_body_util::BodyExt::collect(response.into_body()).await;
            let _ = io.await;
            server.join().unwrap();
        }
        // (The peer thread, never connected to, ends with the test process.)
        Err(code) => eprintln!("zero timeouts: {code:?}"),
    }
}
