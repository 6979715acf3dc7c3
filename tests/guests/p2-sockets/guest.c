// A WASIp2 guest calling wasi:sockets@0.2.12 directly (wit-bindgen c). argv[1] picks:
//
//   echo IP:PORT        TCP client against an echo peer: small and 300 KB messages, half-close
//   serve PORT N        TCP server on 127.0.0.1:PORT: accepts N peers, echoes them all from one
//                       poll until each closes
//   self N              listener + N clients in this guest, every step one poll over all of them
//   udp IP:PORT         UDP against an echo peer: connected and unconnected streams
//   udp-restream IP:PORT  the same, re-streaming one socket (connected, then unconnected)
//   lookup              ip-name-lookup of localhost and literals
//   options             every TCP and UDP option getter/setter
//   errors IP:PORT      bad input (IP:PORT has no listener): codes, never a trap
//   denied              run under a policy that refuses addresses (and maybe protocols)
//   write-overrun       TCP write over the permit (traps)
//   send-overrun        UDP send over check-send's permit (traps)
//   bench-echo IP:PORT MIB   stream MIB MiB to an echo peer and read it back
//   fault-send IP:PORT MIB   write MIB MiB of a pattern (check-write, write, blocking-flush),
//                       then read to the end (a peer that resets or stops reading for a while):
//                       how each ended, not byte counts unless all went through
//   bench-small IP:PORT N    N round trips of 4 bytes, read with 64 KiB requests
//   bench-udp IP:PORT N      N datagrams of 64 bytes, echoed
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"

typedef wasi_sockets_network_ip_socket_address_t addr_t;
typedef wasi_sockets_network_error_code_t ec_t;
typedef wasi_sockets_tcp_own_tcp_socket_t otcp;
typedef wasi_sockets_tcp_borrow_tcp_socket_t btcp;
typedef wasi_sockets_udp_own_udp_socket_t oudp;
typedef wasi_sockets_udp_borrow_udp_socket_t budp;
typedef wasi_io_streams_own_input_stream_t oin;
typedef wasi_io_streams_own_output_stream_t oout;
typedef wasi_io_streams_borrow_input_stream_t bin;
typedef wasi_io_streams_borrow_output_stream_t bout;
typedef wasi_io_poll_own_pollable_t opoll;

static oout out;
static wasi_sockets_network_own_network_t net_own;
static wasi_sockets_network_borrow_network_t net;

static void say_n(const uint8_t *p, size_t n) {
    while (n > 0) {
        size_t k = n > 4096 ? 4096 : n;
        guest_list_u8_t l = { (uint8_t *)p, k };
        wasi_io_streams_stream_error_t e;
        if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(
                wasi_io_streams_borrow_output_stream(out), &l, &e)) return;
        p += k; n -= k;
    }
}
static void say(const char *s) { say_n((const uint8_t *)s, strlen(s)); }
static void say_u(unsigned long long v) {
    char t[24]; int i = 23; t[i] = 0;
    do { t[--i] = '0' + v % 10; v /= 10; } while (v);
    say(t + i);
}
static const char *NAMES[] = {
    "unknown", "access-denied", "not-supported", "invalid-argument", "out-of-memory", "timeout",
    "concurrency-conflict", "not-in-progress", "would-block", "invalid-state", "new-socket-limit",
    "address-not-bindable", "address-in-use", "remote-unreachable", "connection-refused",
    "connection-reset", "connection-aborted", "datagram-too-large", "name-unresolvable",
    "temporary-resolver-failure", "permanent-resolver-failure",
};
static void code(const char *what, ec_t e) { say(what); say(": "); say(e < 21 ? NAMES[e] : "?"); say("\n"); }
static void ok(const char *what) { say(what); say(": ok\n"); }
static void yn(const char *what, int v) { say(what); say(v ? ": yes\n" : ": no\n"); }

static const char *parse_u(const char *s, unsigned *v) {
    if (*s < '0' || *s > '9') return 0;
    *v = 0; while (*s >= '0' && *s <= '9') *v = *v * 10 + (*s++ - '0');
    return s;
}
static addr_t v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
    addr_t r; r.tag = WASI_SOCKETS_NETWORK_IP_SOCKET_ADDRESS_IPV4;
    r.val.ipv4.port = port;
    r.val.ipv4.address.f0 = a; r.val.ipv4.address.f1 = b; r.val.ipv4.address.f2 = c; r.val.ipv4.address.f3 = d;
    return r;
}
static addr_t v6(uint16_t last, uint16_t port) {
    addr_t r; memset(&r, 0, sizeof r); r.tag = WASI_SOCKETS_NETWORK_IP_SOCKET_ADDRESS_IPV6;
    r.val.ipv6.port = port; r.val.ipv6.address.f7 = last;
    return r;
}
static int parse_addr(const char *s, addr_t *a) {
    unsigned o[4], port;
    for (int i = 0; i < 4; i++) if (!(s = parse_u(s, &o[i])) || *s++ != (i < 3 ? '.' : ':')) return 0;
    if (!(s = parse_u(s, &port)) || *s) return 0;
    *a = v4(o[0], o[1], o[2], o[3], port);
    return 1;
}
static uint16_t port_of(addr_t a) { return a.tag == WASI_SOCKETS_NETWORK_IP_SOCKET_ADDRESS_IPV4 ? a.val.ipv4.port : a.val.ipv6.port; }

static void wait(opoll p) {
    wasi_io_poll_borrow_pollable_t b = wasi_io_poll_borrow_pollable(p);
    wasi_io_poll_list_borrow_pollable_t in = { &b, 1 };
    guest_list_u32_t ready;
    wasi_io_poll_poll(&in, &ready);
    guest_list_u32_free(&ready);
    wasi_io_poll_pollable_drop_own(p);
}

static int tcp_new(int ipv6, otcp *s) {
    ec_t e;
    if (!wasi_sockets_tcp_create_socket_create_tcp_socket(ipv6 ? WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV6 : WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV4, s, &e)) {
        code("create-tcp-socket", e); return 0;
    }
    return 1;
}
// -1 on success, else the error code.
static int tcp_bind(btcp s, addr_t a) {
    ec_t e;
    if (!wasi_sockets_tcp_method_tcp_socket_start_bind(s, net, &a, &e)) return e;
    if (!wasi_sockets_tcp_method_tcp_socket_finish_bind(s, &e)) return e;
    return -1;
}
static int tcp_listen(btcp s) {
    ec_t e;
    if (!wasi_sockets_tcp_method_tcp_socket_start_listen(s, &e)) return e;
    if (!wasi_sockets_tcp_method_tcp_socket_finish_listen(s, &e)) return e;
    return -1;
}
static int tcp_connect(btcp s, addr_t a, oin *rx, oout *tx) {
    ec_t e;
    if (!wasi_sockets_tcp_method_tcp_socket_start_connect(s, net, &a, &e)) return e;
    wasi_sockets_tcp_tuple2_own_input_stream_own_output_stream_t io;
    while (!wasi_sockets_tcp_method_tcp_socket_finish_connect(s, &io, &e)) {
        if (e != WASI_SOCKETS_NETWORK_ERROR_CODE_WOULD_BLOCK) return e;
        wait(wasi_sockets_tcp_method_tcp_socket_subscribe(s));
    }
    *rx = io.f0; *tx = io.f1;
    return -1;
}
static int tcp_accept(btcp s, otcp *c, oin *rx, oout *tx) {
    ec_t e;
    wasi_sockets_tcp_tuple3_own_tcp_socket_own_input_stream_own_output_stream_t r;
    while (!wasi_sockets_tcp_method_tcp_socket_accept(s, &r, &e)) {
        if (e != WASI_SOCKETS_NETWORK_ERROR_CODE_WOULD_BLOCK) return e;
        wait(wasi_sockets_tcp_method_tcp_socket_subscribe(s));
    }
    *c = r.f0; *rx = r.f1; *tx = r.f2;
    return -1;
}
static addr_t tcp_local(btcp s) {
    addr_t a; ec_t e;
    if (!wasi_sockets_tcp_method_tcp_socket_local_address(s, &a, &e)) { code("local-address", e); memset(&a, 0, sizeof a); }
    return a;
}
// Writes everything through check-write/write/flush, waiting on the stream's pollable.
static int write_all(bout tx, const uint8_t *p, size_t n) {
    wasi_io_streams_stream_error_t se;
    while (n) {
        uint64_t permit;
        if (!wasi_io_streams_method_output_stream_check_write(tx, &permit, &se)) return 0;
        if (permit == 0) { wait(wasi_io_streams_method_output_stream_subscribe(tx)); continue; }
        size_t k = n < permit ? n : (size_t)permit;
        guest_list_u8_t l = { (uint8_t *)p, k };
        if (!wasi_io_streams_method_output_stream_write(tx, &l, &se)) return 0;
        p += k; n -= k;
    }
    return wasi_io_streams_method_output_stream_blocking_flush(tx, &se);
}
// Reads exactly n bytes (or to EOF); returns how many arrived and sums them into *sum.
static size_t read_n(bin rx, size_t n, uint64_t *sum, uint8_t *copy) {
    size_t got = 0;
    wasi_io_streams_stream_error_t se;
    while (got < n) {
        guest_list_u8_t chunk;
        if (!wasi_io_streams_method_input_stream_read(rx, n - got, &chunk, &se)) break;
        if (chunk.len == 0) { wait(wasi_io_streams_method_input_stream_subscribe(rx)); continue; }
        for (size_t i = 0; i < chunk.len; i++) { *sum += chunk.ptr[i]; if (copy) copy[got + i] = chunk.ptr[i]; }
        got += chunk.len;
        guest_list_u8_free(&chunk);
    }
    return got;
}

