// A wasi:http@0.2.12 handler calling wasi:http directly (wit-bindgen c bindings, no libc
// stdio). The request path picks the mode:
//
//   /hello             hello-wasi-http's exact calls: new response, body, set, one
//                      blocking-write-and-flush of 30 bytes, finish; no content-length
//   /echo              streams the request body back as it arrives (full duplex: the
//                      response is set before the body is read); check-write + write + flush
//   /info              method, scheme, authority, path and the request's headers, one per line;
//                      then what setting forbidden / invalid response headers returned
//   /length/short      content-length: 10 with 5 bytes written: finish reports the error
//   /length/long       content-length: 3 with 5 bytes written: the write fails
//   /bytes/N           N bytes of 'x' in one response (check-write + write + flush)
//   /trailers          reads the request body and its trailers, answers with their count and
//                      values, and finishes with trailers `x-reply: done` (declared in
//                      `trailer: x-reply`)
//   /fields/N          appends N fields of 1000 bytes to a new fields resource; answers
//                      `appended K` and, when an append failed, `, then ERROR` (the
//                      host's field size limit)
//   /set-err           response-outparam.set(err(internal-error))
//   /never-set         returns without setting the response
//   /status/N          a response whose status code is set to N (0-65535); the body says
//                      `status N: set`, or `: refused` when set-status-code failed (then 200)
//   /count             `count N`: how many requests this instance has served, kept in a
//                      global (instance reuse, `--max-instance-reuse-count`)
//   /trap              traps
//   /spin              never returns (for `-W timeout`)
//   /proxy/PORT        the same with no path-with-query set at all
//   /handles/N         creates N `fields` resources, keeping them all, then drops them and
//                      answers `handles N` (unless the host's handle limit trapped first)
//   /paths             sets each of a list of path-with-query values (relative, absolute
//                      forms) on a new request; one line each: what reads back, or `refused`
//   /content-length    tries to give a fields resource two or malformed content-lengths
//                      (append, set, from-list); one line each: `ok` or the header error
//   /proxy/PORT/~PATH  the same with PATH set as a relative reference (no leading `/`)
//   /proxy/PORT/PATH[?timeout-ms=N]  GET http://127.0.0.1:PORT/PATH through outgoing-handler
//                      (timeout-ms: all three timeouts, 0 too; `?names=N` instead: the request
//                      carries up to N distinct empty fields, the body starts `names: K`);
//                      answers with the
//                      upstream's status, body and trailers (as body lines),
//                      or 502 and `error: CODE` when the request failed
//   /authorities       sets each authority of a list (valid ones, then ones the wasi:http
//                      0.3 tests refuse) on one new outgoing request: one line each,
//                      `"A": ok` or `"A": refused`
//   anything else      404
//
// Each request prints `request: PATH` on stdout, for the server's per-instance prefixes.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"

typedef wasi_http_types_own_output_stream_t out_t;

static guest_string_t str(const char *s) { return (guest_string_t){ (uint8_t *)s, strlen(s) }; }
static int starts(guest_string_t *s, const char *p) {
    size_t n = strlen(p);
    return s->len >= n && memcmp(s->ptr, p, n) == 0;
}
static int is(guest_string_t *s, const char *p) { return s->len == strlen(p) && memcmp(s->ptr, p, s->len) == 0; }

// ---- a small line buffer ----
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

static void drop_stream_error(wasi_io_streams_stream_error_t *e) {
    if (e->tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED)
        wasi_io_error_error_drop_own(e->val.last_operation_failed);
}

// Writes through blocking-write-and-flush in <= 4096-byte calls; 0 on error.
static int write_all(out_t s, const uint8_t *p, size_t n) {
    while (n > 0) {
        size_t k = n > 4096 ? 4096 : n;
        guest_list_u8_t l = { (uint8_t *)p, k };
        wasi_io_streams_stream_error_t e;
        if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(
                wasi_io_streams_borrow_output_stream(s), &l, &e)) {
            drop_stream_error(&e);
            return 0;
        }
        p += k; n -= k;
    }
    return 1;
}

