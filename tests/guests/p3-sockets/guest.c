// A WASIp3 guest calling wasi:sockets@0.3.0 directly (wit-bindgen c). argv[1] picks:
//
//   echo IP:PORT        TCP client against an echo peer: small and 300 KB messages through
//                       send/receive streams, half-close, result futures
//   serve PORT N        TCP server on 127.0.0.1:PORT: accepts N peers through listen's stream and
//                       echoes each until it half-closes
//   self N [batches]    listener + N clients in this guest: listen's stream of sockets,
//                       concurrent connects; "batches" also prints how many reads the accepts took
//   udp IP:PORT         UDP against an echo peer: connected and unconnected
//   lookup              resolve-addresses of localhost and literals
//   options             every TCP and UDP option getter/setter
//   errors IP:PORT      bad input (IP:PORT has no listener)
//   confused            listen's stream of sockets read with the byte streams' stream.read
//   denied              run under a policy that refuses addresses (and maybe protocols)
//   bench-echo IP:PORT MIB   stream MIB MiB to an echo peer and read it back
//   fault-send IP:PORT MIB   send MIB MiB of a pattern, then read the send and receive results
//                       (a peer that resets or stops reading for a while): how each ended, not
//                       byte counts unless all went through
//   bench-small IP:PORT N    N round trips of 4 bytes
//   bench-udp IP:PORT N      N datagrams of 64 bytes, echoed
// Built with RC_2026_01_06 defined (../p3-sockets-rc-2026-01-06/guest.c), it is the same guest
// against WASI 0.3.0-rc-2026-01-06, whose error codes are enums (with `unknown`, without
// `connection-broken`) and whose TCP `send` and stdout's write-via-stream are `async func`s.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"

typedef wasi_sockets_types_ip_socket_address_t addr_t;
typedef wasi_sockets_types_error_code_t ec_t;
typedef wasi_sockets_types_own_tcp_socket_t otcp;
typedef wasi_sockets_types_borrow_tcp_socket_t btcp;
typedef wasi_sockets_types_own_udp_socket_t oudp;
typedef wasi_sockets_types_borrow_udp_socket_t budp;
typedef wasi_sockets_types_stream_u8_t rstream;
typedef wasi_sockets_types_stream_u8_writer_t wstream;
typedef wasi_sockets_types_future_result_void_error_code_t rfuture;

static guest_waitable_set_t ws;
static wasi_cli_stdout_stream_u8_writer_t out_w;

static uint32_t wait_on(uint32_t w) {
    guest_event_t ev;
    guest_waitable_join(w, ws);
    do { guest_waitable_set_wait(ws, &ev); } while (ev.waitable != w);
    guest_waitable_join(w, 0);
    return ev.code;
}
static void wait_subtask(guest_subtask_status_t st) {
    if (GUEST_SUBTASK_STATE(st) == GUEST_SUBTASK_RETURNED) return;
    guest_subtask_t sub = GUEST_SUBTASK_HANDLE(st);
    while (wait_on(sub) != GUEST_SUBTASK_RETURNED) {}
    guest_subtask_drop(sub);
}
static void out_write(const uint8_t *p, size_t n) {
    while (n > 0) {
        guest_waitable_status_t st = wasi_cli_stdout_stream_u8_write(out_w, p, n);
        if (st == GUEST_WAITABLE_STATUS_BLOCKED) st = wait_on(out_w);
        size_t done = GUEST_WAITABLE_COUNT(st);
        p += done; n -= done;
        if (GUEST_WAITABLE_STATE(st) == GUEST_WAITABLE_DROPPED) return;
    }
}
static void say(const char *s) { out_write((const uint8_t *)s, strlen(s)); }
static void say_u(unsigned long long v) {
    char t[24]; int i = 23; t[i] = 0;
    do { t[--i] = '0' + v % 10; v /= 10; } while (v);
    say(t + i);
}
static const char *NAMES[] = {
    "access-denied", "not-supported", "invalid-argument", "out-of-memory", "timeout",
    "invalid-state", "address-not-bindable", "address-in-use", "remote-unreachable",
    "connection-refused", "connection-broken", "connection-reset", "connection-aborted",
    "datagram-too-large", "other",
};
#ifdef RC_2026_01_06
static const char *RC_NAMES[] = {
    "unknown", "access-denied", "not-supported", "invalid-argument", "out-of-memory", "timeout",
    "invalid-state", "address-not-bindable", "address-in-use", "remote-unreachable",
    "connection-refused", "connection-reset", "connection-aborted", "datagram-too-large",
};
#define ERR_NAME(e) ((e) < 14 ? RC_NAMES[e] : "?")
#define LOOKUP_TAG(e) ((e) == 0 ? 5 : (e) - 1) /* `unknown` first; 0.3.0's `other` is 5 */
#else
#define ERR_NAME(e) ((e).tag < 15 ? NAMES[(e).tag] : "?")
#define LOOKUP_TAG(e) ((e).tag)
#endif
static void code(const char *what, ec_t e) { say(what); say(": "); say(ERR_NAME(e)); say("\n"); }
static void ok(const char *what) { say(what); say(": ok\n"); }
static void yn(const char *what, int v) { say(what); say(v ? ": yes\n" : ": no\n"); }