static void echo(const char *a_s) {
    addr_t a;
    if (!parse_addr(a_s, &a)) { say("bad address\n"); return; }
    otcp s; if (!tcp_new(0, &s)) return;
    btcp bs = wasi_sockets_tcp_borrow_tcp_socket(s);
    oin rx; oout tx; int r;
    if ((r = tcp_connect(bs, a, &rx, &tx)) >= 0) { code("connect", r); return; }
    ok("connect");
    addr_t remote; ec_t e;
    if (wasi_sockets_tcp_method_tcp_socket_remote_address(bs, &remote, &e)) yn("remote port is the peer's", port_of(remote) == port_of(a));
    yn("local port assigned", port_of(tcp_local(bs)) != 0);
    yn("is-listening", wasi_sockets_tcp_method_tcp_socket_is_listening(bs));
    bin brx = wasi_io_streams_borrow_input_stream(rx);
    bout btx = wasi_io_streams_borrow_output_stream(tx);
    static uint8_t big[300000], back[300000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 7 + 3);
    const char *hello = "hello, echo";
    uint64_t sum = 0;
    write_all(btx, (const uint8_t *)hello, strlen(hello));
    size_t got = read_n(brx, strlen(hello), &sum, back);
    say("echo: "); say_n(back, got); say("\n");
    // 300 KB is more than one permit and more than the socket buffers: it needs the peer to
    // read while we write, so read back interleaved.
    size_t sent = 0, recvd = 0;
    wasi_io_streams_stream_error_t se;
    while (recvd < sizeof big) {
        if (sent < sizeof big) {
            uint64_t permit = 0;
            wasi_io_streams_method_output_stream_check_write(btx, &permit, &se);
            if (permit) {
                size_t k = sizeof big - sent < permit ? sizeof big - sent : (size_t)permit;
                guest_list_u8_t l = { big + sent, k };
                if (!wasi_io_streams_method_output_stream_write(btx, &l, &se)) { say("write failed\n"); return; }
                sent += k;
                continue;
            }
        }
        guest_list_u8_t chunk;
        if (!wasi_io_streams_method_input_stream_read(brx, 65536, &chunk, &se)) { say("read failed\n"); return; }
        if (chunk.len) { memcpy(back + recvd, chunk.ptr, chunk.len); recvd += chunk.len; guest_list_u8_free(&chunk); continue; }
        opoll ps[2] = { wasi_io_streams_method_input_stream_subscribe(brx), wasi_io_streams_method_output_stream_subscribe(btx) };
        wasi_io_poll_borrow_pollable_t b[2] = { wasi_io_poll_borrow_pollable(ps[0]), wasi_io_poll_borrow_pollable(ps[1]) };
        wasi_io_poll_list_borrow_pollable_t in = { b, sent < sizeof big ? 2 : 1 };
        guest_list_u32_t ready; wasi_io_poll_poll(&in, &ready); guest_list_u32_free(&ready);
        wasi_io_poll_pollable_drop_own(ps[0]); wasi_io_poll_pollable_drop_own(ps[1]);
    }
    yn("300000 bytes echoed intact", memcmp(big, back, sizeof big) == 0);
    // Half-close: the peer sees EOF, echoes nothing more and closes; we read EOF.
    if (!wasi_sockets_tcp_method_tcp_socket_shutdown(bs, WASI_SOCKETS_TCP_SHUTDOWN_TYPE_SEND, &e)) code("shutdown", e); else ok("shutdown send");
    uint64_t permit;
    yn("write after shutdown is closed", !wasi_io_streams_method_output_stream_check_write(btx, &permit, &se) && se.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED);
    for (;;) {
        guest_list_u8_t chunk;
        if (!wasi_io_streams_method_input_stream_read(brx, 100, &chunk, &se)) { yn("read reaches EOF", se.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED); break; }
        if (chunk.len) { say("unexpected bytes after EOF\n"); guest_list_u8_free(&chunk); break; }
        wait(wasi_io_streams_method_input_stream_subscribe(brx));
    }
    wasi_io_streams_input_stream_drop_own(rx);
    wasi_io_streams_output_stream_drop_own(tx);
    wasi_sockets_tcp_tcp_socket_drop_own(s);
}

#define MAXC 64
static void serve(unsigned port, unsigned n) {
    if (n > MAXC) n = MAXC;
    otcp l; if (!tcp_new(0, &l)) return;
    btcp bl = wasi_sockets_tcp_borrow_tcp_socket(l);
    int r;
    if ((r = tcp_bind(bl, v4(127, 0, 0, 1, port))) >= 0) { code("bind", r); return; }
    if ((r = tcp_listen(bl)) >= 0) { code("listen", r); return; }
    yn("listening", wasi_sockets_tcp_method_tcp_socket_is_listening(bl));
    otcp c[MAXC]; oin rx[MAXC]; oout tx[MAXC]; int open[MAXC];
    unsigned accepted = 0, alive = 0; uint64_t bytes = 0;
    wasi_io_streams_stream_error_t se;
    while (accepted < n || alive) {
        // One poll over the listener and every open connection.
        opoll ps[MAXC + 1]; wasi_io_poll_borrow_pollable_t b[MAXC + 1]; unsigned idx[MAXC + 1]; size_t k = 0;
        if (accepted < n) { ps[k] = wasi_sockets_tcp_method_tcp_socket_subscribe(bl); idx[k] = MAXC; k++; }
        for (unsigned i = 0; i < accepted; i++) if (open[i]) { ps[k] = wasi_io_streams_method_input_stream_subscribe(wasi_io_streams_borrow_input_stream(rx[i])); idx[k] = i; k++; }
        for (size_t i = 0; i < k; i++) b[i] = wasi_io_poll_borrow_pollable(ps[i]);
        wasi_io_poll_list_borrow_pollable_t in = { b, k };
        guest_list_u32_t ready; wasi_io_poll_poll(&in, &ready);
        for (size_t j = 0; j < ready.len; j++) {
            unsigned i = idx[ready.ptr[j]];
            if (i == MAXC) {
                if (tcp_accept(bl, &c[accepted], &rx[accepted], &tx[accepted]) < 0) { open[accepted] = 1; accepted++; alive++; }
                continue;
            }
            guest_list_u8_t chunk;
            if (!wasi_io_streams_method_input_stream_read(wasi_io_streams_borrow_input_stream(rx[i]), 65536, &chunk, &se)) {
                open[i] = 2; // closed: dropped once this round's pollables are gone
                continue;
            }
            bytes += chunk.len;
            write_all(wasi_io_streams_borrow_output_stream(tx[i]), chunk.ptr, chunk.len);
            guest_list_u8_free(&chunk);
        }
        guest_list_u32_free(&ready);
        for (size_t i = 0; i < k; i++) wasi_io_poll_pollable_drop_own(ps[i]);
        for (unsigned i = 0; i < accepted; i++) if (open[i] == 2) {
            open[i] = 0; alive--;
            wasi_io_streams_input_stream_drop_own(rx[i]);
            wasi_io_streams_output_stream_drop_own(tx[i]);
            wasi_sockets_tcp_tcp_socket_drop_own(c[i]);
        }
    }
    say("served "); say_u(accepted); say(" connections, "); say_u(bytes); say(" bytes\n");
    wasi_sockets_tcp_tcp_socket_drop_own(l);
}

