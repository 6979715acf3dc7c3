//! wasmtime 48.0.x's wasi:http advisories done by guests against wasi-bridge, differential
//! with wasmtime-wasi-http 48.0.8 (which has the fixes), and the wasi:http spec points where
//! wasi-bridge follows the spec rather than wasmtime 48. `docs/security.md` names each test;
//! the core-level tests of the same advisories are in `tests/all/security.rs`.

use super::*;

/// GHSA-w36r-2hch-9xp9 (wasmtime 48.0.6): a request whose URL is long before its query
/// crashed the host building the guest's request. Paths of 65 000 – 65 500 bytes (just under
/// the `http` crate's URI limit, so that scheme and authority put the whole URL over it) with
/// a query, to the `/info` mode that echoes the request: answered 200 by both hosts with the
/// path reaching the guest (p2: the same bytes as wasmtime-wasi-http 48.0.8;
/// p3 differs only by the scheme and authority wasi-bridge gives, docs/differences.md), and
/// the server goes on serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_url_before_the_query_is_answered_not_a_host_crash() {
    for guest in [P2, P3] {
        let s = servers_for(guest).await;
        for len in [65_000, 65_480, 65_500] {
            let path = format!("/info{}?q=1", "a".repeat(len));
            let (native, bridge) = both(&s, |a| get(a, &path)).await;
            for seen in [&native, &bridge] {
                assert!(
                    matches!(seen, Seen::Response { status: 200, .. }),
                    "{guest} {len}: {seen:.300?}"
                );
                // The guest echoes what fits its buffer: the path's start.
                assert!(body_of(seen).contains(&path[..4096]), "{guest} {len}");
            }
            if guest == P2 {
                assert!(native == bridge, "{guest} {len}");
            }
        }
        let (_, bridge) = both(&s, |a| get(a, "/hello")).await;
        assert_eq!(
            body_of(&bridge),
            "Hello, wasi:http/proxy world!\n",
            "{guest}"
        );
    }
}

/// GHSA-w36r-2hch-9xp9, outgoing: a guest sends a request whose path is 65 000 bytes long
/// before its query. The host builds the URI and sends it (or refuses it with an error code);
/// the answer is the same as wasmtime-wasi-http 48.0.8's, and the server serves on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_sending_a_long_url_before_the_query_gets_an_answer() {
    let up = upstream().await;
    for guest in [P2, P3] {
        let s = servers_for(guest).await;
        let path = format!("/proxy/{}/{}?q=1", up.port(), "a".repeat(65_000));
        let (native, bridge) = both(&s, |a| get(a, &path)).await;
        assert_eq!(native, bridge, "{guest}");
        assert_eq!(
            body_of(&bridge),
            "upstream: 200\npath bytes: 65005\ntrailers: none\n",
            "{guest}"
        );
        let (_, bridge) = both(&s, |a| get(a, "/hello")).await;
        assert_eq!(body_of(&bridge), "Hello, wasi:http/proxy world!\n");
    }
}

/// GHSA-w4qr-p94g-mjhv, by a guest: an outgoing request with every timeout (connect, first
/// byte, between bytes) zero panicked the host. Both hosts answer on both ABIs, and serve on.
/// Which answer is a race on both (a zero timeout elapses at the timer's next tick, by which
/// a loopback upstream may have answered): the upstream's, or a timeout error code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_sending_with_zero_timeouts_gets_an_answer() {
    let up = upstream().await;
    for guest in [P2, P3] {
        let s = servers_for(guest).await;
        let path = format!("/proxy/{}/ok?timeout-ms=0", up.port());
        for _ in 0..3 {
            let (native, bridge) = both(&s, |a| get(a, &path)).await;
            for seen in [native, bridge] {
                let body = body_of(&seen);
                assert!(
                    matches!(
                        body.as_str(),
                        "upstream: 200\nupstream\ntrailers: none\n"
                            | "error: connection-timeout\n"
                            | "error: connection-read-timeout\n"
                    ),
                    "{guest}: {seen:?}"
                );
            }
        }
        let (_, bridge) = both(&s, |a| get(a, "/hello")).await;
        assert_eq!(body_of(&bridge), "Hello, wasi:http/proxy world!\n");
    }
}

