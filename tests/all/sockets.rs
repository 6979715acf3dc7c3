//! wasi:sockets on both ABIs against loopback peers: every p2 fixture gives the same output
//! under wasmtime-wasi's native p2 and under the adapter.

use crate::common;

use crate::common::peers::{TcpEcho, UdpEcho, clients, closed_port, free_port};
use crate::common::{Case, Exit, Net, Outcome, RunDir, differential_p2, differential_p3};

const P2: &str = "p2-sockets.wasm";
const P3: &str = "p3-sockets.wasm";

fn lines(out: &Outcome, expected: &[&str]) {
    let s = out.stdout_str();
    for l in expected {
        assert!(s.lines().any(|x| x == *l), "stdout lacks {l:?}:\n{s}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn p2_tcp_echo_client() {
    let peer = TcpEcho::start();
    let out = differential_p2(P2, Case::new(&["g", "echo", &peer.addr]).net(Net::all())).await;
    assert_eq!(out.exit, Exit::Code(0));
    lines(
        &out,
        &[
            "connect: ok",
            "remote port is the peer's: yes",
            "local port assigned: yes",
            "is-listening: no",
            "echo: hello, echo",
            "300000 bytes echoed intact: yes",
            "shutdown send: ok",
            "write after shutdown is closed: yes",
            "read reaches EOF: yes",
        ],
    );
}

/// A guest TCP server against 8 concurrent peer threads, under the oracle and under
/// wasi-bridge (each run on its own port; the output does not name it).
async fn server_against_concurrent_peers(name: &str, p3: bool) {
    let mut outs = Vec::new();
    for native in [true, false] {
        let port = free_port();
        let case = Case::new(&["g", "serve", &port.to_string(), "8"]).net(Net::all());
        let peers = clients(port, 8, 20_000);
        let dir = RunDir::new(&case);
        let out = match (native, p3) {
            (true, false) => common::native_p2(name, &case, &dir).await,
            (false, false) => common::bridge_p2(name, &case, &dir).await,
            (true, true) => common::native_p3(name, &case, &dir).await,
            (false, true) => common::bridge_p3(name, &case, &dir).await,
        };
        assert_eq!(peers.join().unwrap(), 8, "{}", out.stdout_str());
        outs.push(out);
    }
    common::assert_same(&outs[0], &outs[1]);
    lines(
        &outs[1],
        &["listening: yes", "served 8 connections, 160000 bytes"],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn p2_tcp_server_against_concurrent_peers() {
    server_against_concurrent_peers(P2, false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn p3_tcp_server_against_concurrent_peers() {
    server_against_concurrent_peers(P3, true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn p2_many_connections_from_one_poll() {
    let out = differential_p2(P2, Case::new(&["g", "self", "40"]).net(Net::all())).await;
    assert_eq!(out.exit, Exit::Code(0));
    lines(
        &out,
        &[
            "accepted 40, connected 40",
            "echoes matching their client: 40/40",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn p2_udp_connected_and_unconnected() {
    let peer = UdpEcho::start();
    let out = differential_p2(P2, Case::new(&["g", "udp", &peer.addr]).net(Net::all())).await;
    assert_eq!(out.exit, Exit::Code(0));
    lines(
        &out,
        &[
            "bound to a port: yes",
            "remote-address unconnected: invalid-state",
            "remote is the peer: yes",
            "connected echo 1 -> 1 in 1",
            "connected echo 100 -> 100 in 1",
            "connected echo 1400 -> 1400 in 1",
            "send to another address while connected: invalid-argument",
            "send 65536 bytes: datagram-too-large",
            "remote-address after disconnect: invalid-state",
            "send without address unconnected: invalid-argument",
            "unconnected echo 20 -> 20",
            "unconnected echo 21 -> 21",
            "from the peer: yes",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn p2_name_lookup() {
    let out = differential_p2(P2, Case::new(&["g", "lookup"]).net(Net::all())).await;
    assert_eq!(out.exit, Exit::Code(0));
    lines(
        &out,
        &[
            "resolve 127.0.0.1: 127.0.0.1",
            "resolve ::1: ::1",
            "resolve [::1]: ::1",
            "resolve a b: invalid-argument",
            "resolve : invalid-argument",
            "localhost resolves to 127.x: yes",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn p2_every_option() {
    let out = differential_p2(P2, Case::new(&["g", "options"]).net(Net::all())).await;
    assert_eq!(out.exit, Exit::Code(0));
    lines(
        &out,
        &[
            "local-address unbound: invalid-state",
            "remote-address unconnected: invalid-state",
            "keep-alive-enabled = 1",
            "keep-alive-idle-time = 1000000000",
            "keep-alive-idle-time = 10000000000",
            "keep-alive-interval = 5000000000",
            "keep-alive-count = 127",
            "set hop-limit 0: invalid-argument",
            "hop-limit = 42",
            "receive-buffer-size = 65536",
            "set listen-backlog-size 0: invalid-argument",
            "set listen-backlog-size while listening: ok",
            "unicast-hop-limit = 7",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn p2_bad_input_gets_error_codes() {
    let closed = closed_port();
    let out = differential_p2(P2, Case::new(&["g", "errors", &closed]).net(Net::all())).await;
    assert_eq!(out.exit, Exit::Code(0));
    lines(
        &out,
        &[
            "finish-bind without start: not-in-progress",
            "listen unbound: invalid-state",
            "bind ipv6 address on ipv4 socket: invalid-argument",
            "bind multicast: invalid-argument",
            "bind again: invalid-state",
            "bind a listening port: address-in-use",
            "shutdown unconnected: invalid-state",
            "accept not listening: invalid-state",
            "finish-connect without start: not-in-progress",
            "connect 0.0.0.0: invalid-argument",
            "connect port 0: invalid-argument",
            "connect ipv6 on ipv4 socket: invalid-argument",
            "start-bind while connecting: concurrency-conflict",
            "start-connect while connecting: concurrency-conflict",
            "connect to a closed port: connection-refused",
            "connect while connected: invalid-state",
            "check-write after shutdown is closed: yes",
            "write after shutdown is closed: yes",
            "read after shutdown is closed: yes",
            "peer reads EOF: yes",
            "udp stream unbound: invalid-state",
            "udp bind again: invalid-state",
            "udp stream to 0.0.0.0: invalid-argument",
            "udp send 70000 bytes: datagram-too-large",
            "udp send to port 0: invalid-argument",
            "receive 0: 0",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn p2_policy_denials() {
    // Protocols allowed, no address allowed; name lookup not allowed.
    let net = Net {
        tcp: true,
        udp: true,
        lookup: false,
        inherit: false,
        loopback_check: false,
    };
    let out = differential_p2(P2, Case::new(&["g", "denied"]).net(net)).await;
    lines(
        &out,
        &[
            "create tcp: ok",
            "tcp bind: access-denied",
            "tcp connect: access-denied",
            "create udp: ok",
            "udp bind: access-denied",
            "resolve localhost: permanent-resolver-failure",
        ],
    );
    // Nothing allowed at all.
    let out = differential_p2(P2, Case::new(&["g", "denied"])).await;
    lines(
        &out,
        &["create tcp: access-denied", "create udp: access-denied"],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn p2_permit_overruns_trap_like_native() {
    for mode in ["write-overrun", "send-overrun"] {
        let out = differential_p2(P2, Case::new(&["g", mode]).net(Net::all())).await;
        assert!(out.trapped(), "{mode}: {}", out.stdout_str());
        assert!(!out.stdout_str().contains("was accepted"));
    }
}

/// `stream()` again on one socket (connected, then unconnected). wasmtime-wasi 48 traps here
/// ("`connect` needs exclusive access") when its dropped incoming stream's background receive
/// still holds the socket, so this runs on wasi-bridge alone.
#[tokio::test(flavor = "multi_thread")]
async fn p2_udp_restream_one_socket() {
    let peer = UdpEcho::start();
    let case = Case::new(&["g", "udp-restream", &peer.addr]).net(Net::all());
    let out = common::bridge_p2(P2, &case, &RunDir::new(&case)).await;
    assert_eq!(out.exit, Exit::Code(0), "{}", out.stdout_str());
    lines(
        &out,
        &[
            "connected echo 1400 -> 1400 in 1",
            "remote-address after disconnect: invalid-state",
            "unconnected echo 21 -> 21",
            "from the peer: yes",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn p3_tcp_echo_client() {
    let peer = TcpEcho::start();
    let out = differential_p3(P3, Case::new(&["g", "echo", &peer.addr]).net(Net::all())).await;
    assert_eq!(out.exit, Exit::Code(0));
    lines(
        &out,
        &[
            "connect: ok",
            "remote port is the peer's: yes",
            "local port assigned: yes",
            "is-listening: no",
            "second send: invalid-state",
            "echo: hello, echo",
            "300000 bytes echoed intact: yes",
            "send result: ok",
            "receive reaches EOF: yes",
            "receive result: ok",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn p3_listen_stream_and_concurrent_connects() {
    let out = differential_p3(P3, Case::new(&["g", "self", "40"]).net(Net::all())).await;
    assert_eq!(out.exit, Exit::Code(0));
    lines(
        &out,
        &[
            "listening: yes",
            "connected 40, accepted 40",
            "echoes matching their client: 40/40",
        ],
    );
}

/// `listen`'s stream hands over as many pending connections as the guest has room for
/// (wasmtime-wasi 48 hands over one per read).
#[tokio::test(flavor = "multi_thread")]
async fn p3_listen_delivers_pending_accepts_in_batches() {
    let case = Case::new(&["g", "self", "40", "batches"]).net(Net::all());
    let out = common::bridge_p3(P3, &case, &RunDir::new(&case)).await;
    assert_eq!(out.exit, Exit::Code(0));
    let s = out.stdout_str();
    let reads: u32 = s
        .lines()
        .find_map(|l| l.strip_prefix("accept reads: "))
        .expect("accept reads line")
        .parse()
        .unwrap();
    assert!(
        reads < 40,
        "40 pending connections took {reads} reads:\n{s}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn p3_udp_connected_and_unconnected() {
    let peer = UdpEcho::start();
    let out = differential_p3(P3, Case::new(&["g", "udp", &peer.addr]).net(Net::all())).await;
    assert_eq!(out.exit, Exit::Code(0));
    lines(
        &out,
        &[
            "receive unbound: invalid-state",
            "bound to a port: yes",
            "remote-address unconnected: invalid-state",
            "remote is the peer: yes",
            "connected echo 1 -> 1",
            "connected echo 1400 -> 1400",
            "send to another address while connected: invalid-argument",
            "send 65536 bytes: datagram-too-large",
            "disconnect: ok",
            "disconnect again: invalid-state",
            "send without address unconnected: invalid-argument",
            "unconnected echo 21 -> 21",
            "from the peer: yes",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn p3_lookup_options_errors() {
    let out = differential_p3(P3, Case::new(&["g", "lookup"]).net(Net::all())).await;
    lines(
        &out,
        &[
            "resolve 127.0.0.1: 127.0.0.1",
            "resolve ::1: ::1",
            "resolve a b: invalid-argument",
            "resolve localhost: 127.x",
        ],
    );
    let out = differential_p3(P3, Case::new(&["g", "options"]).net(Net::all())).await;
    lines(
        &out,
        &[
            "keep-alive-enabled = 1",
            "keep-alive-idle-time = 10000000000",
            "keep-alive-count = 9",
            "set hop-limit 0: invalid-argument",
            "hop-limit = 42",
            "receive-buffer-size = 65536",
            "listen unbound: ok",
            "bound by listen: yes",
            "unicast-hop-limit = 7",
            "set send-buffer-size 0: invalid-argument",
        ],
    );
    let closed = closed_port();
    let out = differential_p3(P3, Case::new(&["g", "errors", &closed]).net(Net::all())).await;
    assert_eq!(out.exit, Exit::Code(0));
    lines(
        &out,
        &[
            "bind ipv6 address on ipv4 socket: invalid-argument",
            "bind again: invalid-state",
            "listen again: invalid-state",
            "bind a listening port: address-in-use",
            "send unconnected: invalid-state",
            "receive unconnected: invalid-state",
            "connect 0.0.0.0: invalid-argument",
            "connect to a closed port: connection-refused",
            "connect while connected: invalid-state",
            "udp send 70000 bytes: datagram-too-large",
            "udp send to port 0: invalid-argument",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn p3_policy_denials() {
    let net = Net {
        tcp: true,
        udp: true,
        lookup: false,
        inherit: false,
        loopback_check: false,
    };
    let out = differential_p3(P3, Case::new(&["g", "denied"]).net(net)).await;
    lines(
        &out,
        &[
            "tcp bind: access-denied",
            "tcp listen: access-denied",
            "tcp connect: access-denied",
            "udp bind: access-denied",
            "udp send: access-denied",
        ],
    );
    let out = differential_p3(P3, Case::new(&["g", "denied"])).await;
    lines(
        &out,
        &["create tcp: access-denied", "create udp: access-denied"],
    );
}

/// A host-provided asynchronous socket-address check (loopback only) on both ABIs: allowed
/// traffic flows (connect, accept, UDP send/receive), a non-loopback address is refused.
#[tokio::test(flavor = "multi_thread")]
async fn custom_async_address_check() {
    let net = Net {
        tcp: true,
        udp: true,
        lookup: true,
        inherit: false,
        loopback_check: true,
    };
    let tcp = TcpEcho::start();
    let udp = UdpEcho::start();
    let out = differential_p2(P2, Case::new(&["g", "self", "8"]).net(net)).await;
    lines(&out, &["echoes matching their client: 8/8"]);
    let out = differential_p2(P2, Case::new(&["g", "echo", &tcp.addr]).net(net)).await;
    lines(&out, &["300000 bytes echoed intact: yes"]);
    let out = differential_p2(P2, Case::new(&["g", "udp", &udp.addr]).net(net)).await;
    lines(&out, &["unconnected echo 21 -> 21"]);
    let out = differential_p3(P3, Case::new(&["g", "self", "8"]).net(net)).await;
    lines(&out, &["echoes matching their client: 8/8"]);
    let out = differential_p3(P3, Case::new(&["g", "udp", &udp.addr]).net(net)).await;
    lines(&out, &["unconnected echo 21 -> 21"]);
    // 192.0.2.1 (TEST-NET-1) is not loopback: refused before any packet leaves.
    let out = differential_p2(P2, Case::new(&["g", "echo", "192.0.2.1:9"]).net(net)).await;
    lines(&out, &["connect: access-denied"]);
    let out = differential_p3(P3, Case::new(&["g", "echo", "192.0.2.1:9"]).net(net)).await;
    lines(&out, &["connect: access-denied"]);
}