static void self_test(unsigned n) {
    if (n > MAXC) n = MAXC;
    otcp l; if (!tcp_new(0, &l)) return;
    btcp bl = wasi_sockets_tcp_borrow_tcp_socket(l);
    int r;
    if ((r = tcp_bind(bl, v4(127, 0, 0, 1, 0))) >= 0) { code("bind", r); return; }
    wasi_sockets_tcp_method_tcp_socket_set_listen_backlog_size(bl, n, &(ec_t){0});
    if ((r = tcp_listen(bl)) >= 0) { code("listen", r); return; }
    addr_t la = tcp_local(bl);
    otcp cs[MAXC], ss[MAXC]; oin crx[MAXC], srx[MAXC]; oout ctx_[MAXC], stx[MAXC];
    int connected[MAXC] = {0};
    ec_t e;
    for (unsigned i = 0; i < n; i++) {
        if (!tcp_new(0, &cs[i])) return;
        if (!wasi_sockets_tcp_method_tcp_socket_start_connect(wasi_sockets_tcp_borrow_tcp_socket(cs[i]), net, &la, &e)) { code("start-connect", e); return; }
    }
    // Accept every connection and finish every connect from one poll loop.
    unsigned accepted = 0, done = 0, polls = 0;
    while (accepted < n || done < n) {
        opoll ps[MAXC + 1]; wasi_io_poll_borrow_pollable_t b[MAXC + 1]; size_t k = 0;
        if (accepted < n) ps[k++] = wasi_sockets_tcp_method_tcp_socket_subscribe(bl);
        for (unsigned i = 0; i < n; i++) if (!connected[i]) ps[k++] = wasi_sockets_tcp_method_tcp_socket_subscribe(wasi_sockets_tcp_borrow_tcp_socket(cs[i]));
        for (size_t i = 0; i < k; i++) b[i] = wasi_io_poll_borrow_pollable(ps[i]);
        wasi_io_poll_list_borrow_pollable_t in = { b, k };
        guest_list_u32_t ready; wasi_io_poll_poll(&in, &ready); guest_list_u32_free(&ready); polls++;
        for (size_t i = 0; i < k; i++) wasi_io_poll_pollable_drop_own(ps[i]);
        wasi_sockets_tcp_tuple3_own_tcp_socket_own_input_stream_own_output_stream_t acc;
        while (accepted < n && wasi_sockets_tcp_method_tcp_socket_accept(bl, &acc, &e)) { ss[accepted] = acc.f0; srx[accepted] = acc.f1; stx[accepted] = acc.f2; accepted++; }
        for (unsigned i = 0; i < n; i++) {
            if (connected[i]) continue;
            wasi_sockets_tcp_tuple2_own_input_stream_own_output_stream_t io;
            if (wasi_sockets_tcp_method_tcp_socket_finish_connect(wasi_sockets_tcp_borrow_tcp_socket(cs[i]), &io, &e)) { crx[i] = io.f0; ctx_[i] = io.f1; connected[i] = 1; done++; }
            else if (e != WASI_SOCKETS_NETWORK_ERROR_CODE_WOULD_BLOCK) { code("finish-connect", e); return; }
        }
    }
    say("accepted "); say_u(accepted); say(", connected "); say_u(done); say("\n");
    // Every client sends its number; the server side echoes what arrives, polled together.
    for (unsigned i = 0; i < n; i++) { uint8_t m[2] = { 'A' + i % 26, '0' + i % 10 }; write_all(wasi_io_streams_borrow_output_stream(ctx_[i]), m, 2); }
    uint64_t echoed = 0; unsigned got[MAXC] = {0};
    wasi_io_streams_stream_error_t se;
    while (echoed < 2ull * n) {
        opoll ps[MAXC]; wasi_io_poll_borrow_pollable_t b[MAXC];
        for (unsigned i = 0; i < n; i++) { ps[i] = wasi_io_streams_method_input_stream_subscribe(wasi_io_streams_borrow_input_stream(srx[i])); b[i] = wasi_io_poll_borrow_pollable(ps[i]); }
        wasi_io_poll_list_borrow_pollable_t in = { b, n };
        guest_list_u32_t ready; wasi_io_poll_poll(&in, &ready);
        for (size_t j = 0; j < ready.len; j++) {
            unsigned i = ready.ptr[j];
            guest_list_u8_t chunk;
            if (!wasi_io_streams_method_input_stream_read(wasi_io_streams_borrow_input_stream(srx[i]), 16, &chunk, &se)) continue;
            echoed += chunk.len;
            write_all(wasi_io_streams_borrow_output_stream(stx[i]), chunk.ptr, chunk.len);
            guest_list_u8_free(&chunk);
        }
        guest_list_u32_free(&ready);
        for (unsigned i = 0; i < n; i++) wasi_io_poll_pollable_drop_own(ps[i]);
    }
    unsigned right = 0;
    for (unsigned i = 0; i < n; i++) {
        uint64_t sum = 0; uint8_t m[2] = {0};
        got[i] = read_n(wasi_io_streams_borrow_input_stream(crx[i]), 2, &sum, m);
        right += got[i] == 2 && m[0] == 'A' + i % 26 && m[1] == '0' + i % 10;
    }
    say("echoes matching their client: "); say_u(right); say("/"); say_u(n); say("\n");
    for (unsigned i = 0; i < n; i++) {
        wasi_io_streams_input_stream_drop_own(crx[i]); wasi_io_streams_output_stream_drop_own(ctx_[i]);
        wasi_io_streams_input_stream_drop_own(srx[i]); wasi_io_streams_output_stream_drop_own(stx[i]);
        wasi_sockets_tcp_tcp_socket_drop_own(cs[i]); wasi_sockets_tcp_tcp_socket_drop_own(ss[i]);
    }
    wasi_sockets_tcp_tcp_socket_drop_own(l);
}