static const char *parse_u(const char *s, unsigned *v) {
    if (*s < '0' || *s > '9') return 0;
    *v = 0; while (*s >= '0' && *s <= '9') *v = *v * 10 + (*s++ - '0');
    return s;
}
static addr_t v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
    addr_t r; memset(&r, 0, sizeof r); r.tag = WASI_SOCKETS_TYPES_IP_SOCKET_ADDRESS_IPV4;
    r.val.ipv4.port = port;
    r.val.ipv4.address.f0 = a; r.val.ipv4.address.f1 = b; r.val.ipv4.address.f2 = c; r.val.ipv4.address.f3 = d;
    return r;
}
static addr_t v6(uint16_t last, uint16_t port) {
    addr_t r; memset(&r, 0, sizeof r); r.tag = WASI_SOCKETS_TYPES_IP_SOCKET_ADDRESS_IPV6;
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
static uint16_t port_of(addr_t a) { return a.tag == WASI_SOCKETS_TYPES_IP_SOCKET_ADDRESS_IPV4 ? a.val.ipv4.port : a.val.ipv6.port; }

static int tcp_new(int ipv6, otcp *s) {
    ec_t e;
    if (!wasi_sockets_types_static_tcp_socket_create(ipv6 ? WASI_SOCKETS_TYPES_IP_ADDRESS_FAMILY_IPV6 : WASI_SOCKETS_TYPES_IP_ADDRESS_FAMILY_IPV4, s, &e)) {
        code("create tcp", e); return 0;
    }
    return 1;
}
// 0 on success (*e untouched), 1 with *e set.
static int tcp_connect(btcp s, addr_t a, ec_t *e) {
    wasi_sockets_types_method_tcp_socket_connect_args_t args = { .self = s, .remote_address = a };
    wasi_sockets_types_result_void_error_code_t r;
    wait_subtask(wasi_sockets_types_method_tcp_socket_connect(&args, &r));
    if (r.is_err) { *e = r.val.err; return 1; }
    return 0;
}
static addr_t tcp_local(btcp s) {
    addr_t a; ec_t e;
    if (!wasi_sockets_types_method_tcp_socket_get_local_address(s, &a, &e)) { code("get-local-address", e); memset(&a, 0, sizeof a); }
    return a;
}
static void finish_future(rfuture f, const char *what) {
    wasi_sockets_types_result_void_error_code_t r;
    if (wasi_sockets_types_future_result_void_error_code_read(f, &r) == GUEST_WAITABLE_STATUS_BLOCKED) wait_on(f);
    wasi_sockets_types_future_result_void_error_code_drop_readable(f);
    if (what) { if (r.is_err) code(what, r.val.err); else ok(what); }
}

// A TCP send in flight: its result future (0.3.0), or its subtask and where its result lands
// (the candidate's async func).
#ifdef RC_2026_01_06
typedef struct { guest_subtask_status_t st; wasi_sockets_types_result_void_error_code_t *res; } sfuture;
static sfuture tcp_send(btcp s, rstream r) {
    sfuture f; f.res = malloc(sizeof *f.res);
    f.st = wasi_sockets_types_method_tcp_socket_send(s, r, f.res);
    return f;
}
static void finish_send(sfuture f, const char *what) {
    wait_subtask(f.st);
    if (what) { if (f.res->is_err) code(what, f.res->val.err); else ok(what); }
    free(f.res);
}
#else
typedef rfuture sfuture;
static sfuture tcp_send(btcp s, rstream r) { return wasi_sockets_types_method_tcp_socket_send(s, r); }
#define finish_send finish_future
#endif

// A connection's two guest-side ends.
typedef struct { wstream tx; sfuture sent; rstream rx; rfuture recvd; } conn_t;
static void open_conn(btcp s, conn_t *c) {
    rstream r = wasi_sockets_types_stream_u8_new(&c->tx);
    c->sent = tcp_send(s, r);
    wasi_sockets_types_tuple2_stream_u8_future_result_void_error_code_t rf;
    wasi_sockets_types_method_tcp_socket_receive(s, &rf);
    c->rx = rf.f0; c->recvd = rf.f1;
}
static size_t write_all(wstream w, const uint8_t *p, size_t n) {
    size_t done = 0;
    while (done < n) {
        guest_waitable_status_t st = wasi_sockets_types_stream_u8_write(w, p + done, n - done);
        if (st == GUEST_WAITABLE_STATUS_BLOCKED) st = wait_on(w);
        done += GUEST_WAITABLE_COUNT(st);
        if (GUEST_WAITABLE_STATE(st) == GUEST_WAITABLE_DROPPED) break;
    }
    return done;
}
static size_t read_n(rstream r, uint8_t *dst, size_t n, int *eof) {
    size_t got = 0;
    *eof = 0;
    while (got < n) {
        guest_waitable_status_t st = wasi_sockets_types_stream_u8_read(r, dst + got, n - got);
        if (st == GUEST_WAITABLE_STATUS_BLOCKED) st = wait_on(r);
        got += GUEST_WAITABLE_COUNT(st);
        if (GUEST_WAITABLE_STATE(st) == GUEST_WAITABLE_DROPPED) { *eof = 1; break; }
    }
    return got;
}
static size_t min3(size_t a, size_t b, size_t c) { size_t m = a < b ? a : b; return m < c ? m : c; }
// Sends n bytes and receives n bytes concurrently (one waitable set, both ends pending);
// src and dst are rings of scap / dcap bytes.
static size_t pump(conn_t *c, const uint8_t *src, size_t scap, uint8_t *dst, size_t dcap, size_t n, size_t chunk) {
    size_t sent = 0, recvd = 0;
    int wpend = 0, rpend = 0, wdone = 0, rdone = 0;
    while (!rdone && recvd < n) {
        if (!wpend && !wdone && sent < n) {
            size_t k = min3(n - sent, chunk, scap - sent % scap);
            guest_waitable_status_t st = wasi_sockets_types_stream_u8_write(c->tx, src + sent % scap, k);
            if (st == GUEST_WAITABLE_STATUS_BLOCKED) { wpend = 1; guest_waitable_join(c->tx, ws); }
            else { sent += GUEST_WAITABLE_COUNT(st); if (GUEST_WAITABLE_STATE(st) == GUEST_WAITABLE_DROPPED) wdone = 1; continue; }
        }
        if (!rpend) {
            size_t k = min3(n - recvd, chunk, dcap - recvd % dcap);
            guest_waitable_status_t st = wasi_sockets_types_stream_u8_read(c->rx, dst + recvd % dcap, k);
            if (st == GUEST_WAITABLE_STATUS_BLOCKED) { rpend = 1; guest_waitable_join(c->rx, ws); }
            else { recvd += GUEST_WAITABLE_COUNT(st); if (GUEST_WAITABLE_STATE(st) == GUEST_WAITABLE_DROPPED) rdone = 1; continue; }
        }
        guest_event_t ev;
        guest_waitable_set_wait(ws, &ev);
        if (ev.waitable == c->tx) {
            wpend = 0; guest_waitable_join(c->tx, 0);
            sent += GUEST_WAITABLE_COUNT(ev.code);
            if (GUEST_WAITABLE_STATE(ev.code) == GUEST_WAITABLE_DROPPED) wdone = 1;
        } else if (ev.waitable == c->rx) {
            rpend = 0; guest_waitable_join(c->rx, 0);
            recvd += GUEST_WAITABLE_COUNT(ev.code);
            if (GUEST_WAITABLE_STATE(ev.code) == GUEST_WAITABLE_DROPPED) rdone = 1;
        }
    }
    return recvd;
}

static void echo(const char *a_s) {
    addr_t a; ec_t e;
    if (!parse_addr(a_s, &a)) { say("bad address\n"); return; }
    otcp s; if (!tcp_new(0, &s)) return;
    btcp bs = wasi_sockets_types_borrow_tcp_socket(s);
    if (tcp_connect(bs, a, &e)) { code("connect", e); return; }
    ok("connect");
    addr_t remote;
    if (wasi_sockets_types_method_tcp_socket_get_remote_address(bs, &remote, &e)) yn("remote port is the peer's", port_of(remote) == port_of(a));
    yn("local port assigned", port_of(tcp_local(bs)) != 0);
    yn("is-listening", wasi_sockets_types_method_tcp_socket_get_is_listening(bs));
    conn_t c; open_conn(bs, &c);
    // A second send/receive on the same socket fails through its future.
    wasi_sockets_types_stream_u8_writer_t w2;
    sfuture f2 = tcp_send(bs, wasi_sockets_types_stream_u8_new(&w2));
    finish_send(f2, "second send");
    wasi_sockets_types_stream_u8_drop_writable(w2);
    const char *hello = "hello, echo";
    uint8_t back[64]; int eof;
    write_all(c.tx, (const uint8_t *)hello, strlen(hello));
    size_t got = read_n(c.rx, back, strlen(hello), &eof);
    say("echo: "); out_write(back, got); say("\n");
    static uint8_t big[300000], bigback[300000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 7 + 3);
    size_t n = pump(&c, big, sizeof big, bigback, sizeof bigback, sizeof big, 65536);
    yn("300000 bytes echoed intact", n == sizeof big && memcmp(big, bigback, sizeof big) == 0);
    // Half-close by dropping our writer: the send future resolves, the peer closes, we read EOF.
    wasi_sockets_types_stream_u8_drop_writable(c.tx);
    finish_send(c.sent, "send result");
    got = read_n(c.rx, back, sizeof back, &eof);
    yn("receive reaches EOF", eof && got == 0);
    wasi_sockets_types_stream_u8_drop_readable(c.rx);
    finish_future(c.recvd, "receive result");
    wasi_sockets_types_tcp_socket_drop_own(s);
}

static void serve(unsigned port, unsigned n) {
    otcp l; if (!tcp_new(0, &l)) return;
    btcp bl = wasi_sockets_types_borrow_tcp_socket(l);
    ec_t e;
    addr_t at = v4(127, 0, 0, 1, port);
    if (!wasi_sockets_types_method_tcp_socket_bind(bl, &at, &e)) { code("bind", e); return; }
    wasi_sockets_types_stream_own_tcp_socket_t accepts;
    if (!wasi_sockets_types_method_tcp_socket_listen(bl, &accepts, &e)) { code("listen", e); return; }
    yn("listening", wasi_sockets_types_method_tcp_socket_get_is_listening(bl));
    unsigned served = 0; uint64_t bytes = 0;
    static uint8_t buf[65536];
    while (served < n) {
        otcp c;
        guest_waitable_status_t st = wasi_sockets_types_stream_own_tcp_socket_read(accepts, &c, 1);
        if (st == GUEST_WAITABLE_STATUS_BLOCKED) st = wait_on(accepts);
        if (GUEST_WAITABLE_COUNT(st) == 0) { say("listen stream ended\n"); break; }
        conn_t cc; open_conn(wasi_sockets_types_borrow_tcp_socket(c), &cc);
        for (;;) {
            int eof;
            size_t k = 0;
            guest_waitable_status_t r = wasi_sockets_types_stream_u8_read(cc.rx, buf, sizeof buf);
            if (r == GUEST_WAITABLE_STATUS_BLOCKED) r = wait_on(cc.rx);
            k = GUEST_WAITABLE_COUNT(r); eof = GUEST_WAITABLE_STATE(r) == GUEST_WAITABLE_DROPPED;
            bytes += k;
            write_all(cc.tx, buf, k);
            if (eof) break;
        }
        wasi_sockets_types_stream_u8_drop_writable(cc.tx); finish_send(cc.sent, 0);
        wasi_sockets_types_stream_u8_drop_readable(cc.rx); finish_future(cc.recvd, 0);
        wasi_sockets_types_tcp_socket_drop_own(c);
        served++;
    }
    say("served "); say_u(served); say(" connections, "); say_u(bytes); say(" bytes\n");
    wasi_sockets_types_stream_own_tcp_socket_drop_readable(accepts);
    wasi_sockets_types_tcp_socket_drop_own(l);
}

#define MAXC 64
static void self_test(unsigned n, int batches) {
    if (n > MAXC) n = MAXC;
    otcp l; if (!tcp_new(0, &l)) return;
    btcp bl = wasi_sockets_types_borrow_tcp_socket(l);
    ec_t e;
    addr_t lo = v4(127, 0, 0, 1, 0);
    if (!wasi_sockets_types_method_tcp_socket_bind(bl, &lo, &e)) { code("bind", e); return; }
    wasi_sockets_types_stream_own_tcp_socket_t accepts;
    if (!wasi_sockets_types_method_tcp_socket_listen(bl, &accepts, &e)) { code("listen", e); return; }
    yn("listening", wasi_sockets_types_method_tcp_socket_get_is_listening(bl));
    addr_t la = tcp_local(bl);
    // Start every connect as a subtask, then collect them all.
    otcp cs[MAXC]; guest_subtask_status_t st[MAXC];
    wasi_sockets_types_method_tcp_socket_connect_args_t args[MAXC];
    wasi_sockets_types_result_void_error_code_t res[MAXC];
    for (unsigned i = 0; i < n; i++) {
        if (!tcp_new(0, &cs[i])) return;
        args[i].self = wasi_sockets_types_borrow_tcp_socket(cs[i]); args[i].remote_address = la;
        st[i] = wasi_sockets_types_method_tcp_socket_connect(&args[i], &res[i]);
    }
    unsigned connected = 0;
    for (unsigned i = 0; i < n; i++) { wait_subtask(st[i]); connected += !res[i].is_err; }
    // Accept them all through listen's stream.
    otcp ss[MAXC]; unsigned accepted = 0, reads = 0;
    while (accepted < n) {
        guest_waitable_status_t s = wasi_sockets_types_stream_own_tcp_socket_read(accepts, ss + accepted, n - accepted);
        if (s == GUEST_WAITABLE_STATUS_BLOCKED) s = wait_on(accepts);
        accepted += GUEST_WAITABLE_COUNT(s); reads++;
        if (GUEST_WAITABLE_STATE(s) == GUEST_WAITABLE_DROPPED) break;
    }
    say("connected "); say_u(connected); say(", accepted "); say_u(accepted); say("\n");
    if (batches) { say("accept reads: "); say_u(reads); say("\n"); }
    // Each client sends two bytes; each server side echoes; each client checks its own.
    conn_t cc[MAXC], sc[MAXC];
    for (unsigned i = 0; i < n; i++) {
        open_conn(wasi_sockets_types_borrow_tcp_socket(cs[i]), &cc[i]);
        open_conn(wasi_sockets_types_borrow_tcp_socket(ss[i]), &sc[i]);
    }
    for (unsigned i = 0; i < n; i++) { uint8_t m[2] = { 'A' + i % 26, '0' + i % 10 }; write_all(cc[i].tx, m, 2); }
    for (unsigned i = 0; i < n; i++) { uint8_t m[2]; int eof; size_t k = read_n(sc[i].rx, m, 2, &eof); write_all(sc[i].tx, m, k); }
    unsigned right = 0;
    for (unsigned i = 0; i < n; i++) {
        uint8_t m[2] = {0}; int eof;
        right += read_n(cc[i].rx, m, 2, &eof) == 2 && m[0] == 'A' + i % 26 && m[1] == '0' + i % 10;
    }
    say("echoes matching their client: "); say_u(right); say("/"); say_u(n); say("\n");
    for (unsigned i = 0; i < n; i++) {
        conn_t *both[2] = { &cc[i], &sc[i] };
        for (int k = 0; k < 2; k++) {
            wasi_sockets_types_stream_u8_drop_writable(both[k]->tx); finish_send(both[k]->sent, 0);
            wasi_sockets_types_stream_u8_drop_readable(both[k]->rx); finish_future(both[k]->recvd, 0);
        }
        wasi_sockets_types_tcp_socket_drop_own(cs[i]); wasi_sockets_types_tcp_socket_drop_own(ss[i]);
    }
    wasi_sockets_types_stream_own_tcp_socket_drop_readable(accepts);
    wasi_sockets_types_tcp_socket_drop_own(l);
}

static int udp_new(int ipv6, oudp *s) {
    ec_t e;
    if (!wasi_sockets_types_static_udp_socket_create(ipv6 ? WASI_SOCKETS_TYPES_IP_ADDRESS_FAMILY_IPV6 : WASI_SOCKETS_TYPES_IP_ADDRESS_FAMILY_IPV4, s, &e)) {
        code("create udp", e); return 0;
    }
    return 1;
}
static int udp_send(budp s, const uint8_t *p, size_t n, addr_t *to, ec_t *e) {
    wasi_sockets_types_method_udp_socket_send_args_t a;
    memset(&a, 0, sizeof a);
    a.self = s; a.data.ptr = (uint8_t *)p; a.data.len = n;
    if (to) { a.remote_address.is_some = true; a.remote_address.val = *to; }
    wasi_sockets_types_result_void_error_code_t r;
    wait_subtask(wasi_sockets_types_method_udp_socket_send(&a, &r));
    if (r.is_err) { *e = r.val.err; return 1; }
    return 0;
}
static int udp_recv(budp s, size_t *len, uint16_t *from, ec_t *e) {
    wasi_sockets_types_result_tuple2_list_u8_ip_socket_address_error_code_t r;
    wait_subtask(wasi_sockets_types_method_udp_socket_receive(s, &r));
    if (r.is_err) { *e = r.val.err; return 1; }
    *len = r.val.ok.f0.len; if (from) *from = port_of(r.val.ok.f1);
    guest_list_u8_free(&r.val.ok.f0);
    return 0;
}

static void udp(const char *a_s) {
    addr_t peer; ec_t e;
    if (!parse_addr(a_s, &peer)) { say("bad address\n"); return; }
    oudp s; if (!udp_new(0, &s)) return;
    budp bs = wasi_sockets_types_borrow_udp_socket(s);
    size_t len; uint16_t from;
    if (udp_recv(bs, &len, &from, &e)) code("receive unbound", e);
    addr_t lo = v4(127, 0, 0, 1, 0);
    if (!wasi_sockets_types_method_udp_socket_bind(bs, &lo, &e)) { code("bind", e); return; }
    addr_t x;
    if (wasi_sockets_types_method_udp_socket_get_local_address(bs, &x, &e)) yn("bound to a port", port_of(x) != 0);
    if (!wasi_sockets_types_method_udp_socket_get_remote_address(bs, &x, &e)) code("remote-address unconnected", e);
    if (!wasi_sockets_types_method_udp_socket_connect(bs, &peer, &e)) { code("connect", e); return; }
    if (wasi_sockets_types_method_udp_socket_get_remote_address(bs, &x, &e)) yn("remote is the peer", port_of(x) == port_of(peer));
    static uint8_t buf[70000];
    memset(buf, 'u', sizeof buf);
    size_t sizes[3] = { 1, 100, 1400 };
    for (int i = 0; i < 3; i++) {
        if (udp_send(bs, buf, sizes[i], 0, &e)) { code("send connected", e); return; }
        if (udp_recv(bs, &len, &from, &e)) { code("receive connected", e); return; }
        say("connected echo "); say_u(sizes[i]); say(" -> "); say_u(len); say("\n");
    }
    addr_t other = v4(127, 0, 0, 1, port_of(peer) == 9 ? 10 : 9);
    if (udp_send(bs, buf, 5, &other, &e)) code("send to another address while connected", e);
    if (udp_send(bs, buf, 65536, 0, &e)) code("send 65536 bytes", e);
    if (!wasi_sockets_types_method_udp_socket_disconnect(bs, &e)) code("disconnect", e); else ok("disconnect");
    if (!wasi_sockets_types_method_udp_socket_disconnect(bs, &e)) code("disconnect again", e);
    if (!wasi_sockets_types_method_udp_socket_get_remote_address(bs, &x, &e)) code("remote-address after disconnect", e);
    if (udp_send(bs, buf, 5, 0, &e)) code("send without address unconnected", e);
    for (int i = 0; i < 2; i++) {
        if (udp_send(bs, buf, 20 + i, &peer, &e)) { code("send unconnected", e); return; }
        if (udp_recv(bs, &len, &from, &e)) { code("receive unconnected", e); return; }
        say("unconnected echo "); say_u(20 + i); say(" -> "); say_u(len); say("\n");
        yn("from the peer", from == port_of(peer));
    }
    wasi_sockets_types_udp_socket_drop_own(s);
}

static void resolve(const char *name) {
    wasi_sockets_ip_name_lookup_result_list_ip_address_error_code_t r;
    guest_string_t n; guest_string_set(&n, name);
    wait_subtask(wasi_sockets_ip_name_lookup_resolve_addresses(n, &r));
    say("resolve "); say(name); say(": ");
    if (r.is_err) {
        static const char *L[] = { "access-denied", "invalid-argument", "name-unresolvable", "temporary-resolver-failure", "permanent-resolver-failure", "other" };
        say(LOOKUP_TAG(r.val.err) < 6 ? L[LOOKUP_TAG(r.val.err)] : "?"); say("\n");
        return;
    }
    int v4loop = 0, v6loop = 0;
    for (size_t i = 0; i < r.val.ok.len; i++) {
        wasi_sockets_types_ip_address_t a = r.val.ok.ptr[i];
        if (a.tag == WASI_SOCKETS_TYPES_IP_ADDRESS_IPV4) v4loop |= a.val.ipv4.f0 == 127;
        else v6loop |= a.val.ipv6.f7 == 1 && !a.val.ipv6.f0;
    }
    if (!strcmp(name, "localhost")) say(v4loop ? "127.x\n" : "no 127.x\n");
    else { say(v4loop ? "127.0.0.1" : ""); say(v6loop ? "::1" : ""); say("\n"); }
}

#define GET(label, call, T) do { T v; ec_t e; if (call(b, &v, &e)) { say(label); say(" = "); say_u((unsigned long long)v); say("\n"); } else code(label, e); } while (0)
#define SET(label, call, val) do { ec_t e; if (call(b, val, &e)) ok(label); else code(label, e); } while (0)

static void tcp_options(int ipv6) {
    otcp s; if (!tcp_new(ipv6, &s)) return;
    btcp b = wasi_sockets_types_borrow_tcp_socket(s);
    say(ipv6 ? "-- tcp ipv6\n" : "-- tcp ipv4\n");
    yn("family is ipv6", wasi_sockets_types_method_tcp_socket_get_address_family(b) == WASI_SOCKETS_TYPES_IP_ADDRESS_FAMILY_IPV6);
    addr_t a; ec_t e;
    if (!wasi_sockets_types_method_tcp_socket_get_local_address(b, &a, &e)) code("local-address unbound", e);
    if (!wasi_sockets_types_method_tcp_socket_get_remote_address(b, &a, &e)) code("remote-address unconnected", e);
    GET("keep-alive-enabled", wasi_sockets_types_method_tcp_socket_get_keep_alive_enabled, bool);
    SET("set keep-alive-enabled", wasi_sockets_types_method_tcp_socket_set_keep_alive_enabled, true);
    GET("keep-alive-enabled", wasi_sockets_types_method_tcp_socket_get_keep_alive_enabled, bool);
    SET("set keep-alive-idle-time 0", wasi_sockets_types_method_tcp_socket_set_keep_alive_idle_time, 0);
    SET("set keep-alive-idle-time 10s", wasi_sockets_types_method_tcp_socket_set_keep_alive_idle_time, 10000000000ull);
    GET("keep-alive-idle-time", wasi_sockets_types_method_tcp_socket_get_keep_alive_idle_time, uint64_t);
    SET("set keep-alive-interval 5s", wasi_sockets_types_method_tcp_socket_set_keep_alive_interval, 5000000000ull);
    GET("keep-alive-interval", wasi_sockets_types_method_tcp_socket_get_keep_alive_interval, uint64_t);
    SET("set keep-alive-count 0", wasi_sockets_types_method_tcp_socket_set_keep_alive_count, 0);
    SET("set keep-alive-count 9", wasi_sockets_types_method_tcp_socket_set_keep_alive_count, 9);
    GET("keep-alive-count", wasi_sockets_types_method_tcp_socket_get_keep_alive_count, uint32_t);
    SET("set hop-limit 0", wasi_sockets_types_method_tcp_socket_set_hop_limit, 0);
    SET("set hop-limit 42", wasi_sockets_types_method_tcp_socket_set_hop_limit, 42);
    GET("hop-limit", wasi_sockets_types_method_tcp_socket_get_hop_limit, uint8_t);
    SET("set receive-buffer-size 0", wasi_sockets_types_method_tcp_socket_set_receive_buffer_size, 0);
    SET("set receive-buffer-size 65536", wasi_sockets_types_method_tcp_socket_set_receive_buffer_size, 65536);
    GET("receive-buffer-size", wasi_sockets_types_method_tcp_socket_get_receive_buffer_size, uint64_t);
    SET("set send-buffer-size 65536", wasi_sockets_types_method_tcp_socket_set_send_buffer_size, 65536);
    GET("send-buffer-size", wasi_sockets_types_method_tcp_socket_get_send_buffer_size, uint64_t);
    SET("set listen-backlog-size 0", wasi_sockets_types_method_tcp_socket_set_listen_backlog_size, 0);
    SET("set listen-backlog-size 10", wasi_sockets_types_method_tcp_socket_set_listen_backlog_size, 10);
    // p3 binds implicitly on listen.
    wasi_sockets_types_stream_own_tcp_socket_t acc;
    if (wasi_sockets_types_method_tcp_socket_listen(b, &acc, &e)) {
        ok("listen unbound");
        yn("bound by listen", port_of(tcp_local(b)) != 0);
        SET("set listen-backlog-size while listening", wasi_sockets_types_method_tcp_socket_set_listen_backlog_size, 20);
        wasi_sockets_types_stream_own_tcp_socket_drop_readable(acc);
    } else code("listen unbound", e);
    wasi_sockets_types_tcp_socket_drop_own(s);
}

static void udp_options(int ipv6) {
    oudp s; if (!udp_new(ipv6, &s)) return;
    budp b = wasi_sockets_types_borrow_udp_socket(s);
    say(ipv6 ? "-- udp ipv6\n" : "-- udp ipv4\n");
    yn("family is ipv6", wasi_sockets_types_method_udp_socket_get_address_family(b) == WASI_SOCKETS_TYPES_IP_ADDRESS_FAMILY_IPV6);
    SET("set unicast-hop-limit 0", wasi_sockets_types_method_udp_socket_set_unicast_hop_limit, 0);
    SET("set unicast-hop-limit 7", wasi_sockets_types_method_udp_socket_set_unicast_hop_limit, 7);
    GET("unicast-hop-limit", wasi_sockets_types_method_udp_socket_get_unicast_hop_limit, uint8_t);
    SET("set receive-buffer-size 32768", wasi_sockets_types_method_udp_socket_set_receive_buffer_size, 32768);
    GET("receive-buffer-size", wasi_sockets_types_method_udp_socket_get_receive_buffer_size, uint64_t);
    SET("set send-buffer-size 0", wasi_sockets_types_method_udp_socket_set_send_buffer_size, 0);
    SET("set send-buffer-size 32768", wasi_sockets_types_method_udp_socket_set_send_buffer_size, 32768);
    GET("send-buffer-size", wasi_sockets_types_method_udp_socket_get_send_buffer_size, uint64_t);
    wasi_sockets_types_udp_socket_drop_own(s);
}

static void errors(const char *closed_s) {
    addr_t closed; ec_t e;
    if (!parse_addr(closed_s, &closed)) { say("bad address\n"); return; }
    otcp a; if (!tcp_new(0, &a)) return;
    btcp ba = wasi_sockets_types_borrow_tcp_socket(a);
    addr_t six = v6(1, 0), mc = v4(224, 0, 0, 1, 0), lo = v4(127, 0, 0, 1, 0);
    if (!wasi_sockets_types_method_tcp_socket_bind(ba, &six, &e)) code("bind ipv6 address on ipv4 socket", e);
    if (!wasi_sockets_types_method_tcp_socket_bind(ba, &mc, &e)) code("bind multicast", e);
    if (!wasi_sockets_types_method_tcp_socket_bind(ba, &lo, &e)) code("bind", e); else ok("bind");
    if (!wasi_sockets_types_method_tcp_socket_bind(ba, &lo, &e)) code("bind again", e);
    wasi_sockets_types_stream_own_tcp_socket_t acc;
    if (!wasi_sockets_types_method_tcp_socket_listen(ba, &acc, &e)) { code("listen", e); return; }
    wasi_sockets_types_stream_own_tcp_socket_t acc2;
    if (!wasi_sockets_types_method_tcp_socket_listen(ba, &acc2, &e)) code("listen again", e);
    addr_t la = tcp_local(ba);
    otcp b; if (!tcp_new(0, &b)) return;
    btcp bb = wasi_sockets_types_borrow_tcp_socket(b);
    if (!wasi_sockets_types_method_tcp_socket_bind(bb, &la, &e)) code("bind a listening port", e);
    // send/receive on an unconnected socket fail through their futures.
    conn_t c; open_conn(bb, &c);
    finish_send(c.sent, "send unconnected");
    finish_future(c.recvd, "receive unconnected");
    wasi_sockets_types_stream_u8_drop_writable(c.tx); wasi_sockets_types_stream_u8_drop_readable(c.rx);
    wasi_sockets_types_tcp_socket_drop_own(b);
    otcp d; if (!tcp_new(0, &d)) return;
    btcp bd = wasi_sockets_types_borrow_tcp_socket(d);
    if (tcp_connect(bd, v4(0, 0, 0, 0, 80), &e)) code("connect 0.0.0.0", e);
    if (tcp_connect(bd, v4(127, 0, 0, 1, 0), &e)) code("connect port 0", e);
    if (tcp_connect(bd, v6(1, 80), &e)) code("connect ipv6 on ipv4 socket", e);
    if (tcp_connect(bd, closed, &e)) code("connect to a closed port", e);
    if (tcp_connect(bd, la, &e)) code("connect after a failed connect", e);
    wasi_sockets_types_tcp_socket_drop_own(d);
    otcp f; if (!tcp_new(0, &f)) return;
    btcp bf = wasi_sockets_types_borrow_tcp_socket(f);
    if (tcp_connect(bf, la, &e)) { code("connect to own listener", e); return; }
    if (tcp_connect(bf, la, &e)) code("connect while connected", e);
    if (!wasi_sockets_types_method_tcp_socket_listen(bf, &acc2, &e)) code("listen while connected", e);
    wasi_sockets_types_tcp_socket_drop_own(f);
    wasi_sockets_types_stream_own_tcp_socket_drop_readable(acc);
    wasi_sockets_types_tcp_socket_drop_own(a);
    oudp u; if (!udp_new(0, &u)) return;
    budp bu = wasi_sockets_types_borrow_udp_socket(u);
    if (!wasi_sockets_types_method_udp_socket_bind(bu, &six, &e)) code("udp bind ipv6 address on ipv4 socket", e);
    if (!wasi_sockets_types_method_udp_socket_disconnect(bu, &e)) code("udp disconnect unconnected", e);
    addr_t zero = v4(0, 0, 0, 0, 9);
    if (!wasi_sockets_types_method_udp_socket_connect(bu, &zero, &e)) code("udp connect 0.0.0.0", e);
    static uint8_t big[70000];
    if (udp_send(bu, big, sizeof big, &closed, &e)) code("udp send 70000 bytes", e);
    addr_t port0 = v4(127, 0, 0, 1, 0);
    if (udp_send(bu, big, 10, &port0, &e)) code("udp send to port 0", e);
    addr_t six9 = v6(1, 9);
    if (udp_send(bu, big, 10, &six9, &e)) code("udp send to ipv6 on ipv4 socket", e);
    wasi_sockets_types_udp_socket_drop_own(u);
}

static void denied(void) {
    ec_t e;
    otcp s;
    if (wasi_sockets_types_static_tcp_socket_create(WASI_SOCKETS_TYPES_IP_ADDRESS_FAMILY_IPV4, &s, &e)) {
        ok("create tcp");
        btcp b = wasi_sockets_types_borrow_tcp_socket(s);
        addr_t lo = v4(127, 0, 0, 1, 0);
        if (!wasi_sockets_types_method_tcp_socket_bind(b, &lo, &e)) code("tcp bind", e); else ok("tcp bind");
        wasi_sockets_types_stream_own_tcp_socket_t acc;
        if (!wasi_sockets_types_method_tcp_socket_listen(b, &acc, &e)) code("tcp listen", e); else ok("tcp listen");
        wasi_sockets_types_tcp_socket_drop_own(s);
        tcp_new(0, &s);
        if (tcp_connect(wasi_sockets_types_borrow_tcp_socket(s), v4(127, 0, 0, 1, 9), &e)) code("tcp connect", e); else ok("tcp connect");
        wasi_sockets_types_tcp_socket_drop_own(s);
    } else code("create tcp", e);
    oudp u;
    if (wasi_sockets_types_static_udp_socket_create(WASI_SOCKETS_TYPES_IP_ADDRESS_FAMILY_IPV4, &u, &e)) {
        ok("create udp");
        budp b = wasi_sockets_types_borrow_udp_socket(u);
        addr_t lo = v4(127, 0, 0, 1, 0), to = v4(127, 0, 0, 1, 9);
        if (!wasi_sockets_types_method_udp_socket_bind(b, &lo, &e)) code("udp bind", e); else ok("udp bind");
        if (udp_send(b, (const uint8_t *)"x", 1, &to, &e)) code("udp send", e); else ok("udp send");
        wasi_sockets_types_udp_socket_drop_own(u);
    } else code("create udp", e);
    resolve("localhost");
}

static void bench_echo(const char *a_s, unsigned mib) {
    addr_t a; ec_t e; if (!parse_addr(a_s, &a)) return;
    otcp s; tcp_new(0, &s);
    btcp bs = wasi_sockets_types_borrow_tcp_socket(s);
    if (tcp_connect(bs, a, &e)) { code("connect", e); return; }
    conn_t c; open_conn(bs, &c);
    size_t total = (size_t)mib << 20;
    static uint8_t src[1 << 20], dst[1 << 20];
    size_t n = pump(&c, src, sizeof src, dst, sizeof dst, total, 256 * 1024);
    say("echoed "); say_u(n); say("\n");
}

static void fault_send(const char *a_s, unsigned mib) {
    addr_t a; ec_t e; if (!parse_addr(a_s, &a)) return;
    otcp s; tcp_new(0, &s);
    btcp bs = wasi_sockets_types_borrow_tcp_socket(s);
    if (tcp_connect(bs, a, &e)) { code("connect", e); return; }
    conn_t c; open_conn(bs, &c);
    static uint8_t buf[1 << 20];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 7 + 3);
    size_t total = 0;
    for (unsigned i = 0; i < mib; i++) {
        size_t n = write_all(c.tx, buf, sizeof buf);
        total += n;
        if (n < sizeof buf) break;
    }
    if (total == (size_t)mib << 20) { say("sent "); say_u(total); say("\n"); } else say("send: dropped\n");
    wasi_sockets_types_stream_u8_drop_writable(c.tx);
    finish_send(c.sent, "send result");
    static uint8_t sink[65536]; int eof = 0;
    while (!eof) read_n(c.rx, sink, sizeof sink, &eof);
    wasi_sockets_types_stream_u8_drop_readable(c.rx);
    finish_future(c.recvd, "receive result");
    wasi_sockets_types_tcp_socket_drop_own(s);
    say("done\n");
}