/// GHSA-r8xh-cgf7-392j, by a guest: every way a guest could give a message a second or a
/// malformed `content-length` (append, set with two values, set a value that is not one
/// decimal number, `from-list` with two) is refused with `invalid-syntax`, on both ABIs, as
/// wasmtime-wasi-http 48.0.8 refuses it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_cannot_give_a_message_two_content_lengths() {
    let expected = "append 5: ok\n\
                    append 6: invalid-syntax\n\
                    append 5 again: invalid-syntax\n\
                    set [5, 6]: invalid-syntax\n\
                    set \"+5\": invalid-syntax\n\
                    set \" 5\": invalid-syntax\n\
                    set \"5 \": invalid-syntax\n\
                    set \"0x5\": invalid-syntax\n\
                    set \"5,6\": invalid-syntax\n\
                    set \"\": invalid-syntax\n\
                    set \"-1\": invalid-syntax\n\
                    set \"18446744073709551616\": invalid-syntax\n\
                    from-list [5, 6]: invalid-syntax\n";
    for guest in [P2, P3] {
        let s = servers_for(guest).await;
        let (native, bridge) = both(&s, |a| get(a, "/content-length")).await;
        assert_eq!(native, bridge, "{guest}");
        assert_eq!(body_of(&bridge), expected, "{guest}");
    }
}

/// `path-with-query` as each ABI takes it, set by a guest on a new request.
/// GHSA-5qpp-g3j2-8frx end to end: an absolute form or an authority is refused on both ABIs
/// (as wasmtime 48.0.8 refuses it), and a guest sending one gets no request anywhere. The p3
/// spec point (WebAssembly/wasi-http#178): a relative reference is taken and reads back
/// unchanged, an empty one reads back as `/`, and one is sent resolved against `/`; wasmtime
/// 48 refuses relative references (docs/differences.md). p2 keeps wasmtime 48's rule, byte for
/// byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_with_query_are_taken_as_each_abi_takes_them() {
    // What the guest prints for its values in order (tests/guests/p3-http `/paths`), given how
    // the relative ones (`a/b/c`, `../..`) and the empty one read back.
    let lines = |a_b_c: &str, up_up: &str, empty: &str| {
        [
            format!("\"a/b/c\": {a_b_c}"),
            format!("\"../..\": {up_up}"),
            "\"?foo\": \"?foo\"".to_string(),
            format!("\"\": {empty}"),
            "\"/x?y\": \"/x?y\"".to_string(),
            "\"//evil.example/x\": \"//evil.example/x\"".to_string(),
            "\"http://evil.example/x\": refused".to_string(),
            "\"evil.example:80\": refused".to_string(),
            "\"*\": refused".to_string(),
        ]
        .map(|l| l + "\n")
        .concat()
    };
    let p2 = lines("refused", "refused", "\"\"");
    let p3 = lines("\"a/b/c\"", "\"../..\"", "\"/\"");
    let p3_native = lines("refused", "refused", "\"/\"");

    let s = servers_for(P2).await;
    let (native, bridge) = both(&s, |a| get(a, "/paths")).await;
    assert_eq!(native, bridge);
    assert_eq!(body_of(&bridge), p2);
    let s = servers_for(P3).await;
    let (native, bridge) = both(&s, |a| get(a, "/paths")).await;
    assert_eq!(body_of(&bridge), p3);
    assert_eq!(body_of(&native), p3_native);

    // Sent: a relative reference goes out resolved against `/` (p3); absolute forms are
    // refused before anything is sent (the port they name is closed, so a request that went
    // there would fail with `connection-refused` instead).
    let up = upstream().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = "error: path-with-query refused\n";
    for guest in [P2, P3] {
        let s = servers_for(guest).await;
        for target in [
            format!("http://127.0.0.1:{closed}/ok"),
            format!("127.0.0.1:{closed}"),
        ] {
            let path = format!("/proxy/{}/~{target}", up.port());
            let (native, bridge) = both(&s, |a| get(a, &path)).await;
            assert_eq!(native, bridge, "{guest} {path}");
            assert_eq!(body_of(&bridge), refused, "{guest} {path}");
        }
        let path = format!("/proxy/{}/~ok", up.port());
        let (native, bridge) = both(&s, |a| get(a, &path)).await;
        assert_eq!(body_of(&native), refused, "{guest}");
        let sent = if guest == P3 {
            "upstream: 200\nupstream\ntrailers: none\n"
        } else {
            refused
        };
        assert_eq!(body_of(&bridge), sent, "{guest}");
    }
}

