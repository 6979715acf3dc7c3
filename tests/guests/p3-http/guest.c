// A wasi:http@0.3.0 handler (the service world) calling wasi:http directly (wit-bindgen c
// bindings, async component model). The request path picks the mode, as in p2-http:
//
//   /hello             response.new with a body stream, returned at once; then the 30 bytes
//                      "Hello, wasi:http/proxy world!\n" are written, no content-length
//   /echo              copies the request body to the response body as it arrives (full
//                      duplex: the response is returned before the body is read)
//   /forward           hands the request's own body stream and trailers to the response
//   /splice[?length=N][&trailer=NAMES]  the same with `content-length: N` and `trailer: NAMES`
//                      in the response's headers; prints `splice: ok` or `splice: error CODE`
//                      (the response's transmission result) on stdout
//   /info              method, scheme, authority, path and the request's headers, one per line;
//                      then what setting forbidden / invalid response headers returned
//   /length/short      content-length: 10 with 5 bytes written
//   /length/long       content-length: 3 with 5 bytes written
//   /bytes/N           N bytes of 'x' in one response (64 KiB stream writes)
//   /trailers          reads the request body and its trailers, answers with their count and
//                      values, and ends with trailers `x-reply: done` (declared in `trailer`)
//   /fields/N          appends N fields of 1000 bytes to a new fields resource; answers
//                      `appended K` and, when an append failed, `, then ERROR` (the
//                      host's field size limit)
//   /names/N           a response with up to N fields of distinct short names and empty values
//                      (`x-0`, `x-1`, …, appended until one fails), body `appended K` and, if
//                      an append failed, `, then ERROR` (GHSA-gwgc-gc57-mv5f)
//   /set-err           handle returns err(internal-error)
//   /status/N          a response whose status code is set to N (0-65535); the body says
//                      `status N: set`, or `: refused` when set-status-code failed (then 200)
//   /trap              traps
//   /spin              never returns (for `-W timeout`)
//   /proxy/PORT        the same with no path-with-query set at all
//   /oob-zero          a zero-length body write from a pointer past the end of memory
//   /cancel-wrong-end  cancels a pending read with `stream.cancel-write` on the reading end,
//                      then drops both ends as writers (GHSA-xrvr-8678-5wp8: a wasmtime 48.0.8
//                      bug; a fixed runtime traps at the cancel); answers 200 if it got through
//   /handles/N         creates N `fields` resources, keeping them all, then drops them and
//                      answers `handles N` (unless the host's handle limit trapped first)
//   /paths             sets each of a list of path-with-query values (relative, absolute
//                      forms) on a new request; one line each: what reads back, or `refused`
//   /content-length    tries to give a fields resource two or malformed content-lengths
//                      (append, set, from-list); one line each: `ok` or the header error
//   /proxy/PORT/~PATH  the same with PATH set as a relative reference (no leading `/`)
//   /proxy/PORT/PATH[?timeout-ms=N]  GET http://127.0.0.1:PORT/PATH through client.send
//                      (timeout-ms: all three timeouts, 0 too); answers with the
//                      upstream's status, body and trailers (as body lines),
//                      or 502 and `error: CODE`; `?transmission` instead of a timeout adds
//                      a `transmission: ok|error CODE` line: what the request's
//                      transmission future (from request.new) said
//   /authorities       sets each authority of a list (valid ones, then the spec's invalid
//                      ones) on one new request: one line each, `"A": ok` or `"A": refused`
//   /unsent            builds a request, drops it unsent, and answers with what its
//                      transmission future said
//   anything else      404
//
// Each request prints `request: PATH` on stdout.
// Built with RC_2026_01_06 defined (../p3-http-rc-2026-01-06/guest.c), it is the same handler
// against WASI 0.3.0-rc-2026-01-06, whose `header-error` lacks `size-exceeded` and `other` and
// whose stdout's write-via-stream is an `async func`; with RC_2025_09_16 too
// (../p3-http-rc-2025-09-16/guest.c), against 0.3.0-rc-2025-09-16 (its `proxy` world), which
// sends requests through an imported `handler` instead of `client`.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"

typedef wasi_http_types_stream_u8_writer_t body_w;
typedef wasi_http_types_stream_u8_t body_r;
typedef wasi_http_types_future_result_option_own_trailers_error_code_writer_t trailers_w;
typedef wasi_http_types_future_result_option_own_trailers_error_code_t trailers_r;

static guest_waitable_set_t ws;

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

static guest_string_t str(const char *s) { return (guest_string_t){ (uint8_t *)s, strlen(s) }; }
static int starts(guest_string_t *s, const char *p) {
    size_t n = strlen(p);
    return s->len >= n && memcmp(s->ptr, p, n) == 0;
}
static int is(guest_string_t *s, const char *p) { return s->len == strlen(p) && memcmp(s->ptr, p, s->len) == 0; }

static char buf[65536];
static size_t pos;
static void put_n(const void *p, size_t n) {
    if (n > sizeof buf - pos) n = sizeof buf - pos;
    memcpy(buf + pos, p, n); pos += n;
}
static void put_s(const char *s) { put_n(s, strlen(s)); }
static void put_u(unsigned long long v) {
    char t[24]; int i = 0;
    do { t[i++] = '0' + v % 10; v /= 10; } while (v);
    while (i) { char c = t[--i]; put_n(&c, 1); }
}

// Writes all of p; 0 when the reader left.
static int write_body(body_w w, const uint8_t *p, size_t n) {
    while (n > 0) {
        guest_waitable_status_t st = wasi_http_types_stream_u8_write(w, p, n);
        if (st == GUEST_WAITABLE_STATUS_BLOCKED) st = wait_on(w);
        size_t done = GUEST_WAITABLE_COUNT(st);
        p += done; n -= done;
        if (GUEST_WAITABLE_STATE(st) == GUEST_WAITABLE_DROPPED) return n == 0;
    }
    return 1;
}

