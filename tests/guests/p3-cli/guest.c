// A WASIp3 guest calling wasi:cli, wasi:clocks and wasi:random @0.3.0 directly (wit-bindgen c
// bindings, async component model). argv[1] picks what it exercises:
//
//   env             args, environment, initial cwd, terminal queries, clocks (wait-for,
//                   wait-until), random
//   stdout          stdout and stderr streams, a second stdout stream, zero-length writes
//   stdin           copies stdin to stdout through read-via-stream (zero-length read first)
//   prompt [stderr] writes "name? " to stdout (or a stderr stream) without closing it, reads a
//                   line from stdin, answers "hello, NAME" on stdout
//   faults          two stdout streams, each written and closed; each result (and the stdout
//                   error code) reported on stderr (for hosts whose stdout fails)
//   oob-zero write|read  a zero-length write to stdout (read from stdin) from a pointer past
//                   the end of memory; says what came back
//   cancel-wrong-end  cancels a pending read with `stream.cancel-write` on the reading end,
//                   then drops both ends as writers (GHSA-xrvr-8678-5wp8: a wasmtime 48.0.8
//                   bug; a fixed runtime traps at the cancel)
//   exit-code N     exit-with-code N
//   exit-err        exit(err)
//   bench-stdout MIB  writes MIB MiB to stdout in 4 KiB stream writes
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"

// wit-bindgen names one stream<u8> type after the first interface using it (stdin).
static guest_waitable_set_t ws;
static wasi_cli_stdin_stream_u8_writer_t out_w;

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

static int write_to(wasi_cli_stdin_stream_u8_writer_t w, const uint8_t *p, size_t n) {
    while (n > 0) {
        guest_waitable_status_t st = wasi_cli_stdin_stream_u8_write(w, p, n);
        if (st == GUEST_WAITABLE_STATUS_BLOCKED) st = wait_on(w);
        size_t done = GUEST_WAITABLE_COUNT(st);
        p += done; n -= done;
        if (GUEST_WAITABLE_STATE(st) == GUEST_WAITABLE_DROPPED) return n == 0;
    }
    return 1;
}
static char line[1024];
static size_t pos;
static void put_s(const char *s) { while (*s && pos < sizeof line) line[pos++] = *s++; }
static void put_n(const uint8_t *s, size_t n) { while (n-- && pos < sizeof line) line[pos++] = (char)*s++; }
static void put_u(unsigned long long v) {
    char t[24]; int i = 0;
    do { t[i++] = '0' + v % 10; v /= 10; } while (v);
    while (i && pos < sizeof line) line[pos++] = t[--i];
}
static void put_str(guest_string_t *s) { put_n(s->ptr, s->len); }
static void flush_line(void) { write_to(out_w, (const uint8_t *)line, pos); pos = 0; }
static void say(const char *s) { put_s(s); flush_line(); }
static int streq(guest_string_t *s, const char *c) { return s->len == strlen(c) && memcmp(s->ptr, c, s->len) == 0; }
static unsigned long long to_u(guest_string_t *s) {
    unsigned long long v = 0;
    for (size_t i = 0; i < s->len; i++) v = v * 10 + (s->ptr[i] - '0');
    return v;
}