static void log_line(const char *what, guest_string_t *path) {
    wasi_cli_stdout_own_output_stream_t o = wasi_cli_stdout_get_stdout();
    size_t start = pos;
    put_s(what); put_n(path->ptr, path->len); put_s("\n");
    write_all(o, (uint8_t *)buf + start, pos - start);
    pos = start;
    wasi_io_streams_output_stream_drop_own(o);
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
    case WASI_HTTP_TYPES_ERROR_CODE_HTTP_REQUEST_HEADER_SECTION_SIZE: return "HTTP-request-header-section-size";
    case WASI_HTTP_TYPES_ERROR_CODE_INTERNAL_ERROR: return "internal-error";
    default: return "other";
    }
}

static const char *header_error_name(wasi_http_types_header_error_t *e) {
    switch (e->tag) {
    case WASI_HTTP_TYPES_HEADER_ERROR_INVALID_SYNTAX: return "invalid-syntax";
    case WASI_HTTP_TYPES_HEADER_ERROR_FORBIDDEN: return "forbidden";
    default: return "immutable";
    }
}

// ---- responses ----
typedef struct {
    wasi_http_types_own_outgoing_body_t body;
    out_t stream;
} reply_t;

// Builds a response with `fields`, takes its body and stream, and sets it.
// Whether the last `respond` could set its status code (else the response keeps 200).
static int status_set;

static reply_t respond(wasi_http_types_own_response_outparam_t outparam, uint16_t status,
                       wasi_http_types_own_fields_t fields) {
    reply_t r;
    wasi_http_types_own_outgoing_response_t resp = wasi_http_types_constructor_outgoing_response(fields);
    status_set = wasi_http_types_method_outgoing_response_set_status_code(
        wasi_http_types_borrow_outgoing_response(resp), status);
    wasi_http_types_method_outgoing_response_body(wasi_http_types_borrow_outgoing_response(resp), &r.body);
    wasi_http_types_method_outgoing_body_write(wasi_http_types_borrow_outgoing_body(r.body), &r.stream);
    wasi_http_types_result_own_outgoing_response_error_code_t res = { .is_err = false };
    res.val.ok = resp;
    wasi_http_types_static_response_outparam_set(outparam, &res);
    return r;
}

static void finish(reply_t r, wasi_http_types_own_fields_t *trailers) {
    wasi_io_streams_output_stream_drop_own(r.stream);
    wasi_http_types_error_code_t err;
    if (!wasi_http_types_static_outgoing_body_finish(r.body, trailers, &err)) {
        wasi_cli_stderr_own_output_stream_t e = wasi_cli_stderr_get_stderr();
        size_t start = pos;
        put_s("finish: "); put_s(error_name(&err)); put_s("\n");
        write_all(e, (uint8_t *)buf + start, pos - start);
        pos = start;
        wasi_io_streams_output_stream_drop_own(e);
        wasi_http_types_error_code_free(&err);
    }
}

static void reply_text(wasi_http_types_own_response_outparam_t outparam, uint16_t status) {
    reply_t r = respond(outparam, status, wasi_http_types_constructor_fields());
    write_all(r.stream, (uint8_t *)buf, pos);
    pos = 0;
    finish(r, NULL);
}

static void hello(wasi_http_types_own_response_outparam_t outparam) {
    wasi_http_types_own_fields_t headers = wasi_http_types_constructor_fields();
    wasi_http_types_own_outgoing_response_t resp = wasi_http_types_constructor_outgoing_response(headers);
    wasi_http_types_own_outgoing_body_t body;
    wasi_http_types_method_outgoing_response_body(wasi_http_types_borrow_outgoing_response(resp), &body);
    wasi_http_types_result_own_outgoing_response_error_code_t res = { .is_err = false };
    res.val.ok = resp;
    wasi_http_types_static_response_outparam_set(outparam, &res);
    out_t stream;
    wasi_http_types_method_outgoing_body_write(wasi_http_types_borrow_outgoing_body(body), &stream);
    const char *msg = "Hello, wasi:http/proxy world!\n";
    write_all(stream, (const uint8_t *)msg, strlen(msg));
    wasi_io_streams_output_stream_drop_own(stream);
    wasi_http_types_error_code_t err;
    wasi_http_types_static_outgoing_body_finish(body, NULL, &err);
}