// Reads up to n bytes; returns the count, 0 at the end.
static size_t read_body(body_r r, uint8_t *p, size_t n) {
    for (;;) {
        guest_waitable_status_t st = wasi_http_types_stream_u8_read(r, p, n);
        if (st == GUEST_WAITABLE_STATUS_BLOCKED) st = wait_on(r);
        size_t got = GUEST_WAITABLE_COUNT(st);
        if (got > 0) return got;
        if (GUEST_WAITABLE_STATE(st) == GUEST_WAITABLE_DROPPED) return 0;
    }
}

static void log_line(const char *what, guest_string_t *path) {
    wasi_cli_stdout_stream_u8_writer_t w;
    wasi_cli_stdout_stream_u8_t r = wasi_cli_stdout_stream_u8_new(&w);
#ifdef RC_2026_01_06
    wasi_cli_stdout_result_void_error_code_t res;
    guest_subtask_status_t done = wasi_cli_stdout_write_via_stream(r, &res);
#else
    wasi_cli_stdout_future_result_void_error_code_t done = wasi_cli_stdout_write_via_stream(r);
#endif
    char line[512];
    size_t n = 0;
    for (const char *s = what; *s && n < sizeof line; s++) line[n++] = *s;
    for (size_t i = 0; i < path->len && n < sizeof line - 1; i++) line[n++] = path->ptr[i];
    line[n++] = '\n';
    const uint8_t *p = (const uint8_t *)line;
    while (n > 0) {
        guest_waitable_status_t st = wasi_cli_stdout_stream_u8_write(w, p, n);
        if (st == GUEST_WAITABLE_STATUS_BLOCKED) st = wait_on(w);
        size_t k = GUEST_WAITABLE_COUNT(st);
        p += k; n -= k;
        if (GUEST_WAITABLE_STATE(st) == GUEST_WAITABLE_DROPPED) break;
    }
    wasi_cli_stdout_stream_u8_drop_writable(w);
#ifdef RC_2026_01_06
    wait_subtask(done);
#else
    wasi_cli_stdout_result_void_error_code_t res;
    if (wasi_cli_stdout_future_result_void_error_code_read(done, &res) == GUEST_WAITABLE_STATUS_BLOCKED) wait_on(done);
    wasi_cli_stdout_future_result_void_error_code_drop_readable(done);
#endif
}

static const char *error_name(wasi_http_types_error_code_t *e) {
    switch (e->tag) {
    case WASI_HTTP_TYPES_ERROR_CODE_DNS_ERROR: return "DNS-error";
    case WASI_HTTP_TYPES_ERROR_CODE_CONNECTION_REFUSED: return "connection-refused";
    case WASI_HTTP_TYPES_ERROR_CODE_CONNECTION_TERMINATED: return "connection-terminated";
    case WASI_HTTP_TYPES_ERROR_CODE_CONNECTION_TIMEOUT: return "connection-timeout";
    case WASI_HTTP_TYPES_ERROR_CODE_CONNECTION_READ_TIMEOUT: return "connection-read-timeout";
    case WASI_HTTP_TYPES_ERROR_CODE_HTTP_REQUEST_BODY_SIZE: return "HTTP-request-body-size";
    case WASI_HTTP_TYPES_ERROR_CODE_HTTP_RESPONSE_BODY_SIZE: return "HTTP-response-body-size";
    case WASI_HTTP_TYPES_ERROR_CODE_HTTP_RESPONSE_INCOMPLETE: return "HTTP-response-incomplete";
    case WASI_HTTP_TYPES_ERROR_CODE_HTTP_RESPONSE_TIMEOUT: return "HTTP-response-timeout";
    case WASI_HTTP_TYPES_ERROR_CODE_HTTP_PROTOCOL_ERROR: return "HTTP-protocol-error";
    case WASI_HTTP_TYPES_ERROR_CODE_HTTP_REQUEST_URI_INVALID: return "HTTP-request-URI-invalid";
    case WASI_HTTP_TYPES_ERROR_CODE_INTERNAL_ERROR: return "internal-error";
    default: return "other";
    }
}

static const char *header_error_name(wasi_http_types_header_error_t *e) {
    switch (e->tag) {
    case WASI_HTTP_TYPES_HEADER_ERROR_INVALID_SYNTAX: return "invalid-syntax";
    case WASI_HTTP_TYPES_HEADER_ERROR_FORBIDDEN: return "forbidden";
    case WASI_HTTP_TYPES_HEADER_ERROR_IMMUTABLE: return "immutable";
#ifndef RC_2026_01_06
    case WASI_HTTP_TYPES_HEADER_ERROR_SIZE_EXCEEDED: return "size-exceeded";
#endif
    default: return "other";
    }
}

// ---- responses ----
typedef struct {
    body_w body;
    trailers_w trailers;
    wasi_http_types_future_result_void_error_code_t result;
} reply_t;

// Builds a response with `fields` and a body stream, and returns it from the handler.
// Whether the last `respond` could set its status code (else the response keeps 200).
static int status_set;

static reply_t respond(uint16_t status, wasi_http_types_own_fields_t fields) {
    reply_t r;
    body_r contents = wasi_http_types_stream_u8_new(&r.body);
    trailers_r trailers = wasi_http_types_future_result_option_own_trailers_error_code_new(&r.trailers);
    wasi_http_types_tuple2_own_response_future_result_void_error_code_t made;
    wasi_http_types_static_response_new(fields, &contents, trailers, &made);
    status_set = wasi_http_types_method_response_set_status_code(wasi_http_types_borrow_response(made.f0), status);
    r.result = made.f1;
    exports_wasi_http_handler_result_own_response_error_code_t ret = { .is_err = false };
    ret.val.ok = made.f0;
    exports_wasi_http_handler_handle_return(ret);
    return r;
}