/// GHSA-h4wp-g4x3-7398 (48.0.8): a p2 body not matching its `content-length` reached the
/// peer. On the wire hyper enforces the framing either way, so what this checks is what the
/// guest is told, which is where a host that does not hold the body to its length differs:
/// writing 5 bytes under `content-length: 3` fails (`write: failed`, and then `finish` too),
/// and finishing after 5 of 10 declared bytes fails with `HTTP-response-body-size` — the same
/// lines on the guest's stderr as under wasmtime-wasi-http 48.0.8.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_p2_body_not_matching_its_content_length_is_an_error_the_guest_sees() {
    let (native, bridge, s) = handler_servers(P2, None).await;
    let long = "write: failed\nfinish: HTTP-response-body-size\n";
    let short = "finish: HTTP-response-body-size\n";
    for (path, told) in [
        ("/length/long", long.to_string()),
        ("/length/short", format!("{long}{short}")),
    ] {
        let (_, _) = both(&s, |a| get(a, path)).await;
        // The guest finishes after the response head went out: wait for its lines.
        let mut lines = (String::new(), String::new());
        for _ in 0..100 {
            lines = (
                String::from_utf8_lossy(&native.state().stderr.contents()).into_owned(),
                String::from_utf8_lossy(&bridge.state().stderr.contents()).into_owned(),
            );
            if lines.0 == told && lines.1 == told {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(lines.0, told, "{path}: wasmtime-wasi-http");
        assert_eq!(lines.1, told, "{path}: wasi-bridge");
    }
}

/// The p3 guest's transmission results and stdout lines, waited for until both hosts printed
/// `want` lines.
async fn splice_lines(
    native: &native_http::native::State,
    bridge: &native_http::bridge::State,
    want: usize,
) -> (String, String) {
    let mut lines = (String::new(), String::new());
    for _ in 0..200 {
        let text = |b: bytes::Bytes| String::from_utf8_lossy(&b).into_owned();
        lines = (
            text(native.stdout.contents()),
            text(bridge.stdout.contents()),
        );
        let count = |s: &str| s.matches("splice: ").count();
        if count(&lines.0) >= want && count(&lines.1) >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    lines
}

/// GHSA-9prg-84vf-g5fc (48.0.7): a p3 guest handing the request's own body on as its
/// response's body, under a `content-length` of its choosing, got a message whose length and
/// body disagree. The spliced body is held to the declared length: more or fewer bytes end
/// it with `HTTP-response-body-size`, which the guest's transmission future reports, as under
/// wasmtime-wasi-http 48.0.8; the exact length goes out whole and reports `ok`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spliced_p3_body_is_held_to_the_declared_content_length() {
    let (native, bridge, s) = handler_servers(P3, None).await;
    let (n, b) = both(&s, |a| post(a, "/splice?length=5", b"12345".to_vec(), None)).await;
    assert_eq!(n, b);
    assert_eq!(body_of(&b), "12345");
    // Each request's transmission result is printed before the next request is sent (the
    // client may see a cut-off body before its guest sees the error: the lines would race).
    splice_lines(native.state(), bridge.state(), 1).await;
    for (length, done) in [(3, 2), (10, 3)] {
        let path = format!("/splice?length={length}");
        let (n, b) = both(&s, |a| post(a, &path, b"12345".to_vec(), None)).await;
        // Cut off on both (whether the head went out first is a race on both hosts).
        assert!(matches!(n, Seen::Failed { .. }), "{path}: {n:?}");
        assert!(matches!(b, Seen::Failed { .. }), "{path}: {b:?}");
        splice_lines(native.state(), bridge.state(), done).await;
    }
    let (native, bridge) = splice_lines(native.state(), bridge.state(), 3).await;
    let expected = "request: /splice?length=5\nsplice: ok\n\
                    request: /splice?length=3\nsplice: error HTTP-response-body-size\n\
                    request: /splice?length=10\nsplice: error HTTP-response-body-size\n";
    assert_eq!(native, expected, "wasmtime-wasi-http");
    assert_eq!(bridge, expected, "wasi-bridge");
}

/// GHSA-jxcf-8qw5-5c33 (48.0.7): the trailers of a body a p3 guest hands on were sent without
/// the host's forbidden-header check. A client's request trailers `x-ok` and
/// `proxy-authorization` (forbidden by default), spliced into the response, which declares
/// both: only `x-ok` arrives, as under wasmtime-wasi-http 48.0.8.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_p3_trailers_are_checked_against_the_forbidden_headers() {
    let (_native, _bridge, s) = handler_servers(P3, None).await;
    let (native, bridge) = both(&s, |a| {
        let mut trailers = http::HeaderMap::new();
        trailers.insert("x-ok", "1".parse().unwrap());
        trailers.insert("proxy-authorization", "secret".parse().unwrap());
        let path = "/splice?trailer=x-ok,proxy-authorization";
        let mut r = post(a, path, b"abc".to_vec(), Some(trailers));
        r.headers_mut().insert("te", "trailers".parse().unwrap());
        r
    })
    .await;
    assert_eq!(native, bridge);
    match &bridge {
        Seen::Response { body, trailers, .. } => {
            assert_eq!(body, b"abc");
            assert_eq!(trailers, &[("x-ok".to_string(), "1".to_string())]);
        }
        other => panic!("{other:?}"),
    }
}