// Reads the whole incoming body into `buf` (as far as it fits); returns the trailers future.
static wasi_http_types_own_future_trailers_t read_body(wasi_http_types_own_incoming_body_t body,
                                                       int keep) {
    wasi_http_types_own_input_stream_t in;
    wasi_http_types_method_incoming_body_stream(wasi_http_types_borrow_incoming_body(body), &in);
    for (;;) {
        guest_list_u8_t chunk;
        wasi_io_streams_stream_error_t e;
        if (!wasi_io_streams_method_input_stream_blocking_read(
                wasi_io_streams_borrow_input_stream(in), 65536, &chunk, &e)) {
            drop_stream_error(&e);
            break;
        }
        if (keep) put_n(chunk.ptr, chunk.len);
        guest_list_u8_free(&chunk);
    }
    wasi_io_streams_input_stream_drop_own(in);
    return wasi_http_types_static_incoming_body_finish(body);
}

// Waits for trailers and appends them as lines.
static void put_trailers(wasi_http_types_own_future_trailers_t ft) {
    wasi_io_poll_own_pollable_t p =
        wasi_http_types_method_future_trailers_subscribe(wasi_http_types_borrow_future_trailers(ft));
    wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
    wasi_io_poll_pollable_drop_own(p);
    wasi_http_types_result_result_option_own_trailers_error_code_void_t r;
    if (!wasi_http_types_method_future_trailers_get(wasi_http_types_borrow_future_trailers(ft), &r)) {
        put_s("trailers: pending\n");
    } else if (r.is_err) {
        put_s("trailers: consumed\n");
    } else if (r.val.ok.is_err) {
        put_s("trailers: error "); put_s(error_name(&r.val.ok.val.err)); put_s("\n");
    } else if (!r.val.ok.val.ok.is_some) {
        put_s("trailers: none\n");
    } else {
        wasi_http_types_own_fields_t t = r.val.ok.val.ok.val;
        wasi_http_types_list_tuple2_field_name_field_value_t entries;
        wasi_http_types_method_fields_entries(wasi_http_types_borrow_fields(t), &entries);
        put_s("trailers: "); put_u(entries.len); put_s("\n");
        for (size_t i = 0; i < entries.len; i++) {
            put_s("trailer ");
            put_n(entries.ptr[i].f0.ptr, entries.ptr[i].f0.len); put_s(": ");
            put_n(entries.ptr[i].f1.ptr, entries.ptr[i].f1.len); put_s("\n");
        }
        wasi_http_types_list_tuple2_field_name_field_value_free(&entries);
        wasi_http_types_fields_drop_own(t);
    }
    wasi_http_types_future_trailers_drop_own(ft);
}