static int udp_new(int ipv6, oudp *s) {
    ec_t e;
    if (!wasi_sockets_udp_create_socket_create_udp_socket(ipv6 ? WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV6 : WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV4, s, &e)) {
        code("create-udp-socket", e); return 0;
    }
    return 1;
}
static int udp_bind(budp s, addr_t a) {
    ec_t e;
    if (!wasi_sockets_udp_method_udp_socket_start_bind(s, net, &a, &e)) return e;
    if (!wasi_sockets_udp_method_udp_socket_finish_bind(s, &e)) return e;
    return -1;
}
typedef struct { wasi_sockets_udp_own_incoming_datagram_stream_t in; wasi_sockets_udp_own_outgoing_datagram_stream_t out; } dstreams;
static int udp_stream(budp s, addr_t *remote, dstreams *d) {
    ec_t e;
    wasi_sockets_udp_tuple2_own_incoming_datagram_stream_own_outgoing_datagram_stream_t r;
    if (!wasi_sockets_udp_method_udp_socket_stream(s, remote, &r, &e)) return e;
    d->in = r.f0; d->out = r.f1;
    return -1;
}
static void drop_streams(dstreams *d) {
    wasi_sockets_udp_incoming_datagram_stream_drop_own(d->in);
    wasi_sockets_udp_outgoing_datagram_stream_drop_own(d->out);
}
// Sends one datagram (waiting for a permit); -1 or the error code.
static int udp_send1(dstreams *d, const uint8_t *p, size_t n, addr_t *to) {
    wasi_sockets_udp_borrow_outgoing_datagram_stream_t o = wasi_sockets_udp_borrow_outgoing_datagram_stream(d->out);
    ec_t e; uint64_t permit, sent;
    for (;;) {
        if (!wasi_sockets_udp_method_outgoing_datagram_stream_check_send(o, &permit, &e)) return e;
        if (permit) break;
        wait(wasi_sockets_udp_method_outgoing_datagram_stream_subscribe(o));
    }
    wasi_sockets_udp_outgoing_datagram_t dg = { { (uint8_t *)p, n }, { to != 0 } };
    if (to) dg.remote_address.val = *to;
    wasi_sockets_udp_list_outgoing_datagram_t l = { &dg, 1 };
    if (!wasi_sockets_udp_method_outgoing_datagram_stream_send(o, &l, &sent, &e)) return e;
    return sent == 1 ? -1 : 0x100;
}
// Receives up to max datagrams, waiting until at least one arrives; returns total payload bytes.
static size_t udp_recv(dstreams *d, unsigned max, unsigned *count, uint16_t *from_port) {
    wasi_sockets_udp_borrow_incoming_datagram_stream_t i = wasi_sockets_udp_borrow_incoming_datagram_stream(d->in);
    ec_t e; size_t bytes = 0;
    for (;;) {
        wasi_sockets_udp_list_incoming_datagram_t l;
        if (!wasi_sockets_udp_method_incoming_datagram_stream_receive(i, max, &l, &e)) { code("receive", e); return 0; }
        if (l.len) {
            *count = l.len;
            for (size_t k = 0; k < l.len; k++) { bytes += l.ptr[k].data.len; if (from_port) *from_port = port_of(l.ptr[k].remote_address); }
            wasi_sockets_udp_list_incoming_datagram_free(&l);
            return bytes;
        }
        wasi_sockets_udp_list_incoming_datagram_free(&l);
        wait(wasi_sockets_udp_method_incoming_datagram_stream_subscribe(i));
    }
}

static void udp(const char *a_s, int restream) {
    addr_t peer;
    if (!parse_addr(a_s, &peer)) { say("bad address\n"); return; }
    oudp s; if (!udp_new(0, &s)) return;
    budp bs = wasi_sockets_udp_borrow_udp_socket(s);
    int r; ec_t e;
    if ((r = udp_bind(bs, v4(127, 0, 0, 1, 0))) >= 0) { code("bind", r); return; }
    addr_t local;
    if (wasi_sockets_udp_method_udp_socket_local_address(bs, &local, &e)) yn("bound to a port", port_of(local) != 0);
    addr_t x;
    if (!wasi_sockets_udp_method_udp_socket_remote_address(bs, &x, &e)) code("remote-address unconnected", e);
    dstreams d;
    if ((r = udp_stream(bs, &peer, &d)) >= 0) { code("stream connected", r); return; }
    if (wasi_sockets_udp_method_udp_socket_remote_address(bs, &x, &e)) yn("remote is the peer", port_of(x) == port_of(peer));
    static uint8_t buf[70000];
    memset(buf, 'u', sizeof buf);
    size_t sizes[3] = { 1, 100, 1400 };
    for (int i = 0; i < 3; i++) {
        if ((r = udp_send1(&d, buf, sizes[i], 0)) >= 0) { code("send connected", r); return; }
        unsigned cnt = 0;
        size_t got = udp_recv(&d, 16, &cnt, 0);
        say("connected echo "); say_u(sizes[i]); say(" -> "); say_u(got); say(" in "); say_u(cnt); say("\n");
    }
    addr_t other = v4(127, 0, 0, 1, port_of(peer) == 9 ? 10 : 9);
    if ((r = udp_send1(&d, buf, 5, &other)) >= 0) code("send to another address while connected", r);
    if ((r = udp_send1(&d, buf, 65536, 0)) >= 0) code("send 65536 bytes", r);
    drop_streams(&d);
    if (!restream) {
        // A fresh socket: wasmtime-wasi traps when `stream` is called again on one whose
        // earlier incoming stream still has a receive in flight (see `udp-restream`).
        wasi_sockets_udp_udp_socket_drop_own(s);
        if (!udp_new(0, &s)) return;
        bs = wasi_sockets_udp_borrow_udp_socket(s);
        if ((r = udp_bind(bs, v4(127, 0, 0, 1, 0))) >= 0) { code("bind", r); return; }
    }
    if ((r = udp_stream(bs, 0, &d)) >= 0) { code("stream unconnected", r); return; }
    if (!wasi_sockets_udp_method_udp_socket_remote_address(bs, &x, &e)) code("remote-address after disconnect", e);
    if ((r = udp_send1(&d, buf, 5, 0)) >= 0) code("send without address unconnected", r);
    for (int i = 0; i < 2; i++) {
        if ((r = udp_send1(&d, buf, 20 + i, &peer)) >= 0) { code("send unconnected", r); return; }
        unsigned cnt = 0; uint16_t from = 0;
        size_t got = udp_recv(&d, 1, &cnt, &from);
        say("unconnected echo "); say_u(20 + i); say(" -> "); say_u(got); say("\n");
        yn("from the peer", from == port_of(peer));
    }
    drop_streams(&d);
    wasi_sockets_udp_udp_socket_drop_own(s);
}

static void resolve(const char *name) {
    wasi_sockets_ip_name_lookup_own_resolve_address_stream_t st; ec_t e;
    guest_string_t n; guest_string_set(&n, name);
    say("resolve "); say(name); say(": ");
    if (!wasi_sockets_ip_name_lookup_resolve_addresses(net, &n, &st, &e)) { say(e < 21 ? NAMES[e] : "?"); say("\n"); return; }
    wasi_sockets_ip_name_lookup_borrow_resolve_address_stream_t b = wasi_sockets_ip_name_lookup_borrow_resolve_address_stream(st);
    int v4loop = 0, v6loop = 0, count = 0;
    for (;;) {
        wasi_sockets_ip_name_lookup_option_ip_address_t a;
        if (!wasi_sockets_ip_name_lookup_method_resolve_address_stream_resolve_next_address(b, &a, &e)) {
            if (e == WASI_SOCKETS_NETWORK_ERROR_CODE_WOULD_BLOCK) { wait(wasi_sockets_ip_name_lookup_method_resolve_address_stream_subscribe(b)); continue; }
            say(NAMES[e]); say("\n"); break;
        }
        if (!a.is_some) {
            say(v4loop ? "127.0.0.1" : ""); say(v6loop ? (v4loop ? " ::1" : "::1") : ""); say(count ? "\n" : "none\n");
            break;
        }
        count++;
        if (a.val.tag == WASI_SOCKETS_NETWORK_IP_ADDRESS_IPV4) {
            wasi_sockets_network_ipv4_address_t x = a.val.val.ipv4;
            v4loop |= x.f0 == 127 && x.f1 == 0 && x.f2 == 0 && x.f3 == 1;
        } else {
            wasi_sockets_network_ipv6_address_t x = a.val.val.ipv6;
            v6loop |= !x.f0 && !x.f1 && !x.f2 && !x.f3 && !x.f4 && !x.f5 && !x.f6 && x.f7 == 1;
        }
    }
    wasi_sockets_ip_name_lookup_resolve_address_stream_drop_own(st);
}