/// GHSA-q554-3cjc-rx7p (48.0.6): component handle tables were capped only per instance, so a
/// guest could make the host hold handles without bound. A guest creating `fields` resources
/// through wasi-bridge's bindings and keeping them: 1 000 are served; 200 000 meet the
/// store-wide limit (100 000 live handles, wasmtime 48.0.8's default) and trap, answered 500
/// by both hosts, on both ABIs, and the server serves on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handles_a_guest_keeps_are_capped_per_store() {
    for guest in [P2, P3] {
        let s = servers_for(guest).await;
        let (native, bridge) = both(&s, |a| get(a, "/handles/1000")).await;
        assert_eq!(native, bridge, "{guest}");
        assert_eq!(body_of(&bridge), "handles 1000\n", "{guest}");
        let (native, bridge) = both(&s, |a| get(a, "/handles/200000")).await;
        assert_eq!(native, bridge, "{guest}");
        assert!(
            matches!(bridge, Seen::Response { status: 500, .. }),
            "{guest}: {bridge:?}"
        );
        let (_, bridge) = both(&s, |a| get(a, "/hello")).await;
        assert_eq!(body_of(&bridge), "Hello, wasi:http/proxy world!\n");
    }
}

/// GHSA-93g3-36p8-x2gc (48.0.6), on the response body stream: a p3 guest's zero-length write
/// from a pointer past the end of its memory completes with nothing written, as under
/// wasmtime-wasi-http 48.0.8, and the server serves on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zero_length_body_write_past_memory_is_answered() {
    let s = servers_for(P3).await;
    let (native, bridge) = both(&s, |a| get(a, "/oob-zero")).await;
    assert_eq!(native, bridge);
    assert_eq!(body_of(&bridge), "oob zero-length write: 0\n");
    let (_, bridge) = both(&s, |a| get(a, "/hello")).await;
    assert_eq!(body_of(&bridge), "Hello, wasi:http/proxy world!\n");
}
