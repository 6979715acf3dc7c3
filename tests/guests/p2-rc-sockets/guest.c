// A guest of WASI 0.2.0-rc-2023-11-10 (`wit-bindgen c` against wit/p2-rc-2023-11-10): for a
// TCP and a UDP socket of each family it prints `ipv6-only`, `set-ipv6-only(true)` and
// `set-ipv6-only(false)` — functions of the candidate that 0.2.0 dropped.
#include <string.h>
#include "guest.h"

static wasi_cli_stdout_own_output_stream_t out;

static void say(const char *s) {
    guest_list_u8_t l = { (uint8_t *)s, strlen(s) };
    wasi_io_streams_stream_error_t e;
    wasi_io_streams_method_output_stream_blocking_write_and_flush(
        wasi_io_streams_borrow_output_stream(out), &l, &e);
}

static const char *code(wasi_sockets_network_error_code_t e) {
    switch (e) {
    case WASI_SOCKETS_NETWORK_ERROR_CODE_ACCESS_DENIED: return "access-denied";
    case WASI_SOCKETS_NETWORK_ERROR_CODE_NOT_SUPPORTED: return "not-supported";
    case WASI_SOCKETS_NETWORK_ERROR_CODE_INVALID_STATE: return "invalid-state";
    default: return "other error";
    }
}

static void report(const char *what, bool ok, bool value, wasi_sockets_network_error_code_t e) {
    say(what);
    say(ok ? (value ? ": true\n" : ": ok\n") : ": ");
    if (!ok) { say(code(e)); say("\n"); }
}

// probe_tcp and probe_udp: the same calls on a socket of each kind.
#define PROBE(kind)                                                                              \
static void probe_##kind(wasi_sockets_network_ip_address_family_t family) {                   \
    wasi_sockets_##kind##_create_socket_own_##kind##_socket_t s;                                \
    wasi_sockets_network_error_code_t e;                                                        \
    if (!wasi_sockets_##kind##_create_socket_create_##kind##_socket(family, &s, &e)) {          \
        report("  create", false, false, e);                                                    \
        return;                                                                                 \
    }                                                                                           \
    wasi_sockets_##kind##_borrow_##kind##_socket_t b = wasi_sockets_##kind##_borrow_##kind##_socket(s); \
    bool v = false;                                                                             \
    bool ok = wasi_sockets_##kind##_method_##kind##_socket_ipv6_only(b, &v, &e);                \
    if (ok && !v) say("  ipv6-only: false\n"); else report("  ipv6-only", ok, v, e);            \
    report("  set-ipv6-only true",                                                              \
           wasi_sockets_##kind##_method_##kind##_socket_set_ipv6_only(b, true, &e), false, e);  \
    report("  set-ipv6-only false",                                                             \
           wasi_sockets_##kind##_method_##kind##_socket_set_ipv6_only(b, false, &e), false, e); \
    wasi_sockets_##kind##_##kind##_socket_drop_own(s);                                          \
}
PROBE(tcp)
PROBE(udp)

bool exports_wasi_cli_run_run(void) {
    out = wasi_cli_stdout_get_stdout();
    say("tcp ipv4\n"); probe_tcp(WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV4);
    say("tcp ipv6\n"); probe_tcp(WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV6);
    say("udp ipv4\n"); probe_udp(WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV4);
    say("udp ipv6\n"); probe_udp(WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV6);
    wasi_io_streams_output_stream_drop_own(out);
    return true;
}