static void lookup(void) {
    resolve("127.0.0.1");
    resolve("::1");
    resolve("[::1]");
    resolve("a b");
    resolve("");
    // localhost: some systems list only 127.0.0.1, some also ::1; report 127.0.0.1 only.
    wasi_sockets_ip_name_lookup_own_resolve_address_stream_t st; ec_t e;
    guest_string_t n; guest_string_set(&n, "localhost");
    if (!wasi_sockets_ip_name_lookup_resolve_addresses(net, &n, &st, &e)) { code("resolve localhost", e); return; }
    wasi_sockets_ip_name_lookup_borrow_resolve_address_stream_t b = wasi_sockets_ip_name_lookup_borrow_resolve_address_stream(st);
    int found = 0;
    for (;;) {
        wasi_sockets_ip_name_lookup_option_ip_address_t a;
        if (!wasi_sockets_ip_name_lookup_method_resolve_address_stream_resolve_next_address(b, &a, &e)) {
            if (e == WASI_SOCKETS_NETWORK_ERROR_CODE_WOULD_BLOCK) { wait(wasi_sockets_ip_name_lookup_method_resolve_address_stream_subscribe(b)); continue; }
            code("localhost", e); break;
        }
        if (!a.is_some) break;
        if (a.val.tag == WASI_SOCKETS_NETWORK_IP_ADDRESS_IPV4 && a.val.val.ipv4.f0 == 127) found = 1;
    }
    yn("localhost resolves to 127.x", found);
    wasi_sockets_ip_name_lookup_resolve_address_stream_drop_own(st);
}

#define GET(label, call, T) do { T v; ec_t e; if (call(b, &v, &e)) { say(label); say(" = "); say_u((unsigned long long)v); say("\n"); } else code(label, e); } while (0)
#define SET(label, call, val) do { ec_t e; if (call(b, val, &e)) ok(label); else code(label, e); } while (0)

static void tcp_options(int ipv6) {
    otcp s; if (!tcp_new(ipv6, &s)) return;
    btcp b = wasi_sockets_tcp_borrow_tcp_socket(s);
    say(ipv6 ? "-- tcp ipv6\n" : "-- tcp ipv4\n");
    yn("family is ipv6", wasi_sockets_tcp_method_tcp_socket_address_family(b) == WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV6);
    addr_t a; ec_t e;
    if (!wasi_sockets_tcp_method_tcp_socket_local_address(b, &a, &e)) code("local-address unbound", e);
    if (!wasi_sockets_tcp_method_tcp_socket_remote_address(b, &a, &e)) code("remote-address unconnected", e);
    GET("keep-alive-enabled", wasi_sockets_tcp_method_tcp_socket_keep_alive_enabled, bool);
    SET("set keep-alive-enabled", wasi_sockets_tcp_method_tcp_socket_set_keep_alive_enabled, true);
    GET("keep-alive-enabled", wasi_sockets_tcp_method_tcp_socket_keep_alive_enabled, bool);
    SET("set keep-alive-idle-time 0", wasi_sockets_tcp_method_tcp_socket_set_keep_alive_idle_time, 0);
    SET("set keep-alive-idle-time 1ns", wasi_sockets_tcp_method_tcp_socket_set_keep_alive_idle_time, 1);
    GET("keep-alive-idle-time", wasi_sockets_tcp_method_tcp_socket_keep_alive_idle_time, uint64_t);
    SET("set keep-alive-idle-time 10s", wasi_sockets_tcp_method_tcp_socket_set_keep_alive_idle_time, 10000000000ull);
    GET("keep-alive-idle-time", wasi_sockets_tcp_method_tcp_socket_keep_alive_idle_time, uint64_t);
    SET("set keep-alive-interval 0", wasi_sockets_tcp_method_tcp_socket_set_keep_alive_interval, 0);
    SET("set keep-alive-interval 5s", wasi_sockets_tcp_method_tcp_socket_set_keep_alive_interval, 5000000000ull);
    GET("keep-alive-interval", wasi_sockets_tcp_method_tcp_socket_keep_alive_interval, uint64_t);
    SET("set keep-alive-count 0", wasi_sockets_tcp_method_tcp_socket_set_keep_alive_count, 0);
    SET("set keep-alive-count 1000", wasi_sockets_tcp_method_tcp_socket_set_keep_alive_count, 1000);
    GET("keep-alive-count", wasi_sockets_tcp_method_tcp_socket_keep_alive_count, uint32_t);
    SET("set hop-limit 0", wasi_sockets_tcp_method_tcp_socket_set_hop_limit, 0);
    SET("set hop-limit 42", wasi_sockets_tcp_method_tcp_socket_set_hop_limit, 42);
    GET("hop-limit", wasi_sockets_tcp_method_tcp_socket_hop_limit, uint8_t);
    SET("set receive-buffer-size 0", wasi_sockets_tcp_method_tcp_socket_set_receive_buffer_size, 0);
    SET("set receive-buffer-size 65536", wasi_sockets_tcp_method_tcp_socket_set_receive_buffer_size, 65536);
    GET("receive-buffer-size", wasi_sockets_tcp_method_tcp_socket_receive_buffer_size, uint64_t);
    SET("set send-buffer-size 0", wasi_sockets_tcp_method_tcp_socket_set_send_buffer_size, 0);
    SET("set send-buffer-size 65536", wasi_sockets_tcp_method_tcp_socket_set_send_buffer_size, 65536);
    GET("send-buffer-size", wasi_sockets_tcp_method_tcp_socket_send_buffer_size, uint64_t);
    SET("set listen-backlog-size 0", wasi_sockets_tcp_method_tcp_socket_set_listen_backlog_size, 0);
    SET("set listen-backlog-size 10", wasi_sockets_tcp_method_tcp_socket_set_listen_backlog_size, 10);
    int r = tcp_bind(b, ipv6 ? v6(1, 0) : v4(127, 0, 0, 1, 0));
    if (r >= 0) code("bind", r);
    if ((r = tcp_listen(b)) >= 0) code("listen", r); else ok("listen");
    SET("set listen-backlog-size while listening", wasi_sockets_tcp_method_tcp_socket_set_listen_backlog_size, 20);
    GET("hop-limit (listening)", wasi_sockets_tcp_method_tcp_socket_hop_limit, uint8_t);
    wasi_sockets_tcp_tcp_socket_drop_own(s);
}

static void udp_options(int ipv6) {
    oudp s; if (!udp_new(ipv6, &s)) return;
    budp b = wasi_sockets_udp_borrow_udp_socket(s);
    say(ipv6 ? "-- udp ipv6\n" : "-- udp ipv4\n");
    yn("family is ipv6", wasi_sockets_udp_method_udp_socket_address_family(b) == WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV6);
    SET("set unicast-hop-limit 0", wasi_sockets_udp_method_udp_socket_set_unicast_hop_limit, 0);
    SET("set unicast-hop-limit 7", wasi_sockets_udp_method_udp_socket_set_unicast_hop_limit, 7);
    GET("unicast-hop-limit", wasi_sockets_udp_method_udp_socket_unicast_hop_limit, uint8_t);
    SET("set receive-buffer-size 0", wasi_sockets_udp_method_udp_socket_set_receive_buffer_size, 0);
    SET("set receive-buffer-size 32768", wasi_sockets_udp_method_udp_socket_set_receive_buffer_size, 32768);
    GET("receive-buffer-size", wasi_sockets_udp_method_udp_socket_receive_buffer_size, uint64_t);
    SET("set send-buffer-size 32768", wasi_sockets_udp_method_udp_socket_set_send_buffer_size, 32768);
    GET("send-buffer-size", wasi_sockets_udp_method_udp_socket_send_buffer_size, uint64_t);
    wasi_sockets_udp_udp_socket_drop_own(s);
}