static void bench_small(const char *a_s, unsigned n) {
    addr_t a; ec_t e; if (!parse_addr(a_s, &a)) return;
    otcp s; tcp_new(0, &s);
    btcp bs = wasi_sockets_types_borrow_tcp_socket(s);
    if (tcp_connect(bs, a, &e)) { code("connect", e); return; }
    conn_t c; open_conn(bs, &c);
    unsigned okn = 0;
    for (unsigned i = 0; i < n; i++) {
        uint8_t m[4]; int eof;
        write_all(c.tx, (const uint8_t *)"ping", 4);
        okn += read_n(c.rx, m, 4, &eof) == 4;
    }
    say("round trips "); say_u(okn); say("\n");
}

static void bench_udp(const char *a_s, unsigned n) {
    addr_t a; ec_t e; if (!parse_addr(a_s, &a)) return;
    oudp u; udp_new(0, &u);
    budp b = wasi_sockets_types_borrow_udp_socket(u);
    addr_t lo = v4(127, 0, 0, 1, 0);
    wasi_sockets_types_method_udp_socket_bind(b, &lo, &e);
    wasi_sockets_types_method_udp_socket_connect(b, &a, &e);
    static uint8_t payload[64];
    unsigned got = 0;
    for (unsigned i = 0; i < n; i++) {
        size_t len;
        if (udp_send(b, payload, sizeof payload, 0, &e)) { code("send", e); return; }
        if (udp_recv(b, &len, 0, &e)) { code("receive", e); return; }
        got++;
    }
    say("datagrams "); say_u(got); say("\n");
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

// `confused`: reads listen's stream of sockets (host-created, payload `own<tcp-socket>`)
// through the byte streams' `stream.read` (GHSA-9pvw-hwfg-92h5); says so if it returns.
static void confused(void) {
    otcp l; if (!tcp_new(0, &l)) return;
    ec_t e;
    wasi_sockets_types_stream_own_tcp_socket_t accepts;
    if (!wasi_sockets_types_method_tcp_socket_listen(wasi_sockets_types_borrow_tcp_socket(l), &accepts, &e)) { code("listen", e); return; }
    say("listening\n");
    static uint8_t buf[16];
    guest_waitable_status_t st = wasi_sockets_types_stream_u8_read((rstream)accepts, buf, sizeof buf);
    say(st == GUEST_WAITABLE_STATUS_BLOCKED ? "read as bytes: blocked\n" : "read as bytes: returned\n");
}

guest_callback_code_t exports_wasi_cli_run_run(void) {
    ws = guest_waitable_set_new();
#ifdef RC_2026_01_06
    wasi_cli_stdout_result_void_error_code_t out_res;
    guest_subtask_status_t out_st = wasi_cli_stdout_write_via_stream(wasi_cli_stdout_stream_u8_new(&out_w), &out_res);
#else
    wasi_cli_stdout_future_result_void_error_code_t out_done = wasi_cli_stdout_write_via_stream(wasi_cli_stdout_stream_u8_new(&out_w));
#endif
    guest_list_string_t args;
    wasi_cli_environment_get_arguments(&args);
    if (arg_is(&args, 1, "echo")) echo(arg(&args, 2));
    else if (arg_is(&args, 1, "serve")) serve(argu(&args, 2), argu(&args, 3));
    else if (arg_is(&args, 1, "self")) self_test(argu(&args, 2), arg_is(&args, 3, "batches"));
    else if (arg_is(&args, 1, "udp")) udp(arg(&args, 2));
    else if (arg_is(&args, 1, "lookup")) { resolve("127.0.0.1"); resolve("::1"); resolve("[::1]"); resolve("a b"); resolve(""); resolve("localhost"); }
    else if (arg_is(&args, 1, "options")) { tcp_options(0); tcp_options(1); udp_options(0); udp_options(1); }
    else if (arg_is(&args, 1, "errors")) errors(arg(&args, 2));
    else if (arg_is(&args, 1, "denied")) denied();
    else if (arg_is(&args, 1, "confused")) confused();
    else if (arg_is(&args, 1, "bench-echo")) bench_echo(arg(&args, 2), argu(&args, 3));
    else if (arg_is(&args, 1, "fault-send")) fault_send(arg(&args, 2), argu(&args, 3));
    else if (arg_is(&args, 1, "bench-small")) bench_small(arg(&args, 2), argu(&args, 3));
    else if (arg_is(&args, 1, "bench-udp")) bench_udp(arg(&args, 2), argu(&args, 3));
    else say("unknown mode\n");
    guest_list_string_free(&args);
    wasi_cli_stdout_stream_u8_drop_writable(out_w);
#ifdef RC_2026_01_06
    wait_subtask(out_st);
#else
    wasi_cli_stdout_result_void_error_code_t r;
    if (wasi_cli_stdout_future_result_void_error_code_read(out_done, &r) == GUEST_WAITABLE_STATUS_BLOCKED) wait_on(out_done);
    wasi_cli_stdout_future_result_void_error_code_drop_readable(out_done);
#endif
    guest_waitable_set_drop(ws);
    exports_wasi_cli_run_run_return((exports_wasi_cli_run_result_void_void_t){ .is_err = false });
    return GUEST_CALLBACK_CODE_EXIT;
}
guest_callback_code_t exports_wasi_cli_run_run_callback(guest_event_t *e) { (void)e; return GUEST_CALLBACK_CODE_EXIT; }