static void do_env(guest_list_string_t *argv) {
    for (size_t i = 0; i < argv->len; i++) { put_s("arg: "); put_str(&argv->ptr[i]); put_s("\n"); }
    flush_line();
    guest_list_tuple2_string_string_t env;
    wasi_cli_environment_get_environment(&env);
    for (size_t i = 0; i < env.len; i++) {
        put_s("env: "); put_str(&env.ptr[i].f0); put_s("="); put_str(&env.ptr[i].f1); put_s("\n");
    }
    flush_line();
    guest_list_tuple2_string_string_free(&env);
    guest_string_t cwd;
    if (wasi_cli_environment_get_initial_cwd(&cwd)) { put_s("cwd: "); put_str(&cwd); put_s("\n"); guest_string_free(&cwd); }
    else put_s("cwd: none\n");
    wasi_cli_terminal_stdin_own_terminal_input_t ti;
    wasi_cli_terminal_stdout_own_terminal_output_t to;
    put_s("terminal stdin: ");
    if (wasi_cli_terminal_stdin_get_terminal_stdin(&ti)) { put_s("yes\n"); wasi_cli_terminal_input_terminal_input_drop_own(ti); } else put_s("no\n");
    put_s("terminal stdout: ");
    if (wasi_cli_terminal_stdout_get_terminal_stdout(&to)) { put_s("yes\n"); wasi_cli_terminal_output_terminal_output_drop_own(to); } else put_s("no\n");
    put_s("terminal stderr: ");
    if (wasi_cli_terminal_stderr_get_terminal_stderr(&to)) { put_s("yes\n"); wasi_cli_terminal_output_terminal_output_drop_own(to); } else put_s("no\n");
    flush_line();

    uint64_t t0 = wasi_clocks_monotonic_clock_now();
    wait_subtask(wasi_clocks_monotonic_clock_wait_for(1000000));
    uint64_t t1 = wasi_clocks_monotonic_clock_now();
    put_s("wait-for waited >= 1ms: "); put_s(t1 - t0 >= 1000000 ? "yes\n" : "no\n");
    wait_subtask(wasi_clocks_monotonic_clock_wait_until(t1 + 1000000));
    put_s("wait-until reached: "); put_s(wasi_clocks_monotonic_clock_now() >= t1 + 1000000 ? "yes\n" : "no\n");
    wait_subtask(wasi_clocks_monotonic_clock_wait_until(0));
    wait_subtask(wasi_clocks_monotonic_clock_wait_for(0));
    put_s("past waits return: yes\n");
    put_s("monotonic resolution > 0: "); put_s(wasi_clocks_monotonic_clock_get_resolution() > 0 ? "yes\n" : "no\n");
    wasi_clocks_system_clock_instant_t now;
    wasi_clocks_system_clock_now(&now);
    put_s("system clock after 2020: "); put_s(now.seconds > 1577836800ll ? "yes\n" : "no\n");
    put_s("system resolution > 0: "); put_s(wasi_clocks_system_clock_get_resolution() > 0 ? "yes\n" : "no\n");
    flush_line();

    static const uint64_t sizes[] = { 0, 1, 7, 64, 4096, 100000 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        guest_list_u8_t b;
        wasi_random_random_get_random_bytes(sizes[i], &b);
        put_s("random "); put_u(sizes[i]); put_s(" -> "); put_u(b.len); put_s("\n");
        guest_list_u8_free(&b);
        wasi_random_insecure_get_insecure_random_bytes(sizes[i], &b);
        put_s("insecure "); put_u(sizes[i]); put_s(" -> "); put_u(b.len); put_s("\n");
        guest_list_u8_free(&b);
    }
    uint64_t a = wasi_random_random_get_random_u64(), c = wasi_random_random_get_random_u64();
    uint64_t d = wasi_random_insecure_get_insecure_random_u64(), e = wasi_random_insecure_get_insecure_random_u64();
    put_s("u64s differ: "); put_s(a != c && d != e ? "yes\n" : "no\n");
    guest_tuple2_u64_u64_t seed;
    wasi_random_insecure_seed_get_insecure_seed(&seed);
    put_s("seed: "); put_u(seed.f0); put_s(" "); put_u(seed.f1); put_s("\n");
    flush_line();
}