static void errors(const char *closed_s) {
    addr_t closed;
    if (!parse_addr(closed_s, &closed)) { say("bad address\n"); return; }
    ec_t e; int r;
    otcp a; if (!tcp_new(0, &a)) return;
    btcp ba = wasi_sockets_tcp_borrow_tcp_socket(a);
    if (!wasi_sockets_tcp_method_tcp_socket_finish_bind(ba, &e)) code("finish-bind without start", e);
    if ((r = tcp_listen(ba)) >= 0) code("listen unbound", r);
    if ((r = tcp_bind(ba, v6(1, 0))) >= 0) code("bind ipv6 address on ipv4 socket", r);
    if ((r = tcp_bind(ba, v4(224, 0, 0, 1, 0))) >= 0) code("bind multicast", r);
    if ((r = tcp_bind(ba, v4(127, 0, 0, 1, 0))) >= 0) code("bind", r); else ok("bind");
    if ((r = tcp_bind(ba, v4(127, 0, 0, 1, 0))) >= 0) code("bind again", r);
    if ((r = tcp_listen(ba)) >= 0) code("listen", r); else ok("listen");
    if ((r = tcp_listen(ba)) >= 0) code("listen again", r);
    addr_t la = tcp_local(ba);
    otcp b; if (!tcp_new(0, &b)) return;
    btcp bb = wasi_sockets_tcp_borrow_tcp_socket(b);
    if ((r = tcp_bind(bb, la)) >= 0) code("bind a listening port", r);
    wasi_sockets_tcp_tcp_socket_drop_own(b);
    oin rx; oout tx;
    otcp c; if (!tcp_new(0, &c)) return;
    btcp bc = wasi_sockets_tcp_borrow_tcp_socket(c);
    if (!wasi_sockets_tcp_method_tcp_socket_shutdown(bc, WASI_SOCKETS_TCP_SHUTDOWN_TYPE_BOTH, &e)) code("shutdown unconnected", e);
    wasi_sockets_tcp_tuple3_own_tcp_socket_own_input_stream_own_output_stream_t acc;
    if (!wasi_sockets_tcp_method_tcp_socket_accept(bc, &acc, &e)) code("accept not listening", e);
    wasi_sockets_tcp_tuple2_own_input_stream_own_output_stream_t io;
    if (!wasi_sockets_tcp_method_tcp_socket_finish_connect(bc, &io, &e)) code("finish-connect without start", e);
    if ((r = tcp_connect(bc, v4(0, 0, 0, 0, 80), &rx, &tx)) >= 0) code("connect 0.0.0.0", r);
    if ((r = tcp_connect(bc, v4(127, 0, 0, 1, 0), &rx, &tx)) >= 0) code("connect port 0", r);
    if ((r = tcp_connect(bc, v6(1, 80), &rx, &tx)) >= 0) code("connect ipv6 on ipv4 socket", r);
    if ((r = tcp_connect(bc, v4(255, 255, 255, 255, 80), &rx, &tx)) >= 0) code("connect broadcast", r);
    if (!wasi_sockets_tcp_method_tcp_socket_start_connect(bc, net, &closed, &e)) code("start-connect", e);
    if (!wasi_sockets_tcp_method_tcp_socket_start_bind(bc, net, &la, &e)) code("start-bind while connecting", e);
    if (!wasi_sockets_tcp_method_tcp_socket_start_connect(bc, net, &closed, &e)) code("start-connect while connecting", e);
    for (;;) {
        if (wasi_sockets_tcp_method_tcp_socket_finish_connect(bc, &io, &e)) { say("connected to a closed port?\n"); break; }
        if (e != WASI_SOCKETS_NETWORK_ERROR_CODE_WOULD_BLOCK) { code("connect to a closed port", e); break; }
        wait(wasi_sockets_tcp_method_tcp_socket_subscribe(bc));
    }
    if (!wasi_sockets_tcp_method_tcp_socket_start_connect(bc, net, &la, &e)) code("connect after a failed connect", e);
    wasi_sockets_tcp_tcp_socket_drop_own(c);
    // A real connection to our own listener: shutdown both ways, then use the streams.
    otcp d; if (!tcp_new(0, &d)) return;
    btcp bd = wasi_sockets_tcp_borrow_tcp_socket(d);
    if ((r = tcp_connect(bd, la, &rx, &tx)) >= 0) { code("connect to own listener", r); return; }
    otcp sv; oin srx; oout stx;
    if ((r = tcp_accept(ba, &sv, &srx, &stx)) >= 0) { code("accept", r); return; }
    if ((r = tcp_connect(bd, la, &rx, &tx)) >= 0) code("connect while connected", r);
    if (!wasi_sockets_tcp_method_tcp_socket_shutdown(bd, WASI_SOCKETS_TCP_SHUTDOWN_TYPE_BOTH, &e)) code("shutdown", e); else ok("shutdown both");
    wasi_io_streams_stream_error_t se; uint64_t permit; guest_list_u8_t chunk;
    guest_list_u8_t one = { (uint8_t *)"x", 1 };
    yn("check-write after shutdown is closed", !wasi_io_streams_method_output_stream_check_write(wasi_io_streams_borrow_output_stream(tx), &permit, &se) && se.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED);
    yn("write after shutdown is closed", !wasi_io_streams_method_output_stream_write(wasi_io_streams_borrow_output_stream(tx), &one, &se) && se.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED);
    yn("read after shutdown is closed", !wasi_io_streams_method_input_stream_read(wasi_io_streams_borrow_input_stream(rx), 10, &chunk, &se) && se.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED);
    uint64_t sum = 0;
    yn("peer reads EOF", read_n(wasi_io_streams_borrow_input_stream(srx), 10, &sum, 0) == 0);
    wasi_io_streams_input_stream_drop_own(rx); wasi_io_streams_output_stream_drop_own(tx);
    wasi_io_streams_input_stream_drop_own(srx); wasi_io_streams_output_stream_drop_own(stx);
    wasi_sockets_tcp_tcp_socket_drop_own(sv); wasi_sockets_tcp_tcp_socket_drop_own(d);
    wasi_sockets_tcp_tcp_socket_drop_own(a);
    // UDP.
    oudp u; if (!udp_new(0, &u)) return;
    budp bu = wasi_sockets_udp_borrow_udp_socket(u);
    dstreams ds;
    if ((r = udp_stream(bu, 0, &ds)) >= 0) code("udp stream unbound", r);
    if (!wasi_sockets_udp_method_udp_socket_finish_bind(bu, &e)) code("udp finish-bind without start", e);
    if ((r = udp_bind(bu, v6(1, 0))) >= 0) code("udp bind ipv6 address on ipv4 socket", r);
    if ((r = udp_bind(bu, v4(127, 0, 0, 1, 0))) >= 0) code("udp bind", r); else ok("udp bind");
    if ((r = udp_bind(bu, v4(127, 0, 0, 1, 0))) >= 0) code("udp bind again", r);
    addr_t zero = v4(0, 0, 0, 0, 9);
    if ((r = udp_stream(bu, &zero, &ds)) >= 0) code("udp stream to 0.0.0.0", r);
    if ((r = udp_stream(bu, 0, &ds)) >= 0) { code("udp stream", r); return; }
    static uint8_t big[70000];
    if ((r = udp_send1(&ds, big, sizeof big, &closed)) >= 0) code("udp send 70000 bytes", r);
    addr_t port0 = v4(127, 0, 0, 1, 0);
    if ((r = udp_send1(&ds, big, 10, &port0)) >= 0) code("udp send to port 0", r);
    addr_t six = v6(1, 9);
    if ((r = udp_send1(&ds, big, 10, &six)) >= 0) code("udp send to ipv6 on ipv4 socket", r);
    wasi_sockets_udp_list_outgoing_datagram_t none = { 0, 0 }; uint64_t n;
    if (wasi_sockets_udp_method_outgoing_datagram_stream_send(wasi_sockets_udp_borrow_outgoing_datagram_stream(ds.out), &none, &n, &e)) { say("send of no datagrams: "); say_u(n); say("\n"); }
    wasi_sockets_udp_list_incoming_datagram_t got;
    if (wasi_sockets_udp_method_incoming_datagram_stream_receive(wasi_sockets_udp_borrow_incoming_datagram_stream(ds.in), 0, &got, &e)) { say("receive 0: "); say_u(got.len); say("\n"); wasi_sockets_udp_list_incoming_datagram_free(&got); }
    if (wasi_sockets_udp_method_incoming_datagram_stream_receive(wasi_sockets_udp_borrow_incoming_datagram_stream(ds.in), UINT64_MAX, &got, &e)) { say("receive u64::MAX with nothing queued: "); say_u(got.len); say("\n"); wasi_sockets_udp_list_incoming_datagram_free(&got); }
    drop_streams(&ds);
    wasi_sockets_udp_udp_socket_drop_own(u);
}