// Ends a body with optional trailers and reports a failed transmission on stderr.
static void finish(reply_t r, wasi_http_types_own_fields_t *trailers) {
    wasi_http_types_stream_u8_drop_writable(r.body);
    wasi_http_types_result_option_own_trailers_error_code_t t = { .is_err = false };
    t.val.ok.is_some = trailers != NULL;
    if (trailers) t.val.ok.val = *trailers;
    if (wasi_http_types_future_result_option_own_trailers_error_code_write(r.trailers, &t) == GUEST_WAITABLE_STATUS_BLOCKED)
        wait_on(r.trailers);
    wasi_http_types_future_result_option_own_trailers_error_code_drop_writable(r.trailers);
    wasi_http_types_result_void_error_code_t res;
    if (wasi_http_types_future_result_void_error_code_read(r.result, &res) == GUEST_WAITABLE_STATUS_BLOCKED)
        wait_on(r.result);
    wasi_http_types_future_result_void_error_code_drop_readable(r.result);
}

static void reply_text(uint16_t status) {
    reply_t r = respond(status, wasi_http_types_constructor_fields());
    write_body(r.body, (uint8_t *)buf, pos);
    pos = 0;
    finish(r, NULL);
}

// consume-body on a request, with a result future whose writer is dropped.
static wasi_http_types_tuple2_stream_u8_future_result_option_own_trailers_error_code_t
consume_request(wasi_http_types_own_request_t req) {
    wasi_http_types_future_result_void_error_code_writer_t res_w;
    wasi_http_types_future_result_void_error_code_t res = wasi_http_types_future_result_void_error_code_new(&res_w);
    wasi_http_types_tuple2_stream_u8_future_result_option_own_trailers_error_code_t out;
    wasi_http_types_static_request_consume_body(req, res, &out);
    wasi_http_types_result_void_error_code_t ok = { .is_err = false };
    if (wasi_http_types_future_result_void_error_code_write(res_w, &ok) == GUEST_WAITABLE_STATUS_BLOCKED)
        wait_on(res_w);
    wasi_http_types_future_result_void_error_code_drop_writable(res_w);
    return out;
}

// Waits for a trailers future and appends them as lines.
static void put_trailers(trailers_r tr) {
    wasi_http_types_result_option_own_trailers_error_code_t t;
    if (wasi_http_types_future_result_option_own_trailers_error_code_read(tr, &t) == GUEST_WAITABLE_STATUS_BLOCKED)
        wait_on(tr);
    wasi_http_types_future_result_option_own_trailers_error_code_drop_readable(tr);
    if (t.is_err) {
        put_s("trailers: error "); put_s(error_name(&t.val.err)); put_s("\n");
    } else if (!t.val.ok.is_some) {
        put_s("trailers: none\n");
    } else {
        wasi_http_types_list_tuple2_field_name_field_value_t entries;
        wasi_http_types_method_fields_copy_all(wasi_http_types_borrow_fields(t.val.ok.val), &entries);
        put_s("trailers: "); put_u(entries.len); put_s("\n");
        for (size_t i = 0; i < entries.len; i++) {
            put_s("trailer ");
            put_n(entries.ptr[i].f0.ptr, entries.ptr[i].f0.len); put_s(": ");
            put_n(entries.ptr[i].f1.ptr, entries.ptr[i].f1.len); put_s("\n");
        }
        wasi_http_types_list_tuple2_field_name_field_value_free(&entries);
        wasi_http_types_fields_drop_own(t.val.ok.val);
    }
}

static void hello(void) {
    reply_t r = respond(200, wasi_http_types_constructor_fields());
    const char *msg = "Hello, wasi:http/proxy world!\n";
    write_body(r.body, (const uint8_t *)msg, strlen(msg));
    finish(r, NULL);
}

static uint8_t chunk[65536];

static void echo(wasi_http_types_own_request_t req) {
    wasi_http_types_tuple2_stream_u8_future_result_option_own_trailers_error_code_t in = consume_request(req);
    reply_t r = respond(200, wasi_http_types_constructor_fields());
    size_t n;
    while ((n = read_body(in.f0, chunk, sizeof chunk)) > 0)
        if (!write_body(r.body, chunk, n)) break;
    wasi_http_types_stream_u8_drop_readable(in.f0);
    wasi_http_types_future_result_option_own_trailers_error_code_drop_readable(in.f1);
    finish(r, NULL);
}

// Appends fields named PREFIX0, PREFIX1, ... with `value` to `f` until `n` are in or one
// fails; then says `appended K` and, after a failure, `, then ERROR` (into the line buffer).
static void append_numbered(wasi_http_types_own_fields_t f, const char *prefix,
                            const char *value, size_t value_len, unsigned long long n) {
    unsigned long long k = 0;
    wasi_http_types_header_error_t he;
    int failed = 0;
    for (; k < n; k++) {
        char name[32];
        size_t len = strlen(prefix), j = k;
        memcpy(name, prefix, len);
        char digits[24]; size_t d = 0;
        do { digits[d++] = '0' + j % 10; j /= 10; } while (j);
        while (d) name[len++] = digits[--d];
        wasi_http_types_field_name_t fn = { (uint8_t *)name, len };
        wasi_http_types_field_value_t fv = { (uint8_t *)value, value_len };
        if (!wasi_http_types_method_fields_append(wasi_http_types_borrow_fields(f), &fn, &fv, &he)) { failed = 1; break; }
    }
    put_s("appended "); put_u(k);
    if (failed) { put_s(", then "); put_s(header_error_name(&he)); }
    put_s("\n");
}