static void do_stdout(void) {
    say("first line on stdout\n");
    // a zero-length write is a readiness probe and completes
    guest_waitable_status_t st = wasi_cli_stdin_stream_u8_write(out_w, (const uint8_t *)"", 0);
    if (st == GUEST_WAITABLE_STATUS_BLOCKED) st = wait_on(out_w);
    say("zero-length write completed\n");
    // stderr
    wasi_cli_stdin_stream_u8_writer_t err_w;
    wasi_cli_stdin_stream_u8_t err_r = wasi_cli_stdin_stream_u8_new(&err_w);
    wasi_cli_stderr_future_result_void_error_code_t err_done = wasi_cli_stderr_write_via_stream(err_r);
    static const char emsg[] = "to stderr via p3\n";
    write_to(err_w, (const uint8_t *)emsg, sizeof emsg - 1);
    wasi_cli_stdin_stream_u8_drop_writable(err_w);
    wasi_cli_stderr_result_void_error_code_t r;
    if (wasi_cli_stderr_future_result_void_error_code_read(err_done, &r) == GUEST_WAITABLE_STATUS_BLOCKED) wait_on(err_done);
    wasi_cli_stderr_future_result_void_error_code_drop_readable(err_done);
    // a second stdout stream, closed before the first
    wasi_cli_stdin_stream_u8_writer_t w2;
    wasi_cli_stdin_stream_u8_t r2 = wasi_cli_stdin_stream_u8_new(&w2);
    wasi_cli_stdout_future_result_void_error_code_t done2 = wasi_cli_stdout_write_via_stream(r2);
    static const char m2[] = "from a second stdout stream\n";
    write_to(w2, (const uint8_t *)m2, sizeof m2 - 1);
    wasi_cli_stdin_stream_u8_drop_writable(w2);
    wasi_cli_stdout_result_void_error_code_t r2res;
    if (wasi_cli_stdout_future_result_void_error_code_read(done2, &r2res) == GUEST_WAITABLE_STATUS_BLOCKED) wait_on(done2);
    wasi_cli_stdout_future_result_void_error_code_drop_readable(done2);
    put_s("second stream result: "); put_s(r2res.is_err ? "err\n" : "ok\n"); flush_line();
    for (int i = 0; i < 100; i++) put_s("0123456789");
    put_s("\n");
    flush_line();
    say("stdout done\n");
}

static void do_stdin(void) {
    wasi_cli_stdin_tuple2_stream_u8_future_result_void_error_code_t rf;
    wasi_cli_stdin_read_via_stream(&rf);
    static uint8_t buf[7];
    // zero-length read: readiness
    guest_waitable_status_t s = wasi_cli_stdin_stream_u8_read(rf.f0, buf, 0);
    if (s == GUEST_WAITABLE_STATUS_BLOCKED) s = wait_on(rf.f0);
    say("stdin ready\n");
    size_t total = 0;
    for (;;) {
        s = wasi_cli_stdin_stream_u8_read(rf.f0, buf, sizeof buf);
        if (s == GUEST_WAITABLE_STATUS_BLOCKED) s = wait_on(rf.f0);
        size_t n = GUEST_WAITABLE_COUNT(s);
        if (n) { write_to(out_w, buf, n); total += n; }
        if (GUEST_WAITABLE_STATE(s) == GUEST_WAITABLE_DROPPED) break;
    }
    wasi_cli_stdin_stream_u8_drop_readable(rf.f0);
    wasi_cli_stdin_result_void_error_code_t fr;
    if (wasi_cli_stdin_future_result_void_error_code_read(rf.f1, &fr) == GUEST_WAITABLE_STATUS_BLOCKED) wait_on(rf.f1);
    wasi_cli_stdin_future_result_void_error_code_drop_readable(rf.f1);
    put_s("\nstdin bytes: "); put_u(total); put_s(", result: "); put_s(fr.is_err ? "err\n" : "ok\n");
    flush_line();
}

// `oob-zero write|read`: a zero-length stream write to stdout (or read from stdin) whose
// pointer is past the end of memory (GHSA-93g3-36p8-x2gc); says what came back, if anything.
static void do_oob_zero(int read) {
    const uintptr_t past_end = 0xFFFFFFF0u;
    guest_waitable_status_t s;
    if (read) {
        wasi_cli_stdin_tuple2_stream_u8_future_result_void_error_code_t rf;
        wasi_cli_stdin_read_via_stream(&rf);
        s = wasi_cli_stdin_stream_u8_read(rf.f0, (uint8_t *)past_end, 0);
        if (s == GUEST_WAITABLE_STATUS_BLOCKED) s = wait_on(rf.f0);
    } else {
        s = wasi_cli_stdin_stream_u8_write(out_w, (const uint8_t *)past_end, 0);
        if (s == GUEST_WAITABLE_STATUS_BLOCKED) s = wait_on(out_w);
    }
    put_s(read ? "oob zero-length read: " : "oob zero-length write: ");
    put_u(GUEST_WAITABLE_COUNT(s)); put_s("\n");
    flush_line();
}