static void echo(wasi_http_types_own_incoming_request_t req,
                 wasi_http_types_own_response_outparam_t outparam) {
    wasi_http_types_own_incoming_body_t body;
    wasi_http_types_method_incoming_request_consume(wasi_http_types_borrow_incoming_request(req), &body);
    reply_t r = respond(outparam, 200, wasi_http_types_constructor_fields());
    wasi_http_types_own_input_stream_t in;
    wasi_http_types_method_incoming_body_stream(wasi_http_types_borrow_incoming_body(body), &in);
    for (;;) {
        guest_list_u8_t chunk;
        wasi_io_streams_stream_error_t e;
        if (!wasi_io_streams_method_input_stream_blocking_read(
                wasi_io_streams_borrow_input_stream(in), 65536, &chunk, &e)) {
            drop_stream_error(&e);
            break;
        }
        size_t off = 0;
        int ok = 1;
        while (ok && off < chunk.len) {
            uint64_t n;
            if (!wasi_io_streams_method_output_stream_check_write(
                    wasi_io_streams_borrow_output_stream(r.stream), &n, &e)) { drop_stream_error(&e); ok = 0; break; }
            if (n == 0) {
                wasi_io_poll_own_pollable_t p = wasi_io_streams_method_output_stream_subscribe(
                    wasi_io_streams_borrow_output_stream(r.stream));
                wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
                wasi_io_poll_pollable_drop_own(p);
                continue;
            }
            if (n > chunk.len - off) n = chunk.len - off;
            guest_list_u8_t l = { chunk.ptr + off, n };
            if (!wasi_io_streams_method_output_stream_write(
                    wasi_io_streams_borrow_output_stream(r.stream), &l, &e)) { drop_stream_error(&e); ok = 0; break; }
            off += n;
        }
        guest_list_u8_free(&chunk);
        if (!ok) break;
    }
    wasi_io_streams_input_stream_drop_own(in);
    wasi_http_types_future_trailers_drop_own(wasi_http_types_static_incoming_body_finish(body));
    finish(r, NULL);
    wasi_http_types_incoming_request_drop_own(req);
}

static uint8_t xs[65536];

// Appends up to n fields named PREFIX0, PREFIX1, ... with `value` to `f`; returns how many
// went in, and on a refusal sets *failed and the error in *he.
static unsigned long long append_numbered(wasi_http_types_own_fields_t f, const char *prefix,
                                          const char *value, size_t vlen, unsigned long long n,
                                          int *failed, wasi_http_types_header_error_t *he) {
    unsigned long long k = 0;
    *failed = 0;
    for (; k < n; k++) {
        char name[48];
        size_t len = strlen(prefix), j = k;
        memcpy(name, prefix, len);
        char digits[24]; size_t d = 0;
        do { digits[d++] = '0' + j % 10; j /= 10; } while (j);
        while (d) name[len++] = digits[--d];
        wasi_http_types_field_name_t fn = { (uint8_t *)name, len };
        wasi_http_types_field_value_t fv = { (uint8_t *)value, vlen };
        if (!wasi_http_types_method_fields_append(wasi_http_types_borrow_fields(f), &fn, &fv, he)) { *failed = 1; break; }
    }
    return k;
}

static char big_value[1000];
static void fields_limit(guest_string_t *path, wasi_http_types_own_response_outparam_t outparam) {
    unsigned long long n = 0;
    for (size_t i = strlen("/fields/"); i < path->len; i++) n = n * 10 + (path->ptr[i] - '0');
    memset(big_value, 'v', sizeof big_value);
    wasi_http_types_own_fields_t f = wasi_http_types_constructor_fields();
    wasi_http_types_header_error_t he;
    int failed;
    unsigned long long k = append_numbered(f, "x-f-", big_value, sizeof big_value, n, &failed, &he);
    wasi_http_types_fields_drop_own(f);
    put_s("appended "); put_u(k);
    if (failed) { put_s(", then "); put_s(header_error_name(&he)); }
    put_s("\n");
    reply_text(outparam, 200);
}

static void bytes(guest_string_t *path, wasi_http_types_own_response_outparam_t outparam) {
    unsigned long long n = 0;
    for (size_t i = strlen("/bytes/"); i < path->len; i++) n = n * 10 + (path->ptr[i] - '0');
    memset(xs, 'x', sizeof xs);
    reply_t r = respond(outparam, 200, wasi_http_types_constructor_fields());
    wasi_io_streams_stream_error_t e;
    while (n > 0) {
        uint64_t room;
        if (!wasi_io_streams_method_output_stream_check_write(
                wasi_io_streams_borrow_output_stream(r.stream), &room, &e)) { drop_stream_error(&e); break; }
        if (room == 0) {
            wasi_io_poll_own_pollable_t p = wasi_io_streams_method_output_stream_subscribe(
                wasi_io_streams_borrow_output_stream(r.stream));
            wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
            wasi_io_poll_pollable_drop_own(p);
            continue;
        }
        if (room > sizeof xs) room = sizeof xs;
        if (room > n) room = n;
        guest_list_u8_t l = { xs, room };
        if (!wasi_io_streams_method_output_stream_write(
                wasi_io_streams_borrow_output_stream(r.stream), &l, &e)) { drop_stream_error(&e); break; }
        n -= room;
    }
    finish(r, NULL);
}