static void denied(void) {
    ec_t e; int r;
    otcp s;
    if (wasi_sockets_tcp_create_socket_create_tcp_socket(WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV4, &s, &e)) {
        ok("create tcp");
        btcp b = wasi_sockets_tcp_borrow_tcp_socket(s);
        if ((r = tcp_bind(b, v4(127, 0, 0, 1, 0))) >= 0) code("tcp bind", r); else ok("tcp bind");
        oin rx; oout tx;
        if ((r = tcp_connect(b, v4(127, 0, 0, 1, 9), &rx, &tx)) >= 0) code("tcp connect", r); else ok("tcp connect");
        wasi_sockets_tcp_tcp_socket_drop_own(s);
        otcp l; tcp_new(0, &l);
        if ((r = tcp_listen(wasi_sockets_tcp_borrow_tcp_socket(l))) >= 0) code("tcp listen unbound", r);
        wasi_sockets_tcp_tcp_socket_drop_own(l);
    } else code("create tcp", e);
    oudp u;
    if (wasi_sockets_udp_create_socket_create_udp_socket(WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV4, &u, &e)) {
        ok("create udp");
        if ((r = udp_bind(wasi_sockets_udp_borrow_udp_socket(u), v4(127, 0, 0, 1, 0))) >= 0) code("udp bind", r); else ok("udp bind");
        wasi_sockets_udp_udp_socket_drop_own(u);
    } else code("create udp", e);
    resolve("localhost");
}

static void write_overrun(void) {
    otcp l; tcp_new(0, &l);
    btcp bl = wasi_sockets_tcp_borrow_tcp_socket(l);
    tcp_bind(bl, v4(127, 0, 0, 1, 0)); tcp_listen(bl);
    otcp c; tcp_new(0, &c); oin rx; oout tx;
    if (tcp_connect(wasi_sockets_tcp_borrow_tcp_socket(c), tcp_local(bl), &rx, &tx) >= 0) return;
    wasi_io_streams_stream_error_t se; uint64_t permit = 0;
    while (!permit) { wasi_io_streams_method_output_stream_check_write(wasi_io_streams_borrow_output_stream(tx), &permit, &se); }
    say("permit granted\n");
    uint8_t *buf = calloc(1, permit + 1);
    guest_list_u8_t l2 = { buf, permit + 1 };
    wasi_io_streams_method_output_stream_write(wasi_io_streams_borrow_output_stream(tx), &l2, &se);
    say("over-permit write was accepted\n");
}

static void send_overrun(void) {
    oudp u; udp_new(0, &u);
    budp bu = wasi_sockets_udp_borrow_udp_socket(u);
    udp_bind(bu, v4(127, 0, 0, 1, 0));
    dstreams d; udp_stream(bu, 0, &d);
    ec_t e; uint64_t permit = 0, sent;
    wasi_sockets_udp_method_outgoing_datagram_stream_check_send(wasi_sockets_udp_borrow_outgoing_datagram_stream(d.out), &permit, &e);
    say("permits: "); say_u(permit); say("\n");
    wasi_sockets_udp_outgoing_datagram_t dg[64];
    addr_t to = v4(127, 0, 0, 1, 9);
    for (int i = 0; i < 64; i++) { dg[i].data.ptr = (uint8_t *)"x"; dg[i].data.len = 1; dg[i].remote_address.is_some = true; dg[i].remote_address.val = to; }
    wasi_sockets_udp_list_outgoing_datagram_t l = { dg, permit + 1 < 64 ? permit + 1 : 64 };
    wasi_sockets_udp_method_outgoing_datagram_stream_send(wasi_sockets_udp_borrow_outgoing_datagram_stream(d.out), &l, &sent, &e);
    say("over-permit send was accepted\n");
}

static void bench_echo(const char *a_s, unsigned mib) {
    addr_t a; if (!parse_addr(a_s, &a)) return;
    otcp s; tcp_new(0, &s); oin rx; oout tx;
    if (tcp_connect(wasi_sockets_tcp_borrow_tcp_socket(s), a, &rx, &tx) >= 0) { say("connect failed\n"); return; }
    bin brx = wasi_io_streams_borrow_input_stream(rx); bout btx = wasi_io_streams_borrow_output_stream(tx);
    static uint8_t buf[262144];
    uint64_t total = (uint64_t)mib << 20, sent = 0, recvd = 0;
    wasi_io_streams_stream_error_t se;
    while (recvd < total) {
        int progress = 0;
        if (sent < total) {
            uint64_t permit = 0;
            wasi_io_streams_method_output_stream_check_write(btx, &permit, &se);
            if (permit) {
                uint64_t k = total - sent < permit ? total - sent : permit;
                if (k > sizeof buf) k = sizeof buf;
                guest_list_u8_t l = { buf, k };
                wasi_io_streams_method_output_stream_write(btx, &l, &se);
                sent += k; progress = 1;
            }
        }
        guest_list_u8_t chunk;
        if (!wasi_io_streams_method_input_stream_read(brx, 262144, &chunk, &se)) break;
        if (chunk.len) { recvd += chunk.len; guest_list_u8_free(&chunk); progress = 1; }
        if (progress) continue;
        opoll ps[2] = { wasi_io_streams_method_input_stream_subscribe(brx), wasi_io_streams_method_output_stream_subscribe(btx) };
        wasi_io_poll_borrow_pollable_t b[2] = { wasi_io_poll_borrow_pollable(ps[0]), wasi_io_poll_borrow_pollable(ps[1]) };
        wasi_io_poll_list_borrow_pollable_t in = { b, sent < total ? 2 : 1 };
        guest_list_u32_t ready; wasi_io_poll_poll(&in, &ready); guest_list_u32_free(&ready);
        wasi_io_poll_pollable_drop_own(ps[0]); wasi_io_poll_pollable_drop_own(ps[1]);
    }
    say("echoed "); say_u(recvd); say("\n");
}

static void stream_end(const char *what, wasi_io_streams_stream_error_t *se) {
    say(what);
    if (se->tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED) say(": closed\n");
    else { say(": last-operation-failed\n"); wasi_io_error_error_drop_own(se->val.last_operation_failed); }
}
static void fault_send(const char *a_s, unsigned mib) {
    addr_t a; if (!parse_addr(a_s, &a)) return;
    otcp s; tcp_new(0, &s); oin rx; oout tx;
    if (tcp_connect(wasi_sockets_tcp_borrow_tcp_socket(s), a, &rx, &tx) >= 0) { say("connect failed\n"); return; }
    bin brx = wasi_io_streams_borrow_input_stream(rx); bout btx = wasi_io_streams_borrow_output_stream(tx);
    static uint8_t buf[1 << 20];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 7 + 3);
    wasi_io_streams_stream_error_t se;
    uint64_t total = (uint64_t)mib << 20, sent = 0;
    int failed = 0;
    while (sent < total && !failed) {
        uint64_t permit;
        if (!wasi_io_streams_method_output_stream_check_write(btx, &permit, &se)) { failed = 1; break; }
        if (permit == 0) { wait(wasi_io_streams_method_output_stream_subscribe(btx)); continue; }
        uint64_t k = total - sent < permit ? total - sent : permit;
        size_t off = sent % sizeof buf;
        if (k > sizeof buf - off) k = sizeof buf - off;
        guest_list_u8_t l = { buf + off, k };
        if (!wasi_io_streams_method_output_stream_write(btx, &l, &se)) { failed = 1; break; }
        sent += k;
    }
    if (!failed && !wasi_io_streams_method_output_stream_blocking_flush(btx, &se)) failed = 1;
    if (failed) stream_end("send", &se); else { say("sent "); say_u(sent); say("\n"); }
    // The peer reads to the end: shut the sending side (its result is the fault's business).
    ec_t e;
    wasi_sockets_tcp_method_tcp_socket_shutdown(wasi_sockets_tcp_borrow_tcp_socket(s), WASI_SOCKETS_TCP_SHUTDOWN_TYPE_SEND, &e);
    for (;;) {
        guest_list_u8_t chunk;
        if (!wasi_io_streams_method_input_stream_blocking_read(brx, 65536, &chunk, &se)) { stream_end("receive", &se); break; }
        guest_list_u8_free(&chunk);
    }
    wasi_io_streams_input_stream_drop_own(rx);
    wasi_io_streams_output_stream_drop_own(tx);
    wasi_sockets_tcp_tcp_socket_drop_own(s);
    say("done\n");
}