// `cancel-wrong-end`: a read is pending on a new stream; `stream.cancel-write` is given its
// reading end, and both ends are then dropped as writers (GHSA-xrvr-8678-5wp8). wasmtime
// 48.0.8 takes the reading end for the writing one and its state goes wrong: a build with
// debug assertions panics, a release build reports a bug; a fixed runtime traps at the cancel.
static void do_cancel_wrong_end(void) {
    static uint8_t buf[16];
    wasi_cli_stdin_stream_u8_writer_t w;
    wasi_cli_stdin_stream_u8_t r = wasi_cli_stdin_stream_u8_new(&w);
    guest_waitable_status_t s = wasi_cli_stdin_stream_u8_read(r, buf, sizeof buf);
    say(s == GUEST_WAITABLE_STATUS_BLOCKED ? "read: blocked\n" : "read: done\n");
    wasi_cli_stdin_stream_u8_cancel_write((wasi_cli_stdin_stream_u8_writer_t)r);
    wasi_cli_stdin_stream_u8_drop_writable(w);
    wasi_cli_stdin_stream_u8_drop_writable((wasi_cli_stdin_stream_u8_writer_t)r);
    say("the runtime took all of it\n");
}

// A prompt the way interactive programs write one: no newline, the stream left open.
static void do_prompt(int to_stderr) {
    wasi_cli_stdin_stream_u8_writer_t w = out_w, err_w = 0;
    wasi_cli_stderr_future_result_void_error_code_t err_done = 0;
    if (to_stderr) {
        wasi_cli_stdin_stream_u8_t err_r = wasi_cli_stdin_stream_u8_new(&err_w);
        err_done = wasi_cli_stderr_write_via_stream(err_r);
        w = err_w;
    }
    write_to(w, (const uint8_t *)"name? ", 6);
    wasi_cli_stdin_tuple2_stream_u8_future_result_void_error_code_t rf;
    wasi_cli_stdin_read_via_stream(&rf);
    static uint8_t name[256];
    size_t len = 0;
    for (;;) {
        uint8_t c;
        guest_waitable_status_t s = wasi_cli_stdin_stream_u8_read(rf.f0, &c, 1);
        if (s == GUEST_WAITABLE_STATUS_BLOCKED) s = wait_on(rf.f0);
        if (GUEST_WAITABLE_COUNT(s) == 1) {
            if (c == '\n') break;
            if (len < sizeof name) name[len++] = c;
        }
        if (GUEST_WAITABLE_STATE(s) == GUEST_WAITABLE_DROPPED) break;
    }
    wasi_cli_stdin_stream_u8_drop_readable(rf.f0);
    wasi_cli_stdin_future_result_void_error_code_drop_readable(rf.f1);
    put_s("hello, "); put_n(name, len); put_s("\n"); flush_line();
    if (to_stderr) {
        wasi_cli_stdin_stream_u8_drop_writable(err_w);
        wasi_cli_stderr_result_void_error_code_t r;
        if (wasi_cli_stderr_future_result_void_error_code_read(err_done, &r) == GUEST_WAITABLE_STATUS_BLOCKED) wait_on(err_done);
        wasi_cli_stderr_future_result_void_error_code_drop_readable(err_done);
    }
}

static void do_faults(void) {
    wasi_cli_stdin_stream_u8_writer_t err_w;
    wasi_cli_stdin_stream_u8_t err_r = wasi_cli_stdin_stream_u8_new(&err_w);
    wasi_cli_stderr_future_result_void_error_code_t err_done = wasi_cli_stderr_write_via_stream(err_r);
    for (int i = 1; i <= 2; i++) {
        wasi_cli_stdin_stream_u8_writer_t w;
        wasi_cli_stdin_stream_u8_t r = wasi_cli_stdin_stream_u8_new(&w);
        wasi_cli_stdout_future_result_void_error_code_t done = wasi_cli_stdout_write_via_stream(r);
        int wrote = write_to(w, (const uint8_t *)"x\n", 2);
        wasi_cli_stdin_stream_u8_drop_writable(w);
        wasi_cli_stdout_result_void_error_code_t res;
        if (wasi_cli_stdout_future_result_void_error_code_read(done, &res) == GUEST_WAITABLE_STATUS_BLOCKED) wait_on(done);
        wasi_cli_stdout_future_result_void_error_code_drop_readable(done);
        put_s("stdout stream "); put_u(i); put_s(": write "); put_s(wrote ? "taken" : "dropped");
        put_s(", result "); if (res.is_err) { put_s("err "); put_u(res.val.err); } else put_s("ok");
        put_s("\n");
        write_to(err_w, (const uint8_t *)line, pos); pos = 0;
    }
    wasi_cli_stdin_stream_u8_drop_writable(err_w);
    wasi_cli_stderr_result_void_error_code_t er;
    if (wasi_cli_stderr_future_result_void_error_code_read(err_done, &er) == GUEST_WAITABLE_STATUS_BLOCKED) wait_on(err_done);
    wasi_cli_stderr_future_result_void_error_code_drop_readable(err_done);
}