static unsigned long long number_after(guest_string_t *path, const char *prefix) {
    unsigned long long n = 0;
    for (size_t i = strlen(prefix); i < path->len; i++) n = n * 10 + (path->ptr[i] - '0');
    return n;
}

static char big_value[1000];
static void fields_limit(guest_string_t *path) {
    memset(big_value, 'v', sizeof big_value);
    wasi_http_types_own_fields_t f = wasi_http_types_constructor_fields();
    append_numbered(f, "x-f-", big_value, sizeof big_value, number_after(path, "/fields/"));
    wasi_http_types_fields_drop_own(f);
    reply_text(200);
}

// `/names/N`: a response carrying up to N distinct field names (GHSA-gwgc-gc57-mv5f: an
// `http::HeaderMap` holds 2^15, and hyper panicked adding its own to a full one).
static void many_names(guest_string_t *path) {
    wasi_http_types_own_fields_t f = wasi_http_types_constructor_fields();
    append_numbered(f, "x-", "", 0, number_after(path, "/names/"));
    reply_t r = respond(200, f);
    write_body(r.body, (uint8_t *)buf, pos);
    pos = 0;
    finish(r, NULL);
}

// `/status/N`: a response whose status code is set to N; the body says whether that was taken.
static void status_mode(guest_string_t *path) {
    unsigned long long n = number_after(path, "/status/");
    reply_t r = respond((uint16_t)n, wasi_http_types_constructor_fields());
    put_s("status "); put_u(n); put_s(status_set ? ": set\n" : ": refused\n");
    write_body(r.body, (uint8_t *)buf, pos);
    pos = 0;
    finish(r, NULL);
}

// `/oob-zero`: a zero-length write to the response body from a pointer past the end of
// memory (GHSA-93g3-36p8-x2gc); the body then says what came back, if anything.
static void oob_zero(void) {
    reply_t r = respond(200, wasi_http_types_constructor_fields());
    guest_waitable_status_t s = wasi_http_types_stream_u8_write(r.body, (const uint8_t *)(uintptr_t)0xFFFFFFF0u, 0);
    if (s == GUEST_WAITABLE_STATUS_BLOCKED) s = wait_on(r.body);
    put_s("oob zero-length write: "); put_u(GUEST_WAITABLE_COUNT(s)); put_s("\n");
    write_body(r.body, (uint8_t *)buf, pos);
    pos = 0;
    finish(r, NULL);
}

static void bytes(guest_string_t *path) {
    unsigned long long n = 0;
    for (size_t i = strlen("/bytes/"); i < path->len; i++) n = n * 10 + (path->ptr[i] - '0');
    memset(chunk, 'x', sizeof chunk);
    reply_t r = respond(200, wasi_http_types_constructor_fields());
    while (n > 0) {
        size_t k = n > sizeof chunk ? sizeof chunk : n;
        if (!write_body(r.body, chunk, k)) break;
        n -= k;
    }
    finish(r, NULL);
}

static void forward(wasi_http_types_own_request_t req) {
    wasi_http_types_tuple2_stream_u8_future_result_option_own_trailers_error_code_t in = consume_request(req);
    wasi_http_types_tuple2_own_response_future_result_void_error_code_t made;
    wasi_http_types_static_response_new(wasi_http_types_constructor_fields(), &in.f0, in.f1, &made);
    exports_wasi_http_handler_result_own_response_error_code_t ret = { .is_err = false };
    ret.val.ok = made.f0;
    exports_wasi_http_handler_handle_return(ret);
    wasi_http_types_result_void_error_code_t res;
    if (wasi_http_types_future_result_void_error_code_read(made.f1, &res) == GUEST_WAITABLE_STATUS_BLOCKED)
        wait_on(made.f1);
    wasi_http_types_future_result_void_error_code_drop_readable(made.f1);
}

// The value of `name=` in `path`'s query (up to `&`), or an empty string.
static guest_string_t query_value(guest_string_t *path, const char *name) {
    size_t n = strlen(name);
    for (size_t i = 0; i + n < path->len; i++) {
        if ((path->ptr[i] == '?' || path->ptr[i] == '&') && memcmp(path->ptr + i + 1, name, n) == 0) {
            size_t start = i + 1 + n, end = start;
            while (end < path->len && path->ptr[end] != '&') end++;
            return (guest_string_t){ path->ptr + start, end - start };
        }
    }
    return (guest_string_t){ path->ptr, 0 };
}

// `/splice[?length=N][&trailer=NAMES]`: the request's own body stream and trailers handed to
// a response whose headers declare `content-length: N` and `trailer: NAMES`; then prints
// the response's transmission result on stdout (`splice: ok` or `splice: error CODE`).
static void splice(wasi_http_types_own_request_t req, guest_string_t *path) {
    wasi_http_types_own_fields_t f = wasi_http_types_constructor_fields();
    wasi_http_types_header_error_t he;
    static const char *const names[] = { "content-length", "trailer" };
    guest_string_t values[] = { query_value(path, "length="), query_value(path, "trailer=") };
    for (int i = 0; i < 2; i++) {
        if (values[i].len == 0) continue;
        wasi_http_types_field_name_t n = str(names[i]);
        wasi_http_types_field_value_t v = { values[i].ptr, values[i].len };
        wasi_http_types_method_fields_append(wasi_http_types_borrow_fields(f), &n, &v, &he);
    }
    wasi_http_types_tuple2_stream_u8_future_result_option_own_trailers_error_code_t in = consume_request(req);
    wasi_http_types_tuple2_own_response_future_result_void_error_code_t made;
    wasi_http_types_static_response_new(f, &in.f0, in.f1, &made);
    exports_wasi_http_handler_result_own_response_error_code_t ret = { .is_err = false };
    ret.val.ok = made.f0;
    exports_wasi_http_handler_handle_return(ret);
    wasi_http_types_result_void_error_code_t res;
    if (wasi_http_types_future_result_void_error_code_read(made.f1, &res) == GUEST_WAITABLE_STATUS_BLOCKED)
        wait_on(made.f1);
    wasi_http_types_future_result_void_error_code_drop_readable(made.f1);
    guest_string_t said = str(res.is_err ? error_name(&res.val.err) : "ok");
    log_line(res.is_err ? "splice: error " : "splice: ", &said);
}