static void bench_small(const char *a_s, unsigned n) {
    addr_t a; if (!parse_addr(a_s, &a)) return;
    otcp s; tcp_new(0, &s); oin rx; oout tx;
    if (tcp_connect(wasi_sockets_tcp_borrow_tcp_socket(s), a, &rx, &tx) >= 0) { say("connect failed\n"); return; }
    unsigned ok_ = 0;
    for (unsigned i = 0; i < n; i++) {
        write_all(wasi_io_streams_borrow_output_stream(tx), (const uint8_t *)"ping", 4);
        // Read as a recv() with a 64 KiB buffer would: ask for 64 KiB, get the few bytes there.
        size_t got = 0;
        wasi_io_streams_stream_error_t se;
        bin b = wasi_io_streams_borrow_input_stream(rx);
        while (got < 4) {
            guest_list_u8_t chunk;
            if (!wasi_io_streams_method_input_stream_read(b, 65536, &chunk, &se)) break;
            if (chunk.len == 0) { wait(wasi_io_streams_method_input_stream_subscribe(b)); continue; }
            got += chunk.len;
            guest_list_u8_free(&chunk);
        }
        ok_ += got == 4;
    }
    say("round trips "); say_u(ok_); say("\n");
}

static void bench_udp(const char *a_s, unsigned n) {
    addr_t a; if (!parse_addr(a_s, &a)) return;
    oudp u; udp_new(0, &u);
    budp bu = wasi_sockets_udp_borrow_udp_socket(u);
    udp_bind(bu, v4(127, 0, 0, 1, 0));
    dstreams d; udp_stream(bu, &a, &d);
    static uint8_t payload[64];
    wasi_sockets_udp_outgoing_datagram_t dg[16];
    for (int i = 0; i < 16; i++) { dg[i].data.ptr = payload; dg[i].data.len = sizeof payload; dg[i].remote_address.is_some = false; }
    unsigned sent = 0, recvd = 0;
    ec_t e;
    wasi_sockets_udp_borrow_outgoing_datagram_stream_t o = wasi_sockets_udp_borrow_outgoing_datagram_stream(d.out);
    wasi_sockets_udp_borrow_incoming_datagram_stream_t in = wasi_sockets_udp_borrow_incoming_datagram_stream(d.in);
    while (recvd < n) {
        // Lockstep windows of 16 so the peer's socket buffer never overflows.
        if (sent == recvd && sent < n) {
            uint64_t permit = 0, k;
            while (!permit) { wasi_sockets_udp_method_outgoing_datagram_stream_check_send(o, &permit, &e); if (!permit) wait(wasi_sockets_udp_method_outgoing_datagram_stream_subscribe(o)); }
            uint64_t want = n - sent < permit ? n - sent : permit;
            wasi_sockets_udp_list_outgoing_datagram_t l = { dg, want };
            if (!wasi_sockets_udp_method_outgoing_datagram_stream_send(o, &l, &k, &e)) { code("send", e); return; }
            sent += k;
        }
        wasi_sockets_udp_list_incoming_datagram_t l;
        if (!wasi_sockets_udp_method_incoming_datagram_stream_receive(in, 16, &l, &e)) { code("receive", e); return; }
        recvd += l.len;
        if (!l.len) {
            // A lost datagram would stall the window: give up on it after 200 ms.
            opoll ps[2] = { wasi_sockets_udp_method_incoming_datagram_stream_subscribe(in), wasi_clocks_monotonic_clock_subscribe_duration(200000000ull) };
            wasi_io_poll_borrow_pollable_t b[2] = { wasi_io_poll_borrow_pollable(ps[0]), wasi_io_poll_borrow_pollable(ps[1]) };
            wasi_io_poll_list_borrow_pollable_t pl = { b, 2 };
            guest_list_u32_t ready; wasi_io_poll_poll(&pl, &ready);
            if (ready.len == 1 && ready.ptr[0] == 1) { recvd = sent; }
            guest_list_u32_free(&ready);
            wasi_io_poll_pollable_drop_own(ps[0]); wasi_io_poll_pollable_drop_own(ps[1]);
        }
        wasi_sockets_udp_list_incoming_datagram_free(&l);
    }
    say("datagrams "); say_u(recvd); say("\n");
}

static int arg_is(guest_list_string_t *a, size_t i, const char *s) {
    return a->len > i && a->ptr[i].len == strlen(s) && memcmp(a->ptr[i].ptr, s, a->ptr[i].len) == 0;
}
static char argbuf[4][128];
static const char *arg(guest_list_string_t *a, size_t i) {
    if (a->len <= i || i >= 4) return "";
    size_t n = a->ptr[i].len < 127 ? a->ptr[i].len : 127;
    memcpy(argbuf[i], a->ptr[i].ptr, n); argbuf[i][n] = 0;
    return argbuf[i];
}
static unsigned argu(guest_list_string_t *a, size_t i) { unsigned v = 0; parse_u(arg(a, i), &v); return v; }

bool exports_wasi_cli_run_run(void) {
    out = wasi_cli_stdout_get_stdout();
    net_own = wasi_sockets_instance_network_instance_network();
    net = wasi_sockets_network_borrow_network(net_own);
    guest_list_string_t args;
    wasi_cli_environment_get_arguments(&args);
    if (arg_is(&args, 1, "echo")) echo(arg(&args, 2));
    else if (arg_is(&args, 1, "serve")) serve(argu(&args, 2), argu(&args, 3));
    else if (arg_is(&args, 1, "self")) self_test(argu(&args, 2));
    else if (arg_is(&args, 1, "udp")) udp(arg(&args, 2), 0);
    else if (arg_is(&args, 1, "udp-restream")) udp(arg(&args, 2), 1);
    else if (arg_is(&args, 1, "lookup")) lookup();
    else if (arg_is(&args, 1, "options")) { tcp_options(0); tcp_options(1); udp_options(0); udp_options(1); }
    else if (arg_is(&args, 1, "errors")) errors(arg(&args, 2));
    else if (arg_is(&args, 1, "denied")) denied();
    else if (arg_is(&args, 1, "write-overrun")) write_overrun();
    else if (arg_is(&args, 1, "send-overrun")) send_overrun();
    else if (arg_is(&args, 1, "bench-echo")) bench_echo(arg(&args, 2), argu(&args, 3));
    else if (arg_is(&args, 1, "fault-send")) fault_send(arg(&args, 2), argu(&args, 3));
    else if (arg_is(&args, 1, "bench-small")) bench_small(arg(&args, 2), argu(&args, 3));
    else if (arg_is(&args, 1, "bench-udp")) bench_udp(arg(&args, 2), argu(&args, 3));
    else say("unknown mode\n");
    guest_list_string_free(&args);
    wasi_sockets_network_network_drop_own(net_own);
    wasi_io_streams_output_stream_drop_own(out);
    return true;
}