static void bench_stdout(unsigned long long mib) {
    static uint8_t chunk[4096];
    memset(chunk, 'x', sizeof chunk);
    chunk[sizeof chunk - 1] = '\n';
    for (unsigned long long i = 0; i < mib * 256; i++) write_to(out_w, chunk, sizeof chunk);
}

guest_callback_code_t exports_wasi_cli_run_run(void) {
    ws = guest_waitable_set_new();
    wasi_cli_stdin_stream_u8_t out_r = wasi_cli_stdin_stream_u8_new(&out_w);
    wasi_cli_stdout_future_result_void_error_code_t out_done = wasi_cli_stdout_write_via_stream(out_r);

    guest_list_string_t argv;
    wasi_cli_environment_get_arguments(&argv);
    guest_string_t *mode = argv.len > 1 ? &argv.ptr[1] : NULL;
    unsigned long long arg2 = argv.len > 2 ? to_u(&argv.ptr[2]) : 0;
    int ok = 1;
    if (!mode || streq(mode, "env")) do_env(&argv);
    else if (streq(mode, "stdout")) do_stdout();
    else if (streq(mode, "stdin")) do_stdin();
    else if (streq(mode, "bench-stdout")) bench_stdout(arg2);
    else if (streq(mode, "prompt")) do_prompt(argv.len > 2 && streq(&argv.ptr[2], "stderr"));
    else if (streq(mode, "faults")) do_faults();
    else if (streq(mode, "oob-zero")) do_oob_zero(argv.len > 2 && streq(&argv.ptr[2], "read"));
    else if (streq(mode, "cancel-wrong-end")) do_cancel_wrong_end();
    else if (streq(mode, "exit-code")) {
        say("exiting with code\n");
        wasi_cli_stdin_stream_u8_drop_writable(out_w);
        if (wasi_cli_stdout_future_result_void_error_code_read(out_done, &(wasi_cli_stdout_result_void_error_code_t){0}) == GUEST_WAITABLE_STATUS_BLOCKED) wait_on(out_done);
        wasi_cli_exit_exit_with_code((uint8_t)arg2);
    } else if (streq(mode, "exit-err")) {
        say("exiting with error\n");
        wasi_cli_stdin_stream_u8_drop_writable(out_w);
        if (wasi_cli_stdout_future_result_void_error_code_read(out_done, &(wasi_cli_stdout_result_void_error_code_t){0}) == GUEST_WAITABLE_STATUS_BLOCKED) wait_on(out_done);
        wasi_cli_exit_result_void_void_t st = { .is_err = true };
        wasi_cli_exit_exit(&st);
    } else if (streq(mode, "return-err")) { say("returning error\n"); ok = 0; }
    else { put_s("unknown mode "); put_str(mode); put_s("\n"); flush_line(); ok = 0; }
    guest_list_string_free(&argv);

    wasi_cli_stdin_stream_u8_drop_writable(out_w);
    wasi_cli_stdout_result_void_error_code_t r;
    if (wasi_cli_stdout_future_result_void_error_code_read(out_done, &r) == GUEST_WAITABLE_STATUS_BLOCKED) wait_on(out_done);
    wasi_cli_stdout_future_result_void_error_code_drop_readable(out_done);
    guest_waitable_set_drop(ws);
    exports_wasi_cli_run_run_return((exports_wasi_cli_run_result_void_void_t){ .is_err = !ok });
    return GUEST_CALLBACK_CODE_EXIT;
}

// Not reached: run() never returns GUEST_CALLBACK_CODE_WAIT.
guest_callback_code_t exports_wasi_cli_run_run_callback(guest_event_t *event) {
    (void)event;
    return GUEST_CALLBACK_CODE_EXIT;
}