static void info(wasi_http_types_own_incoming_request_t req,
                 wasi_http_types_own_response_outparam_t outparam) {
    wasi_http_types_borrow_incoming_request_t b = wasi_http_types_borrow_incoming_request(req);
    wasi_http_types_method_t m;
    wasi_http_types_method_incoming_request_method(b, &m);
    static const char *names[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH" };
    put_s("method: ");
    if (m.tag < 9) put_s(names[m.tag]); else put_n(m.val.other.ptr, m.val.other.len);
    put_s("\n");
    wasi_http_types_method_free(&m);
    wasi_http_types_scheme_t sc;
    put_s("scheme: ");
    if (wasi_http_types_method_incoming_request_scheme(b, &sc)) {
        put_s(sc.tag == WASI_HTTP_TYPES_SCHEME_HTTP ? "http" : sc.tag == WASI_HTTP_TYPES_SCHEME_HTTPS ? "https" : "other");
        wasi_http_types_scheme_free(&sc);
    } else put_s("none");
    put_s("\n");
    guest_string_t s;
    put_s("authority: ");
    if (wasi_http_types_method_incoming_request_authority(b, &s)) { put_n(s.ptr, s.len); guest_string_free(&s); }
    else put_s("none");
    put_s("\npath: ");
    if (wasi_http_types_method_incoming_request_path_with_query(b, &s)) { put_n(s.ptr, s.len); guest_string_free(&s); }
    else put_s("none");
    put_s("\n");
    wasi_http_types_own_headers_t h = wasi_http_types_method_incoming_request_headers(b);
    wasi_http_types_list_tuple2_field_name_field_value_t entries;
    wasi_http_types_method_fields_entries(wasi_http_types_borrow_fields(h), &entries);
    for (size_t i = 0; i < entries.len; i++) {
        put_s("header ");
        put_n(entries.ptr[i].f0.ptr, entries.ptr[i].f0.len); put_s(": ");
        put_n(entries.ptr[i].f1.ptr, entries.ptr[i].f1.len); put_s("\n");
    }
    wasi_http_types_list_tuple2_field_name_field_value_free(&entries);
    // The request's headers are immutable.
    wasi_http_types_header_error_t he;
    wasi_http_types_field_name_t n = str("x-new");
    wasi_http_types_field_value_t v = { (uint8_t *)"1", 1 };
    put_s("append to request headers: ");
    put_s(wasi_http_types_method_fields_append(wasi_http_types_borrow_fields(h), &n, &v, &he) ? "ok" : header_error_name(&he));
    put_s("\n");
    wasi_http_types_fields_drop_own(h);
    // Response headers: a forbidden one, an invalid name, an invalid value, a good one.
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
    reply_t r = respond(outparam, 200, out);
    write_all(r.stream, (uint8_t *)buf, pos);
    pos = 0;
    finish(r, NULL);
    wasi_http_types_incoming_request_drop_own(req);
}

static void length(wasi_http_types_own_response_outparam_t outparam, int long_body) {
    wasi_http_types_own_fields_t f = wasi_http_types_constructor_fields();
    wasi_http_types_field_name_t n = str("content-length");
    wasi_http_types_field_value_t v = long_body ? (wasi_http_types_field_value_t){ (uint8_t *)"3", 1 }
                                                : (wasi_http_types_field_value_t){ (uint8_t *)"10", 2 };
    wasi_http_types_header_error_t he;
    wasi_http_types_method_fields_append(wasi_http_types_borrow_fields(f), &n, &v, &he);
    reply_t r = respond(outparam, 200, f);
    if (!write_all(r.stream, (const uint8_t *)"12345", 5)) {
        wasi_cli_stderr_own_output_stream_t e = wasi_cli_stderr_get_stderr();
        write_all(e, (const uint8_t *)"write: failed\n", 14);
        wasi_io_streams_output_stream_drop_own(e);
    }
    finish(r, NULL);
}

static void trailers(wasi_http_types_own_incoming_request_t req,
                     wasi_http_types_own_response_outparam_t outparam) {
    wasi_http_types_own_incoming_body_t body;
    wasi_http_types_method_incoming_request_consume(wasi_http_types_borrow_incoming_request(req), &body);
    put_s("body: ");
    wasi_http_types_own_future_trailers_t ft = read_body(body, 1);
    put_s("\n");
    put_trailers(ft);
    // hyper sends trailers only when they are declared (and the client accepts them).
    wasi_http_types_own_fields_t h = wasi_http_types_constructor_fields();
    wasi_http_types_field_name_t tn = str("trailer");
    wasi_http_types_field_value_t tv = { (uint8_t *)"x-reply", 7 };
    wasi_http_types_header_error_t the;
    wasi_http_types_method_fields_append(wasi_http_types_borrow_fields(h), &tn, &tv, &the);
    reply_t r = respond(outparam, 200, h);
    write_all(r.stream, (uint8_t *)buf, pos);
    pos = 0;
    wasi_http_types_own_fields_t t = wasi_http_types_constructor_fields();
    wasi_http_types_field_name_t n = str("x-reply");
    wasi_http_types_field_value_t v = { (uint8_t *)"done", 4 };
    wasi_http_types_header_error_t he;
    wasi_http_types_method_fields_append(wasi_http_types_borrow_fields(t), &n, &v, &he);
    finish(r, &t);
    wasi_http_types_incoming_request_drop_own(req);
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
static void paths(wasi_http_types_own_response_outparam_t outparam) {
    for (size_t i = 0; i < sizeof path_values / sizeof path_values[0]; i++) {
        wasi_http_types_own_outgoing_request_t r =
            wasi_http_types_constructor_outgoing_request(wasi_http_types_constructor_fields());
        wasi_http_types_borrow_outgoing_request_t b = wasi_http_types_borrow_outgoing_request(r);
        guest_string_t v = str(path_values[i]), got = { 0 };
        int set = wasi_http_types_method_outgoing_request_set_path_with_query(b, &v);
        int some = set && wasi_http_types_method_outgoing_request_path_with_query(b, &got);
        put_path_result(path_values[i], set, some, &got);
        wasi_http_types_outgoing_request_drop_own(r);
    }
    reply_text(outparam, 200);
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

// `/authorities`: as the p3 guest's (the same list).
static const char *const authorities[] = {
    "example.com", "example.com:8080", "127.0.0.1:80", "[::1]:8080", "[::1]", "u@h:1",
    "::", ":@", "@@", "@:", " ", "", "#", "localhost:what", "host:",
};
static void authorities_mode(wasi_http_types_own_response_outparam_t outparam) {
    wasi_http_types_own_outgoing_request_t out =
        wasi_http_types_constructor_outgoing_request(wasi_http_types_constructor_fields());
    for (size_t i = 0; i < sizeof authorities / sizeof *authorities; i++) {
        guest_string_t a = str(authorities[i]);
        int ok = wasi_http_types_method_outgoing_request_set_authority(wasi_http_types_borrow_outgoing_request(out), &a);
        put_s("\""); put_s(authorities[i]); put_s(ok ? "\": ok\n" : "\": refused\n");
    }
    wasi_http_types_outgoing_request_drop_own(out);
    reply_text(outparam, 200);
}

static void proxy(guest_string_t *path, wasi_http_types_own_response_outparam_t outparam) {
    // /proxy/PORT/REST[?timeout-ms=N]
    size_t i = strlen("/proxy/");
    char authority[32] = "127.0.0.1:";
    size_t a = strlen(authority);
    while (i < path->len && path->ptr[i] != '/' && a < sizeof authority - 1) authority[a++] = path->ptr[i++];
    authority[a] = 0;
    guest_string_t rest = { path->ptr + i, path->len - i };
    uint64_t timeout_ms = 0;
    int timeouts = 0;
    unsigned long long names = 0;
    for (size_t k = 0; k < rest.len; k++) {
        if (rest.ptr[k] == '?' && rest.len - k > 7 && memcmp(rest.ptr + k, "?names=", 7) == 0) {
            for (size_t j = k + 7; j < rest.len; j++) names = names * 10 + (rest.ptr[j] - '0');
            rest.len = k;
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
    wasi_http_types_own_fields_t headers = wasi_http_types_constructor_fields();
    if (names > 0) {
        wasi_http_types_header_error_t he;
        int failed;
        unsigned long long k = append_numbered(headers, "x-", "", 0, names, &failed, &he);
        put_s("names: "); put_u(k); put_s("\n");
    }
    wasi_http_types_own_outgoing_request_t out =
        wasi_http_types_constructor_outgoing_request(headers);
    wasi_http_types_borrow_outgoing_request_t ob = wasi_http_types_borrow_outgoing_request(out);
    wasi_http_types_scheme_t scheme = { .tag = WASI_HTTP_TYPES_SCHEME_HTTP };
    wasi_http_types_method_outgoing_request_set_scheme(ob, &scheme);
    guest_string_t auth = str(authority);
    wasi_http_types_method_outgoing_request_set_authority(ob, &auth);
    // `/proxy/PORT` alone: no path at all (path-with-query none), which goes out as `/`.
    if (rest.len > 0 && !wasi_http_types_method_outgoing_request_set_path_with_query(ob, &rest)) {
        wasi_http_types_outgoing_request_drop_own(out);
        put_s("error: path-with-query refused\n");
        reply_text(outparam, 502);
        return;
    }
    wasi_http_types_own_request_options_t opts = wasi_http_types_constructor_request_options();
    wasi_http_types_own_request_options_t *optp = NULL;
    if (timeouts) {
        wasi_http_types_duration_t d = timeout_ms * 1000000ull;
        wasi_http_types_borrow_request_options_t ro = wasi_http_types_borrow_request_options(opts);
        wasi_http_types_method_request_options_set_connect_timeout(ro, &d);
        wasi_http_types_method_request_options_set_first_byte_timeout(ro, &d);
        wasi_http_types_method_request_options_set_between_bytes_timeout(ro, &d);
        optp = &opts;
    } else {
        wasi_http_types_request_options_drop_own(opts);
    }
    wasi_http_types_own_future_incoming_response_t fut;
    wasi_http_types_error_code_t err;
    if (!wasi_http_outgoing_handler_handle(out, optp, &fut, &err)) {
        put_s("error: "); put_s(error_name(&err)); put_s("\n");
        wasi_http_types_error_code_free(&err);
        reply_text(outparam, 502);
        return;
    }
    wasi_io_poll_own_pollable_t p = wasi_http_types_method_future_incoming_response_subscribe(
        wasi_http_types_borrow_future_incoming_response(fut));
    wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
    wasi_io_poll_pollable_drop_own(p);
    wasi_http_types_result_result_own_incoming_response_error_code_void_t res;
    wasi_http_types_method_future_incoming_response_get(wasi_http_types_borrow_future_incoming_response(fut), &res);
    wasi_http_types_future_incoming_response_drop_own(fut);
    if (res.is_err || res.val.ok.is_err) {
        put_s("error: "); put_s(res.is_err ? "consumed" : error_name(&res.val.ok.val.err)); put_s("\n");
        reply_text(outparam, 502);
        return;
    }
    wasi_http_types_own_incoming_response_t resp = res.val.ok.val.ok;
    uint16_t status = wasi_http_types_method_incoming_response_status(wasi_http_types_borrow_incoming_response(resp));
    put_s("upstream: "); put_u(status); put_s("\n");
    wasi_http_types_own_incoming_body_t body;
    wasi_http_types_method_incoming_response_consume(wasi_http_types_borrow_incoming_response(resp), &body);
    wasi_http_types_own_future_trailers_t ft = read_body(body, 1);
    put_s("\n");
    put_trailers(ft);
    wasi_http_types_incoming_response_drop_own(resp);
    reply_text(outparam, 200);
}

// `/status/N`: a response whose status code is set to N; the body says whether that was taken.
static void status_mode(guest_string_t *path, wasi_http_types_own_response_outparam_t outparam) {
    unsigned long long n = 0;
    for (size_t i = strlen("/status/"); i < path->len; i++) n = n * 10 + (path->ptr[i] - '0');
    reply_t r = respond(outparam, (uint16_t)n, wasi_http_types_constructor_fields());
    put_s("status "); put_u(n); put_s(status_set ? ": set\n" : ": refused\n");
    write_all(r.stream, (uint8_t *)buf, pos);
    pos = 0;
    finish(r, NULL);
}

static unsigned long long served;

void exports_wasi_http_incoming_handler_handle(
    exports_wasi_http_incoming_handler_own_incoming_request_t req,
    exports_wasi_http_incoming_handler_own_response_outparam_t outparam) {
    guest_string_t path = { 0 };
    wasi_http_types_method_incoming_request_path_with_query(wasi_http_types_borrow_incoming_request(req), &path);
    log_line("request: ", &path);
    served++;
    if (is(&path, "/hello")) { wasi_http_types_incoming_request_drop_own(req); hello(outparam); }
    else if (is(&path, "/echo")) echo(req, outparam);
    else if (starts(&path, "/info")) info(req, outparam);
    else if (starts(&path, "/handles/")) { wasi_http_types_incoming_request_drop_own(req); handles(&path); reply_text(outparam, 200); }
    else if (is(&path, "/paths")) { wasi_http_types_incoming_request_drop_own(req); paths(outparam); }
    else if (is(&path, "/content-length")) { wasi_http_types_incoming_request_drop_own(req); content_length_lines(); reply_text(outparam, 200); }
    else if (is(&path, "/length/short")) { wasi_http_types_incoming_request_drop_own(req); length(outparam, 0); }
    else if (is(&path, "/length/long")) { wasi_http_types_incoming_request_drop_own(req); length(outparam, 1); }
    else if (is(&path, "/trailers")) trailers(req, outparam);
    else if (starts(&path, "/bytes/")) { wasi_http_types_incoming_request_drop_own(req); bytes(&path, outparam); }
    else if (starts(&path, "/fields/")) { wasi_http_types_incoming_request_drop_own(req); fields_limit(&path, outparam); }
    else if (is(&path, "/set-err")) {
        wasi_http_types_incoming_request_drop_own(req);
        wasi_http_types_result_own_outgoing_response_error_code_t res = { .is_err = true };
        res.val.err.tag = WASI_HTTP_TYPES_ERROR_CODE_INTERNAL_ERROR;
        res.val.err.val.internal_error.is_some = true;
        res.val.err.val.internal_error.val = str("set-err mode");
        wasi_http_types_static_response_outparam_set(outparam, &res);
    }
    else if (is(&path, "/never-set")) {
        wasi_http_types_incoming_request_drop_own(req);
        wasi_http_types_response_outparam_drop_own(outparam);
    }
    else if (is(&path, "/count")) {
        wasi_http_types_incoming_request_drop_own(req);
        put_s("count "); put_u(served); put_s("\n");
        reply_text(outparam, 200);
    }
    else if (starts(&path, "/status/")) { wasi_http_types_incoming_request_drop_own(req); status_mode(&path, outparam); }
    else if (is(&path, "/trap")) abort();
    else if (is(&path, "/spin")) { for (volatile int i = 0;; i++) {} }
    else if (starts(&path, "/proxy/")) { wasi_http_types_incoming_request_drop_own(req); proxy(&path, outparam); }
    else if (is(&path, "/authorities")) { wasi_http_types_incoming_request_drop_own(req); authorities_mode(outparam); }
    else {
        wasi_http_types_incoming_request_drop_own(req);
        put_s("not found\n");
        reply_text(outparam, 404);
    }
    guest_string_free(&path);
}
