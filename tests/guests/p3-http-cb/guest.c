// A wasi:http@0.3.0 handler written in the callback style: `handle` never blocks. Each
// request's state lives in its task's context and every wait returns to the host, so one
// instance serves other requests while a request waits (the other p3 fixtures block in
// `waitable-set.wait`, which holds the instance). The request path picks the mode:
//   /sleep/N   waits N ms (monotonic-clock `wait-for`), then answers `slept N ms`
//   anything else answers `hello`
// Every answer is 200 with a body and no trailers.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"

typedef struct {
    guest_waitable_set_t ws;
    int stage; // 0: sleeping, 1: writing the body, 2: writing the trailers
    guest_subtask_t sleep;
    wasi_http_types_stream_u8_writer_t body;
    wasi_http_types_future_result_option_own_trailers_error_code_writer_t trailers;
    char text[64];
    size_t len, off;
} task_t;

static size_t put_u(char *p, unsigned long long v) {
    char t[24]; size_t i = 0, n = 0;
    do { t[i++] = '0' + v % 10; v /= 10; } while (v);
    while (i) p[n++] = t[--i];
    return n;
}

static guest_callback_code_t wait(task_t *t, uint32_t waitable, int stage) {
    t->stage = stage;
    guest_waitable_join(waitable, t->ws);
    return GUEST_CALLBACK_CODE_WAIT(t->ws);
}

static guest_callback_code_t done(task_t *t) {
    guest_waitable_set_drop(t->ws);
    free(t);
    guest_context_set_0(NULL);
    return GUEST_CALLBACK_CODE_EXIT;
}

// The body is written: end it with no trailers.
static guest_callback_code_t end_body(task_t *t) {
    wasi_http_types_stream_u8_drop_writable(t->body);
    wasi_http_types_result_option_own_trailers_error_code_t none = { .is_err = false };
    none.val.ok.is_some = false;
    if (wasi_http_types_future_result_option_own_trailers_error_code_write(t->trailers, &none)
        == GUEST_WAITABLE_STATUS_BLOCKED)
        return wait(t, t->trailers, 2);
    wasi_http_types_future_result_option_own_trailers_error_code_drop_writable(t->trailers);
    return done(t);
}

// Writes what is left of the text; waits when the host is not reading yet.
static guest_callback_code_t write_body(task_t *t) {
    while (t->off < t->len) {
        guest_waitable_status_t st =
            wasi_http_types_stream_u8_write(t->body, (uint8_t *)t->text + t->off, t->len - t->off);
        if (st == GUEST_WAITABLE_STATUS_BLOCKED) return wait(t, t->body, 1);
        t->off += GUEST_WAITABLE_COUNT(st);
        if (GUEST_WAITABLE_STATE(st) == GUEST_WAITABLE_DROPPED) break;
    }
    return end_body(t);
}

// Returns the response, then writes its body.
static guest_callback_code_t reply(task_t *t) {
    wasi_http_types_stream_u8_t contents = wasi_http_types_stream_u8_new(&t->body);
    wasi_http_types_future_result_option_own_trailers_error_code_t trailers =
        wasi_http_types_future_result_option_own_trailers_error_code_new(&t->trailers);
    wasi_http_types_tuple2_own_response_future_result_void_error_code_t made;
    wasi_http_types_static_response_new(wasi_http_types_constructor_fields(), &contents, trailers, &made);
    wasi_http_types_future_result_void_error_code_drop_readable(made.f1);
    exports_wasi_http_handler_result_own_response_error_code_t ret = { .is_err = false };
    ret.val.ok = made.f0;
    exports_wasi_http_handler_handle_return(ret);
    return write_body(t);
}

guest_callback_code_t exports_wasi_http_handler_handle(exports_wasi_http_handler_own_request_t req) {
    guest_string_t path = { 0 };
    wasi_http_types_method_request_get_path_with_query(wasi_http_types_borrow_request(req), &path);
    task_t *t = calloc(1, sizeof *t);
    if (!t) abort();
    t->ws = guest_waitable_set_new();
    guest_context_set_0(t);
    unsigned long long ms = 0;
    int sleep = path.len > 7 && memcmp(path.ptr, "/sleep/", 7) == 0;
    if (sleep)
        for (size_t i = 7; i < path.len; i++) ms = ms * 10 + (path.ptr[i] - '0');
    guest_string_free(&path);
    wasi_http_types_request_drop_own(req);
    if (!sleep) {
        memcpy(t->text, "hello\n", 6);
        t->len = 6;
        return reply(t);
    }
    memcpy(t->text, "slept ", 6);
    t->len = 6 + put_u(t->text + 6, ms);
    memcpy(t->text + t->len, " ms\n", 4);
    t->len += 4;
    guest_subtask_status_t st = wasi_clocks_monotonic_clock_wait_for(ms * 1000000ULL);
    if (GUEST_SUBTASK_STATE(st) == GUEST_SUBTASK_RETURNED) return reply(t);
    t->sleep = GUEST_SUBTASK_HANDLE(st);
    return wait(t, t->sleep, 0);
}

guest_callback_code_t exports_wasi_http_handler_handle_callback(guest_event_t *event) {
    task_t *t = guest_context_get_0();
    guest_waitable_join(event->waitable, 0);
    switch (t->stage) {
    case 0:
        if (event->code != GUEST_SUBTASK_RETURNED) return wait(t, t->sleep, 0);
        guest_subtask_drop(t->sleep);
        return reply(t);
    case 1:
        t->off += GUEST_WAITABLE_COUNT(event->code);
        if (GUEST_WAITABLE_STATE(event->code) == GUEST_WAITABLE_DROPPED) return end_body(t);
        return write_body(t);
    default:
        wasi_http_types_future_result_option_own_trailers_error_code_drop_writable(t->trailers);
        return done(t);
    }
}