static void info(wasi_http_types_own_request_t req) {
    wasi_http_types_borrow_request_t b = wasi_http_types_borrow_request(req);
    wasi_http_types_method_t m;
    wasi_http_types_method_request_get_method(b, &m);
    static const char *names[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH" };
    put_s("method: ");
    if (m.tag < 9) put_s(names[m.tag]); else put_n(m.val.other.ptr, m.val.other.len);
    put_s("\n");
    wasi_http_types_method_free(&m);
    wasi_http_types_scheme_t sc;
    put_s("scheme: ");
    if (wasi_http_types_method_request_get_scheme(b, &sc)) {
        put_s(sc.tag == WASI_HTTP_TYPES_SCHEME_HTTP ? "http" : sc.tag == WASI_HTTP_TYPES_SCHEME_HTTPS ? "https" : "other");
        wasi_http_types_scheme_free(&sc);
    } else put_s("none");
    put_s("\n");
    guest_string_t s;
    put_s("authority: ");
    if (wasi_http_types_method_request_get_authority(b, &s)) { put_n(s.ptr, s.len); guest_string_free(&s); }
    else put_s("none");
    put_s("\npath: ");
    if (wasi_http_types_method_request_get_path_with_query(b, &s)) { put_n(s.ptr, s.len); guest_string_free(&s); }
    else put_s("none");
    put_s("\n");
    wasi_http_types_own_headers_t h = wasi_http_types_method_request_get_headers(b);
    wasi_http_types_list_tuple2_field_name_field_value_t entries;
    wasi_http_types_method_fields_copy_all(wasi_http_types_borrow_fields(h), &entries);
    for (size_t i = 0; i < entries.len; i++) {
        put_s("header ");
        put_n(entries.ptr[i].f0.ptr, entries.ptr[i].f0.len); put_s(": ");
        put_n(entries.ptr[i].f1.ptr, entries.ptr[i].f1.len); put_s("\n");
    }
    wasi_http_types_list_tuple2_field_name_field_value_free(&entries);
    wasi_http_types_header_error_t he;
    wasi_http_types_field_name_t n = str("x-new");
    wasi_http_types_field_value_t v = { (uint8_t *)"1", 1 };
    put_s("append to request headers: ");
    put_s(wasi_http_types_method_fields_append(wasi_http_types_borrow_fields(h), &n, &v, &he) ? "ok" : header_error_name(&he));
    put_s("\n");
    wasi_http_types_fields_drop_own(h);
    wasi_http_types_request_drop_own(req);
    wasi_http_types_own_fields_t out = wasi_http_types_constructor_fields();
    const char *tries[][2] = { { "connection", "close" }, { "bad name", "x" }, { "x-bad-value", "a\nb" }, { "x-good", "yes" } };
    for (int i = 0; i < 4; i++) {
        wasi_http_types_field_name_t tn = str(tries[i][0]);
        wasi_http_types_field_value_t tv = { (uint8_t *)tries[i][1], strlen(tries[i][1]) };
        put_s("set "); put_s(tries[i][0]); put_s(": ");
        put_s(wasi_http_types_method_fields_set(wasi_http_types_borrow_fields(out), &tn,
              &(wasi_http_types_list_field_value_t){ &tv, 1 }, &he) ? "ok" : header_error_name(&he));
        put_s("\n");
    }
    reply_t r = respond(200, out);
    write_body(r.body, (uint8_t *)buf, pos);
    pos = 0;
    finish(r, NULL);
}

static void length(int long_body) {
    wasi_http_types_own_fields_t f = wasi_http_types_constructor_fields();
    wasi_http_types_field_name_t n = str("content-length");
    wasi_http_types_field_value_t v = long_body ? (wasi_http_types_field_value_t){ (uint8_t *)"3", 1 }
                                                : (wasi_http_types_field_value_t){ (uint8_t *)"10", 2 };
    wasi_http_types_header_error_t he;
    wasi_http_types_method_fields_append(wasi_http_types_borrow_fields(f), &n, &v, &he);
    reply_t r = respond(200, f);
    write_body(r.body, (const uint8_t *)"12345", 5);
    finish(r, NULL);
}

static void trailers(wasi_http_types_own_request_t req) {
    wasi_http_types_tuple2_stream_u8_future_result_option_own_trailers_error_code_t in = consume_request(req);
    put_s("body: ");
    size_t n;
    while ((n = read_body(in.f0, chunk, sizeof chunk)) > 0) put_n(chunk, n);
    wasi_http_types_stream_u8_drop_readable(in.f0);
    put_s("\n");
    put_trailers(in.f1);
    wasi_http_types_own_fields_t h = wasi_http_types_constructor_fields();
    wasi_http_types_field_name_t tn = str("trailer");
    wasi_http_types_field_value_t tv = { (uint8_t *)"x-reply", 7 };
    wasi_http_types_header_error_t he;
    wasi_http_types_method_fields_append(wasi_http_types_borrow_fields(h), &tn, &tv, &he);
    reply_t r = respond(200, h);
    write_body(r.body, (uint8_t *)buf, pos);
    pos = 0;
    wasi_http_types_own_fields_t t = wasi_http_types_constructor_fields();
    wasi_http_types_field_name_t xn = str("x-reply");
    wasi_http_types_field_value_t xv = { (uint8_t *)"done", 4 };
    wasi_http_types_method_fields_append(wasi_http_types_borrow_fields(t), &xn, &xv, &he);
    finish(r, &t);
}

// `/content-length`: the ways a guest could give a message conflicting or malformed
// content-lengths (GHSA-r8xh-cgf7-392j), one line each: `ok` or the header error.
static void put_result(const char *what, int ok, wasi_http_types_header_error_t *e) {
    put_s(what); put_s(": "); put_s(ok ? "ok" : header_error_name(e)); put_s("\n");
}

static void content_length_lines(void) {
    wasi_http_types_header_error_t e;
    wasi_http_types_field_name_t n = str("content-length");
    wasi_http_types_field_value_t five = { (uint8_t *)"5", 1 }, six = { (uint8_t *)"6", 1 };
    wasi_http_types_own_fields_t f = wasi_http_types_constructor_fields();
    wasi_http_types_borrow_fields_t b = wasi_http_types_borrow_fields(f);
    put_result("append 5", wasi_http_types_method_fields_append(b, &n, &five, &e), &e);
    put_result("append 6", wasi_http_types_method_fields_append(b, &n, &six, &e), &e);
    put_result("append 5 again", wasi_http_types_method_fields_append(b, &n, &five, &e), &e);
    wasi_http_types_field_value_t two[2] = { five, six };
    wasi_http_types_list_field_value_t both = { two, 2 };
    put_result("set [5, 6]", wasi_http_types_method_fields_set(b, &n, &both, &e), &e);
    static const char *bad[] = { "+5", " 5", "5 ", "0x5", "5,6", "", "-1", "18446744073709551616" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wasi_http_types_field_value_t v = { (uint8_t *)bad[i], strlen(bad[i]) };
        wasi_http_types_list_field_value_t one = { &v, 1 };
        put_s("set \""); put_s(bad[i]); put_s("\"");
        put_result("", wasi_http_types_method_fields_set(b, &n, &one, &e), &e);
    }
    wasi_http_types_fields_drop_own(f);
    wasi_http_types_tuple2_field_name_field_value_t pairs[2] = { { n, five }, { n, six } };
    wasi_http_types_list_tuple2_field_name_field_value_t list = { pairs, 2 };
    wasi_http_types_own_fields_t g;
    int ok = wasi_http_types_static_fields_from_list(&list, &g, &e);
    put_result("from-list [5, 6]", ok, &e);
    if (ok) wasi_http_types_fields_drop_own(g);
}

typedef wasi_http_types_tuple2_own_request_future_result_void_error_code_t made_t;

// A new request with no body and no options: the request and its transmission future; `tw`
// gets the writer of its trailers future (for `no_trailers`).
static made_t bodiless_request(trailers_w *tw) {
    trailers_r tr = wasi_http_types_future_result_option_own_trailers_error_code_new(tw);
    made_t made;
    wasi_http_types_static_request_new(wasi_http_types_constructor_fields(), NULL, tr, NULL, &made);
    return made;
}

// No body, so no trailers: a future's writer must still write before it is dropped (the host
// may read it, or drop its end).
static void no_trailers(trailers_w tw) {
    wasi_http_types_result_option_own_trailers_error_code_t none = { .is_err = false };
    if (wasi_http_types_future_result_option_own_trailers_error_code_write(tw, &none) == GUEST_WAITABLE_STATUS_BLOCKED)
        wait_on(tw);
    wasi_http_types_future_result_option_own_trailers_error_code_drop_writable(tw);
}

// `ok` or `error CODE`: a transmission future's result.
static void put_sent(wasi_http_types_result_void_error_code_t *r) {
    if (r->is_err) { put_s("error "); put_s(error_name(&r->val.err)); } else put_s("ok");
}

// `/paths`: what setting each `path-with-query` on a new outgoing request returned and what
// reads back (relative references, absolute forms; GHSA-5qpp-g3j2-8frx, wasi-http#178).
static const char *const path_values[] = {
    "a/b/c", "../..", "?foo", "", "/x?y", "//evil.example/x",
    "http://evil.example/x", "evil.example:80", "*",
};
static void put_path_result(const char *v, int set, int some, guest_string_t *got) {
    put_s("\""); put_s(v); put_s("\": ");
    if (!set) put_s("refused");
    else if (!some) put_s("none");
    else { put_s("\""); put_n(got->ptr, got->len); put_s("\""); guest_string_free(got); }
    put_s("\n");
}
static void paths(void) {
    for (size_t i = 0; i < sizeof path_values / sizeof path_values[0]; i++) {
        trailers_w tw;
        made_t made = bodiless_request(&tw);
        wasi_http_types_borrow_request_t b = wasi_http_types_borrow_request(made.f0);
        guest_string_t v = str(path_values[i]), got = { 0 };
        int set = wasi_http_types_method_request_set_path_with_query(b, &v);
        int some = set && wasi_http_types_method_request_get_path_with_query(b, &got);
        put_path_result(path_values[i], set, some, &got);
        wasi_http_types_request_drop_own(made.f0);
        no_trailers(tw);
        wasi_http_types_future_result_void_error_code_drop_readable(made.f1);
    }
    reply_text(200);
}

// `/handles/N`: creates N `fields` resources and keeps them all (GHSA-q554-3cjc-rx7p: the
// store's handle limit); answers `handles N` after dropping them, unless the host trapped.
static void handles(guest_string_t *path) {
    unsigned long long n = 0;
    for (size_t i = strlen("/handles/"); i < path->len; i++) n = n * 10 + (path->ptr[i] - '0');
    wasi_http_types_own_fields_t *all = malloc(n * sizeof *all);
    for (unsigned long long i = 0; i < n; i++) all[i] = wasi_http_types_constructor_fields();
    for (unsigned long long i = 0; i < n; i++) wasi_http_types_fields_drop_own(all[i]);
    free(all);
    put_s("handles "); put_u(n); put_s("\n");
}

static void put_transmission(wasi_http_types_result_void_error_code_t *r) {
    put_s("transmission: "); put_sent(r); put_s("\n");
}

// `/authorities`: each of these set on one new request; valid ones first, then the ones the
// wasi:http 0.3 tests refuse.
static const char *const authorities[] = {
    "example.com", "example.com:8080", "127.0.0.1:80", "[::1]:8080", "[::1]", "u@h:1",
    "::", ":@", "@@", "@:", " ", "", "#", "localhost:what", "host:",
};
static void authorities_mode(void) {
    trailers_w tw;
    made_t made = bodiless_request(&tw);
    for (size_t i = 0; i < sizeof authorities / sizeof *authorities; i++) {
        guest_string_t a = str(authorities[i]);
        int ok = wasi_http_types_method_request_set_authority(wasi_http_types_borrow_request(made.f0), &a);
        put_s("\""); put_s(authorities[i]); put_s(ok ? "\": ok\n" : "\": refused\n");
    }
    wasi_http_types_request_drop_own(made.f0);
    no_trailers(tw);
    wasi_http_types_future_result_void_error_code_drop_readable(made.f1);
    reply_text(200);
}

static void proxy(guest_string_t *path) {
    size_t i = strlen("/proxy/");
    char authority[32] = "127.0.0.1:";
    size_t a = strlen(authority);
    while (i < path->len && path->ptr[i] != '/' && a < sizeof authority - 1) authority[a++] = path->ptr[i++];
    authority[a] = 0;
    guest_string_t rest = { path->ptr + i, path->len - i };
    uint64_t timeout_ms = 0;
    int timeouts = 0, transmission = 0;
    for (size_t k = 0; k < rest.len; k++) {
        if (rest.ptr[k] == '?' && rest.len - k == 13 && memcmp(rest.ptr + k, "?transmission", 13) == 0) {
            rest.len = k;
            transmission = 1;
            break;
        }
        if (rest.ptr[k] == '?' && rest.len - k > 12 && memcmp(rest.ptr + k, "?timeout-ms=", 12) == 0) {
            for (size_t j = k + 12; j < rest.len; j++) timeout_ms = timeout_ms * 10 + (rest.ptr[j] - '0');
            rest.len = k;
            timeouts = 1;
            break;
        }
    }
    // `/~PATH`: PATH set as a relative reference (no leading `/`).
    if (rest.len >= 2 && rest.ptr[0] == '/' && rest.ptr[1] == '~') { rest.ptr += 2; rest.len -= 2; }
    wasi_http_types_own_request_options_t opts = wasi_http_types_constructor_request_options();
    wasi_http_types_own_request_options_t *optp = NULL;
    if (timeouts) {
        wasi_http_types_duration_t d = timeout_ms * 1000000ull;
        wasi_http_types_request_options_error_t oe;
        wasi_http_types_borrow_request_options_t ro = wasi_http_types_borrow_request_options(opts);
        wasi_http_types_method_request_options_set_connect_timeout(ro, &d, &oe);
        wasi_http_types_method_request_options_set_first_byte_timeout(ro, &d, &oe);
        wasi_http_types_method_request_options_set_between_bytes_timeout(ro, &d, &oe);
        optp = &opts;
    } else {
        wasi_http_types_request_options_drop_own(opts);
    }
    trailers_w tw;
    trailers_r tr = wasi_http_types_future_result_option_own_trailers_error_code_new(&tw);
    wasi_http_types_tuple2_own_request_future_result_void_error_code_t made;
    wasi_http_types_static_request_new(wasi_http_types_constructor_fields(), NULL, tr, optp, &made);
    wasi_http_types_borrow_request_t ob = wasi_http_types_borrow_request(made.f0);
    wasi_http_types_scheme_t scheme = { .tag = WASI_HTTP_TYPES_SCHEME_HTTP };
    wasi_http_types_method_request_set_scheme(ob, &scheme);
    guest_string_t auth = str(authority);
    wasi_http_types_method_request_set_authority(ob, &auth);
    // `/proxy/PORT` alone: no path at all (path-with-query none), which goes out as `/`.
    int refused = rest.len > 0 && !wasi_http_types_method_request_set_path_with_query(ob, &rest);
#ifdef RC_2025_09_16
    // That candidate has no `client`: a request is sent through an imported `handler`.
    wasi_http_handler_result_own_response_error_code_t res;
    guest_subtask_status_t sent = 0;
    if (refused) wasi_http_types_request_drop_own(made.f0);
    else sent = wasi_http_handler_handle(made.f0, &res);
#else
    wasi_http_client_result_own_response_error_code_t res;
    guest_subtask_status_t sent = 0;
    if (refused) wasi_http_types_request_drop_own(made.f0);
    else sent = wasi_http_client_send(made.f0, &res);
#endif
    no_trailers(tw);
    if (!refused) wait_subtask(sent);
    wasi_http_types_result_void_error_code_t sent_res;
    if (transmission && !refused &&
        wasi_http_types_future_result_void_error_code_read(made.f1, &sent_res) == GUEST_WAITABLE_STATUS_BLOCKED)
        wait_on(made.f1);
    wasi_http_types_future_result_void_error_code_drop_readable(made.f1);
    if (refused) {
        put_s("error: path-with-query refused\n");
        reply_text(502);
        return;
    }
    if (res.is_err) {
        put_s("error: "); put_s(error_name(&res.val.err)); put_s("\n");
        if (transmission) put_transmission(&sent_res);
        reply_text(502);
        return;
    }
    uint16_t status = wasi_http_types_method_response_get_status_code(wasi_http_types_borrow_response(res.val.ok));
    put_s("upstream: "); put_u(status); put_s("\n");
    if (transmission) put_transmission(&sent_res);
    wasi_http_types_future_result_void_error_code_writer_t res_w;
    wasi_http_types_future_result_void_error_code_t done = wasi_http_types_future_result_void_error_code_new(&res_w);
    wasi_http_types_tuple2_stream_u8_future_result_option_own_trailers_error_code_t in;
    wasi_http_types_static_response_consume_body(res.val.ok, done, &in);
    wasi_http_types_result_void_error_code_t ok = { .is_err = false };
    if (wasi_http_types_future_result_void_error_code_write(res_w, &ok) == GUEST_WAITABLE_STATUS_BLOCKED)
        wait_on(res_w);
    wasi_http_types_future_result_void_error_code_drop_writable(res_w);
    size_t n;
    while ((n = read_body(in.f0, chunk, sizeof chunk)) > 0) put_n(chunk, n);
    wasi_http_types_stream_u8_drop_readable(in.f0);
    put_s("\n");
    put_trailers(in.f1);
    reply_text(200);
}

static void unsent(void) {
    trailers_w tw;
    made_t made = bodiless_request(&tw);
    wasi_http_types_request_drop_own(made.f0);
    no_trailers(tw);
    wasi_http_types_result_void_error_code_t res;
    if (wasi_http_types_future_result_void_error_code_read(made.f1, &res) == GUEST_WAITABLE_STATUS_BLOCKED)
        wait_on(made.f1);
    wasi_http_types_future_result_void_error_code_drop_readable(made.f1);
    put_s("unsent: "); put_sent(&res); put_s("\n");
    reply_text(200);
}

// `/cancel-wrong-end`: see the p3-cli guest's `cancel-wrong-end` (GHSA-xrvr-8678-5wp8).
static void cancel_wrong_end(void) {
    static uint8_t buf[16];
    wasi_http_types_stream_u8_writer_t w;
    wasi_http_types_stream_u8_t r = wasi_http_types_stream_u8_new(&w);
    wasi_http_types_stream_u8_read(r, buf, sizeof buf);
    wasi_http_types_stream_u8_cancel_write((wasi_http_types_stream_u8_writer_t)r);
    wasi_http_types_stream_u8_drop_writable(w);
    wasi_http_types_stream_u8_drop_writable((wasi_http_types_stream_u8_writer_t)r);
    put_s("the runtime took all of it\n");
    reply_text(200);
}

guest_callback_code_t exports_wasi_http_handler_handle(exports_wasi_http_handler_own_request_t req) {
    ws = guest_waitable_set_new();
    guest_string_t path = { 0 };
    wasi_http_types_method_request_get_path_with_query(wasi_http_types_borrow_request(req), &path);
    log_line("request: ", &path);
    if (is(&path, "/hello")) { wasi_http_types_request_drop_own(req); hello(); }
    else if (is(&path, "/echo")) echo(req);
    else if (is(&path, "/forward")) forward(req);
    else if (starts(&path, "/splice")) splice(req, &path);
    else if (starts(&path, "/info")) info(req);
    else if (is(&path, "/length/short")) { wasi_http_types_request_drop_own(req); length(0); }
    else if (is(&path, "/length/long")) { wasi_http_types_request_drop_own(req); length(1); }
    else if (is(&path, "/trailers")) trailers(req);
    else if (starts(&path, "/bytes/")) { wasi_http_types_request_drop_own(req); bytes(&path); }
    else if (starts(&path, "/fields/")) { wasi_http_types_request_drop_own(req); fields_limit(&path); }
    else if (starts(&path, "/names/")) { wasi_http_types_request_drop_own(req); many_names(&path); }
    else if (is(&path, "/set-err")) {
        wasi_http_types_request_drop_own(req);
        exports_wasi_http_handler_result_own_response_error_code_t ret = { .is_err = true };
        ret.val.err.tag = WASI_HTTP_TYPES_ERROR_CODE_INTERNAL_ERROR;
        ret.val.err.val.internal_error.is_some = true;
        ret.val.err.val.internal_error.val = str("set-err mode");
        exports_wasi_http_handler_handle_return(ret);
    }
    else if (starts(&path, "/status/")) { wasi_http_types_request_drop_own(req); status_mode(&path); }
    else if (is(&path, "/trap")) abort();
    else if (is(&path, "/spin")) { for (volatile int i = 0;; i++) {} }
    else if (is(&path, "/oob-zero")) { wasi_http_types_request_drop_own(req); oob_zero(); }
    else if (is(&path, "/cancel-wrong-end")) { wasi_http_types_request_drop_own(req); cancel_wrong_end(); }
    else if (starts(&path, "/handles/")) { wasi_http_types_request_drop_own(req); handles(&path); reply_text(200); }
    else if (is(&path, "/paths")) { wasi_http_types_request_drop_own(req); paths(); }
    else if (is(&path, "/content-length")) { wasi_http_types_request_drop_own(req); content_length_lines(); reply_text(200); }
    else if (is(&path, "/unsent")) { wasi_http_types_request_drop_own(req); unsent(); }
    else if (is(&path, "/authorities")) { wasi_http_types_request_drop_own(req); authorities_mode(); }
    else if (starts(&path, "/proxy/")) { wasi_http_types_request_drop_own(req); proxy(&path); }
    else {
        wasi_http_types_request_drop_own(req);
        put_s("not found\n");
        reply_text(404);
    }
    guest_string_free(&path);
    guest_waitable_set_drop(ws);
    return GUEST_CALLBACK_CODE_EXIT;
}

// Not reached: handle() never returns GUEST_CALLBACK_CODE_WAIT.
guest_callback_code_t exports_wasi_http_handler_handle_callback(guest_event_t *event) {
    (void)event;
    return GUEST_CALLBACK_CODE_EXIT;
}
