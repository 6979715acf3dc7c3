// A WASIp3 guest calling wasi:filesystem@0.3.0 directly (wit-bindgen c). Under the first
// preopen it creates, writes (write-via-stream, append-via-stream), reads (read-via-stream),
// stats, lists (read-directory), renames, links, symlinks, truncates and removes, and prints
// every result, including the error codes of bad requests (escapes, missing files, reading a
// directory). argv[1] = "readonly" runs the mutations against a read-only preopen instead;
// "bench-read F", "bench-write F MIB" and "bench-readdir D" are the benchmark workloads;
// "realloc-recurses readlink|readdir" is an attack on the host (../common/recursing_realloc.h).
// Built with RC_2026_01_06 defined (../p3-fs-rc-2026-01-06/guest.c), it is the same guest
// against WASI 0.3.0-rc-2026-01-06, whose error codes and descriptor types are enums and whose
// write-via-stream, append-via-stream, read-directory and stdout's write-via-stream are
// `async func`s returning their result; it prints 0.3.0's numbers, so both print the same.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "guest.h"
#include "../common/recursing_realloc.h"

#ifdef RC_2026_01_06
#define ERR_TAG(e) (e)
#define TYPE_TAG(t) ((t) == 0 ? 7 : (t) - 1) /* `unknown` first; 0.3.0's `other` is 7 */
#else
#define ERR_TAG(e) ((e).tag)
#define TYPE_TAG(t) ((t).tag)
#endif

typedef wasi_filesystem_types_borrow_descriptor_t bdesc;
typedef wasi_filesystem_types_own_descriptor_t odesc;

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
static void say_n(const uint8_t *p, size_t n) { out_write(p, n); }
static void say_u(unsigned long long v) {
    char t[24]; int i = 23; t[i] = 0;
    do { t[--i] = '0' + v % 10; v /= 10; } while (v);
    say(t + i);
}
static guest_string_t S(const char *s) { guest_string_t r; guest_string_set(&r, s); return r; }
static void report(const char *what, bool is_err, wasi_filesystem_types_error_code_t *e) {
    say(what);
    if (is_err) { say(": error "); say_u(ERR_TAG(*e)); say("\n"); } else say(": ok\n");
}
#define CALL_VOID(what, expr) do { wasi_filesystem_types_result_void_error_code_t r_; \
    wait_subtask(expr); report(what, r_.is_err, &r_.val.err); } while (0)
#define R (&r_)

// A write-via-stream / append-via-stream in flight: its result future (0.3.0), or its
// subtask and where the result lands (the candidate's async func).
typedef struct {
#ifdef RC_2026_01_06
    guest_subtask_status_t st;
    wasi_filesystem_types_result_void_error_code_t res;
#else
    wasi_filesystem_types_future_result_void_error_code_t done;
#endif
} pending_write;
static void write_start(pending_write *pw, bdesc d, wasi_filesystem_types_stream_u8_t r, int append, uint64_t offset) {
#ifdef RC_2026_01_06
    pw->st = append ? wasi_filesystem_types_method_descriptor_append_via_stream(d, r, &pw->res)
                    : wasi_filesystem_types_method_descriptor_write_via_stream(d, r, offset, &pw->res);
#else
    pw->done = append ? wasi_filesystem_types_method_descriptor_append_via_stream(d, r)
                      : wasi_filesystem_types_method_descriptor_write_via_stream(d, r, offset);
#endif
}
static wasi_filesystem_types_result_void_error_code_t write_end(pending_write *pw) {
#ifdef RC_2026_01_06
    wait_subtask(pw->st);
    return pw->res;
#else
    wasi_filesystem_types_result_void_error_code_t res;
    if (wasi_filesystem_types_future_result_void_error_code_read(pw->done, &res) == GUEST_WAITABLE_STATUS_BLOCKED) wait_on(pw->done);
    wasi_filesystem_types_future_result_void_error_code_drop_readable(pw->done);
    return res;
#endif
}
// read-directory's stream and result future (the candidate's is an async func).
static void read_dir(bdesc d, wasi_filesystem_types_tuple2_stream_directory_entry_future_result_void_error_code_t *rf) {
#ifdef RC_2026_01_06
    wait_subtask(wasi_filesystem_types_method_descriptor_read_directory(d, rf));
#else
    wasi_filesystem_types_method_descriptor_read_directory(d, rf);
#endif
}

// Writes `data` through a stream handed to write-via-stream / append-via-stream.
static void stream_write(bdesc d, const char *data, int append, uint64_t offset) {
    wasi_filesystem_types_stream_u8_writer_t w;
    wasi_filesystem_types_stream_u8_t r = wasi_filesystem_types_stream_u8_new(&w);
    pending_write pw;
    write_start(&pw, d, r, append, offset);
    const uint8_t *p = (const uint8_t *)data; size_t n = strlen(data);
    while (n > 0) {
        guest_waitable_status_t st = wasi_filesystem_types_stream_u8_write(w, p, n);
        if (st == GUEST_WAITABLE_STATUS_BLOCKED) st = wait_on(w);
        size_t k = GUEST_WAITABLE_COUNT(st); p += k; n -= k;
        if (GUEST_WAITABLE_STATE(st) == GUEST_WAITABLE_DROPPED) break;
    }
    wasi_filesystem_types_stream_u8_drop_writable(w);
    wasi_filesystem_types_result_void_error_code_t res = write_end(&pw);
    report(append ? "append-via-stream" : "write-via-stream", res.is_err, &res.val.err);
}

// Reads everything from `offset` through read-via-stream, in reads of `chunk` bytes.
static void stream_read(bdesc d, uint64_t offset, size_t chunk) {
    wasi_filesystem_types_tuple2_stream_u8_future_result_void_error_code_t rf;
    wasi_filesystem_types_method_descriptor_read_via_stream(d, offset, &rf);
    static uint8_t buf[256];
    say("read-via-stream: [");
    for (;;) {
        guest_waitable_status_t s = wasi_filesystem_types_stream_u8_read(rf.f0, buf, chunk);
        if (s == GUEST_WAITABLE_STATUS_BLOCKED) s = wait_on(rf.f0);
        say_n(buf, GUEST_WAITABLE_COUNT(s));
        if (GUEST_WAITABLE_STATE(s) == GUEST_WAITABLE_DROPPED) break;
    }
    say("]\n");
    wasi_filesystem_types_stream_u8_drop_readable(rf.f0);
    wasi_filesystem_types_result_void_error_code_t res;
    if (wasi_filesystem_types_future_result_void_error_code_read(rf.f1, &res) == GUEST_WAITABLE_STATUS_BLOCKED) wait_on(rf.f1);
    wasi_filesystem_types_future_result_void_error_code_drop_readable(rf.f1);
    report("read-via-stream result", res.is_err, &res.val.err);
}

static int cmp_entry(const void *a, const void *b) {
    const wasi_filesystem_types_directory_entry_t *x = a, *y = b;
    size_t n = x->name.len < y->name.len ? x->name.len : y->name.len;
    int c = memcmp(x->name.ptr, y->name.ptr, n);
    return c ? c : (int)x->name.len - (int)y->name.len;
}

// Lists a directory through read-directory, two entries per read, sorted for printing.
static void list(bdesc d, const char *label) {
    wasi_filesystem_types_tuple2_stream_directory_entry_future_result_void_error_code_t rf;
    read_dir(d, &rf);
    static wasi_filesystem_types_directory_entry_t all[64];
    size_t n = 0;
    for (;;) {
        guest_waitable_status_t s = wasi_filesystem_types_stream_directory_entry_read(rf.f0, all + n, n + 2 <= 64 ? 2 : 64 - n);
        if (s == GUEST_WAITABLE_STATUS_BLOCKED) s = wait_on(rf.f0);
        n += GUEST_WAITABLE_COUNT(s);
        if (GUEST_WAITABLE_STATE(s) == GUEST_WAITABLE_DROPPED || n >= 64) break;
    }
    wasi_filesystem_types_stream_directory_entry_drop_readable(rf.f0);
    wasi_filesystem_types_result_void_error_code_t res;
    if (wasi_filesystem_types_future_result_void_error_code_read(rf.f1, &res) == GUEST_WAITABLE_STATUS_BLOCKED) wait_on(rf.f1);
    wasi_filesystem_types_future_result_void_error_code_drop_readable(rf.f1);
    qsort(all, n, sizeof all[0], cmp_entry);
    say("ls "); say(label); say(":");
    for (size_t i = 0; i < n; i++) {
        say(" "); say_n(all[i].name.ptr, all[i].name.len); say("("); say_u(TYPE_TAG(all[i].type)); say(")");
        guest_string_free(&all[i].name);
    }
    say("\n");
    report("read-directory result", res.is_err, &res.val.err);
}

static bool open_at(bdesc dir, const char *path, uint8_t oflags, uint8_t flags, uint8_t pflags, odesc *out) {
    wasi_filesystem_types_method_descriptor_open_at_args_t a = {
        .self = dir, .path_flags = pflags, .path = S(path), .open_flags = oflags, .flags = flags };
    wasi_filesystem_types_result_own_descriptor_error_code_t r;
    wait_subtask(wasi_filesystem_types_method_descriptor_open_at(&a, &r));
    say("open-at "); say(path);
    if (r.is_err) { say(": error "); say_u(ERR_TAG(r.val.err)); say("\n"); return false; }
    say(": ok\n");
    *out = r.val.ok;
    return true;
}

static void print_stat(const char *what, wasi_filesystem_types_result_descriptor_stat_error_code_t *r) {
    say(what);
    if (r->is_err) { say(": error "); say_u(ERR_TAG(r->val.err)); say("\n"); return; }
    say(": type "); say_u(TYPE_TAG(r->val.ok.type)); say(" size "); say_u(r->val.ok.size);
    say(" links "); say_u(r->val.ok.link_count);
    say(r->val.ok.data_modification_timestamp.is_some ? " mtime yes\n" : " mtime no\n");
}

static void run_all(bdesc root, int readonly) {
    const uint8_t RW = WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ | WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_WRITE;
    const uint8_t RD = WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ;
    const uint8_t CREATE = WASI_FILESYSTEM_TYPES_OPEN_FLAGS_CREATE;
    const uint8_t FOLLOW = WASI_FILESYSTEM_TYPES_PATH_FLAGS_SYMLINK_FOLLOW;
    odesc f, g, sub;
    if (readonly) {
        if (open_at(root, "new.txt", CREATE, RW, 0, &f)) wasi_filesystem_types_descriptor_drop_own(f);
        CALL_VOID("create-directory-at", wasi_filesystem_types_method_descriptor_create_directory_at(root, S("d"), R));
        CALL_VOID("unlink-file-at", wasi_filesystem_types_method_descriptor_unlink_file_at(root, S("input.txt"), R));
        if (open_at(root, "input.txt", 0, RD, 0, &f)) {
            stream_read(wasi_filesystem_types_borrow_descriptor(f), 0, 64);
            stream_write(wasi_filesystem_types_borrow_descriptor(f), "nope", 0, 0);
            CALL_VOID("set-size", wasi_filesystem_types_method_descriptor_set_size(wasi_filesystem_types_borrow_descriptor(f), 0, R));
            stream_write(wasi_filesystem_types_borrow_descriptor(f), "nope", 1, 0);
            wasi_filesystem_types_method_descriptor_set_times_args_t ta = { .self = wasi_filesystem_types_borrow_descriptor(f) };
            ta.data_access_timestamp.tag = WASI_FILESYSTEM_TYPES_NEW_TIMESTAMP_NOW;
            ta.data_modification_timestamp.tag = WASI_FILESYSTEM_TYPES_NEW_TIMESTAMP_NOW;
            CALL_VOID("set-times", wasi_filesystem_types_method_descriptor_set_times(&ta, R));
            wasi_filesystem_types_descriptor_drop_own(f);
        }
        if (open_at(root, "input.txt", WASI_FILESYSTEM_TYPES_OPEN_FLAGS_TRUNCATE, RD, 0, &f)) wasi_filesystem_types_descriptor_drop_own(f);
        if (open_at(root, "input.txt", 0, RW, 0, &f)) wasi_filesystem_types_descriptor_drop_own(f);
        wasi_filesystem_types_method_descriptor_rename_at_args_t ra = { .self = root, .old_path = S("input.txt"), .new_descriptor = root, .new_path = S("x.txt") };
        CALL_VOID("rename-at", wasi_filesystem_types_method_descriptor_rename_at(&ra, R));
        wasi_filesystem_types_method_descriptor_symlink_at_args_t sa = { .self = root, .old_path = S("input.txt"), .new_path = S("lnk") };
        CALL_VOID("symlink-at", wasi_filesystem_types_method_descriptor_symlink_at(&sa, R));
        wasi_filesystem_types_method_descriptor_link_at_args_t la = { .self = root, .old_path_flags = 0, .old_path = S("input.txt"), .new_descriptor = root, .new_path = S("hard") };
        CALL_VOID("link-at", wasi_filesystem_types_method_descriptor_link_at(&la, R));
        wasi_filesystem_types_method_descriptor_set_times_at_args_t tat = { .self = root, .path_flags = 0, .path = S("input.txt") };
        tat.data_access_timestamp.tag = WASI_FILESYSTEM_TYPES_NEW_TIMESTAMP_NOW;
        tat.data_modification_timestamp.tag = WASI_FILESYSTEM_TYPES_NEW_TIMESTAMP_NOW;
        CALL_VOID("set-times-at", wasi_filesystem_types_method_descriptor_set_times_at(&tat, R));
        CALL_VOID("remove-directory-at", wasi_filesystem_types_method_descriptor_remove_directory_at(root, S("sub"), R));
        list(root, ".");
        return;
    }
    if (!open_at(root, "p3.txt", CREATE, RW, 0, &f)) return;
    bdesc bf = wasi_filesystem_types_borrow_descriptor(f);
    stream_write(bf, "hello p3 file\n", 0, 0);
    stream_write(bf, "appended\n", 1, 0);
    stream_write(bf, "HELLO", 0, 0);
    stream_read(bf, 0, 5);
    stream_read(bf, 6, 256);
    stream_read(bf, 1000, 16);
    wasi_filesystem_types_result_descriptor_stat_error_code_t st;
    wait_subtask(wasi_filesystem_types_method_descriptor_stat(bf, &st));
    print_stat("stat p3.txt", &st);
    wasi_filesystem_types_result_descriptor_type_error_code_t ty;
    wait_subtask(wasi_filesystem_types_method_descriptor_get_type(bf, &ty));
    say("get-type: "); say_u(ty.is_err ? 99 : TYPE_TAG(ty.val.ok)); say("\n");
    wasi_filesystem_types_result_descriptor_flags_error_code_t fl;
    wait_subtask(wasi_filesystem_types_method_descriptor_get_flags(bf, &fl));
    say("get-flags: "); say_u(fl.is_err ? 999 : fl.val.ok); say("\n");
    CALL_VOID("advise", wasi_filesystem_types_method_descriptor_advise(bf, 0, 0, WASI_FILESYSTEM_TYPES_ADVICE_SEQUENTIAL, R));
    CALL_VOID("sync-data", wasi_filesystem_types_method_descriptor_sync_data(bf, R));
    CALL_VOID("sync", wasi_filesystem_types_method_descriptor_sync(bf, R));
    wasi_filesystem_types_method_descriptor_set_times_args_t ta = { .self = bf };
    ta.data_access_timestamp.tag = WASI_FILESYSTEM_TYPES_NEW_TIMESTAMP_NO_CHANGE;
    ta.data_modification_timestamp.tag = WASI_FILESYSTEM_TYPES_NEW_TIMESTAMP_TIMESTAMP;
    ta.data_modification_timestamp.val.timestamp.seconds = 1000000000;
    ta.data_modification_timestamp.val.timestamp.nanoseconds = 5;
    CALL_VOID("set-times", wasi_filesystem_types_method_descriptor_set_times(&ta, R));
    CALL_VOID("set-size 4", wasi_filesystem_types_method_descriptor_set_size(bf, 4, R));
    stream_read(bf, 0, 64);
    stream_write(bf, "HELLO p3 file\n", 0, 0);
    // second descriptor on the same file: same object, same hash
    if (open_at(root, "p3.txt", 0, RD, 0, &g)) {
        bool same = false;
        wait_subtask(wasi_filesystem_types_method_descriptor_is_same_object(bf, wasi_filesystem_types_borrow_descriptor(g), &same));
        say(same ? "is-same-object: yes\n" : "is-same-object: no\n");
        wasi_filesystem_types_result_metadata_hash_value_error_code_t h1, h2;
        wait_subtask(wasi_filesystem_types_method_descriptor_metadata_hash(bf, &h1));
        wait_subtask(wasi_filesystem_types_method_descriptor_metadata_hash_at(root, 0, S("p3.txt"), &h2));
        say(!h1.is_err && !h2.is_err && h1.val.ok.lower == h2.val.ok.lower && h1.val.ok.upper == h2.val.ok.upper
            ? "metadata-hash agrees: yes\n" : "metadata-hash agrees: no\n");
        stream_write(wasi_filesystem_types_borrow_descriptor(g), "x", 0, 0);
        wasi_filesystem_types_descriptor_drop_own(g);
    }
    wasi_filesystem_types_descriptor_drop_own(f);
    // directories
    CALL_VOID("create-directory-at d", wasi_filesystem_types_method_descriptor_create_directory_at(root, S("d"), R));
    CALL_VOID("create-directory-at d again", wasi_filesystem_types_method_descriptor_create_directory_at(root, S("d"), R));
    wasi_filesystem_types_method_descriptor_rename_at_args_t ra = { .self = root, .old_path = S("p3.txt"), .new_descriptor = root, .new_path = S("d/moved.txt") };
    CALL_VOID("rename-at", wasi_filesystem_types_method_descriptor_rename_at(&ra, R));
    wasi_filesystem_types_method_descriptor_symlink_at_args_t sa = { .self = root, .old_path = S("d/moved.txt"), .new_path = S("lnk") };
    CALL_VOID("symlink-at", wasi_filesystem_types_method_descriptor_symlink_at(&sa, R));
    wasi_filesystem_types_result_string_error_code_t rl;
    wait_subtask(wasi_filesystem_types_method_descriptor_readlink_at(root, S("lnk"), &rl));
    if (!rl.is_err) { say("readlink-at: "); say_n(rl.val.ok.ptr, rl.val.ok.len); say("\n"); guest_string_free(&rl.val.ok); }
    wait_subtask(wasi_filesystem_types_method_descriptor_stat_at(root, 0, S("lnk"), &st));
    print_stat("stat-at lnk nofollow", &st);
    wait_subtask(wasi_filesystem_types_method_descriptor_stat_at(root, FOLLOW, S("lnk"), &st));
    print_stat("stat-at lnk follow", &st);
    wasi_filesystem_types_method_descriptor_link_at_args_t la = { .self = root, .old_path_flags = 0, .old_path = S("d/moved.txt"), .new_descriptor = root, .new_path = S("hard.txt") };
    CALL_VOID("link-at", wasi_filesystem_types_method_descriptor_link_at(&la, R));
    wasi_filesystem_types_method_descriptor_set_times_at_args_t tat = { .self = root, .path_flags = 0, .path = S("hard.txt") };
    tat.data_access_timestamp.tag = WASI_FILESYSTEM_TYPES_NEW_TIMESTAMP_NOW;
    tat.data_modification_timestamp.tag = WASI_FILESYSTEM_TYPES_NEW_TIMESTAMP_NO_CHANGE;
    CALL_VOID("set-times-at", wasi_filesystem_types_method_descriptor_set_times_at(&tat, R));
    list(root, ".");
    if (open_at(root, "d", WASI_FILESYSTEM_TYPES_OPEN_FLAGS_DIRECTORY, RD, 0, &sub)) {
        list(wasi_filesystem_types_borrow_descriptor(sub), "d");
        stream_read(wasi_filesystem_types_borrow_descriptor(sub), 0, 16);
        wasi_filesystem_types_descriptor_drop_own(sub);
    }
    // bad requests
    if (open_at(root, "../escape.txt", CREATE, RW, 0, &f)) wasi_filesystem_types_descriptor_drop_own(f);
    if (open_at(root, "/etc/passwd", 0, RD, 0, &f)) wasi_filesystem_types_descriptor_drop_own(f);
    if (open_at(root, "missing.txt", 0, RD, 0, &f)) wasi_filesystem_types_descriptor_drop_own(f);
    if (open_at(root, "d/moved.txt", WASI_FILESYSTEM_TYPES_OPEN_FLAGS_DIRECTORY, RD, 0, &f)) wasi_filesystem_types_descriptor_drop_own(f);
    wasi_filesystem_types_method_descriptor_symlink_at_args_t ea = { .self = root, .old_path = S("../../etc/passwd"), .new_path = S("evil") };
    CALL_VOID("symlink-at escaping", wasi_filesystem_types_method_descriptor_symlink_at(&ea, R));
    if (open_at(root, "evil", 0, RD, FOLLOW, &f)) wasi_filesystem_types_descriptor_drop_own(f);
    CALL_VOID("remove-directory-at non-empty", wasi_filesystem_types_method_descriptor_remove_directory_at(root, S("d"), R));
    CALL_VOID("unlink-file-at directory", wasi_filesystem_types_method_descriptor_unlink_file_at(root, S("d"), R));
    // clean up part of it
    CALL_VOID("unlink-file-at evil", wasi_filesystem_types_method_descriptor_unlink_file_at(root, S("evil"), R));
    CALL_VOID("unlink-file-at lnk", wasi_filesystem_types_method_descriptor_unlink_file_at(root, S("lnk"), R));
    CALL_VOID("unlink-file-at hard.txt", wasi_filesystem_types_method_descriptor_unlink_file_at(root, S("hard.txt"), R));
    list(root, ".");
}

static bool open_quiet(bdesc dir, guest_string_t path, uint8_t oflags, uint8_t flags, odesc *out) {
    wasi_filesystem_types_method_descriptor_open_at_args_t a = {
        .self = dir, .path_flags = 0, .path = path, .open_flags = oflags, .flags = flags };
    wasi_filesystem_types_result_own_descriptor_error_code_t r;
    wait_subtask(wasi_filesystem_types_method_descriptor_open_at(&a, &r));
    if (r.is_err) { say("open failed\n"); return false; }
    *out = r.val.ok;
    return true;
}

// bench-read F: read F to the end through read-via-stream in 64 KiB reads.
static void bench_read(bdesc root, guest_string_t path) {
    odesc f;
    if (!open_quiet(root, path, 0, WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ, &f)) return;
    wasi_filesystem_types_tuple2_stream_u8_future_result_void_error_code_t rf;
    wasi_filesystem_types_method_descriptor_read_via_stream(wasi_filesystem_types_borrow_descriptor(f), 0, &rf);
    static uint8_t buf[65536];
    unsigned long long total = 0;
    for (;;) {
        guest_waitable_status_t s = wasi_filesystem_types_stream_u8_read(rf.f0, buf, sizeof buf);
        if (s == GUEST_WAITABLE_STATUS_BLOCKED) s = wait_on(rf.f0);
        total += GUEST_WAITABLE_COUNT(s);
        if (GUEST_WAITABLE_STATE(s) == GUEST_WAITABLE_DROPPED) break;
    }
    wasi_filesystem_types_stream_u8_drop_readable(rf.f0);
    wasi_filesystem_types_result_void_error_code_t res;
    if (wasi_filesystem_types_future_result_void_error_code_read(rf.f1, &res) == GUEST_WAITABLE_STATUS_BLOCKED) wait_on(rf.f1);
    wasi_filesystem_types_future_result_void_error_code_drop_readable(rf.f1);
    wasi_filesystem_types_descriptor_drop_own(f);
    say("read "); say_u(total); say(" bytes\n");
}

// bench-write F MIB: write MIB MiB to F through write-via-stream in 64 KiB writes.
static void bench_write(bdesc root, guest_string_t path, unsigned long long mib) {
    odesc f;
    if (!open_quiet(root, path, WASI_FILESYSTEM_TYPES_OPEN_FLAGS_CREATE | WASI_FILESYSTEM_TYPES_OPEN_FLAGS_TRUNCATE,
                    WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_WRITE, &f)) return;
    wasi_filesystem_types_stream_u8_writer_t w;
    wasi_filesystem_types_stream_u8_t r = wasi_filesystem_types_stream_u8_new(&w);
    pending_write pw;
    write_start(&pw, wasi_filesystem_types_borrow_descriptor(f), r, 0, 0);
    static uint8_t chunk[65536];
    memset(chunk, 'w', sizeof chunk);
    unsigned long long left = mib << 20;
    while (left > 0) {
        size_t k = left < sizeof chunk ? left : sizeof chunk;
        guest_waitable_status_t st = wasi_filesystem_types_stream_u8_write(w, chunk, k);
        if (st == GUEST_WAITABLE_STATUS_BLOCKED) st = wait_on(w);
        left -= GUEST_WAITABLE_COUNT(st);
        if (GUEST_WAITABLE_STATE(st) == GUEST_WAITABLE_DROPPED) break;
    }
    wasi_filesystem_types_stream_u8_drop_writable(w);
    wasi_filesystem_types_result_void_error_code_t res = write_end(&pw);
    wasi_filesystem_types_descriptor_drop_own(f);
    say("wrote "); say_u((mib << 20) - left); say(res.is_err ? " bytes, error\n" : " bytes\n");
}

// bench-readdir D: count D's entries through read-directory, 256 per read.
static void bench_readdir(bdesc root, guest_string_t path) {
    odesc d;
    if (!open_quiet(root, path, WASI_FILESYSTEM_TYPES_OPEN_FLAGS_DIRECTORY, WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ, &d)) return;
    wasi_filesystem_types_tuple2_stream_directory_entry_future_result_void_error_code_t rf;
    read_dir(wasi_filesystem_types_borrow_descriptor(d), &rf);
    static wasi_filesystem_types_directory_entry_t batch[256];
    unsigned long long total = 0;
    for (;;) {
        guest_waitable_status_t s = wasi_filesystem_types_stream_directory_entry_read(rf.f0, batch, 256);
        if (s == GUEST_WAITABLE_STATUS_BLOCKED) s = wait_on(rf.f0);
        size_t n = GUEST_WAITABLE_COUNT(s);
        for (size_t i = 0; i < n; i++) guest_string_free(&batch[i].name);
        total += n;
        if (GUEST_WAITABLE_STATE(s) == GUEST_WAITABLE_DROPPED) break;
    }
    wasi_filesystem_types_stream_directory_entry_drop_readable(rf.f0);
    wasi_filesystem_types_result_void_error_code_t res;
    if (wasi_filesystem_types_future_result_void_error_code_read(rf.f1, &res) == GUEST_WAITABLE_STATUS_BLOCKED) wait_on(rf.f1);
    wasi_filesystem_types_future_result_void_error_code_drop_readable(rf.f1);
    wasi_filesystem_types_descriptor_drop_own(d);
    say("entries: "); say_u(total); say("\n");
}

static int arg_is(guest_list_string_t *argv, size_t i, const char *s) {
    return argv->len > i && argv->ptr[i].len == strlen(s) && memcmp(argv->ptr[i].ptr, s, argv->ptr[i].len) == 0;
}

// realloc-recurses readlink|readdir: the host lowers a string into the guest — the result of
// an async-lowered readlink-at of the preopen's `lnk` (written when the host's task ends), or
// a directory entry's name (written when the host's stream delivers it) — and the guest's
// cabi_realloc recurses until the engine's stack limit traps. Not reached past the trap.
static void realloc_attack(bdesc root, guest_list_string_t *argv) {
    if (arg_is(argv, 2, "readlink")) {
        wasi_filesystem_types_result_string_error_code_t rl;
        realloc_recurses = 1;
        wait_subtask(wasi_filesystem_types_method_descriptor_readlink_at(root, S("lnk"), &rl));
    } else {
        wasi_filesystem_types_tuple2_stream_directory_entry_future_result_void_error_code_t rf;
        read_dir(root, &rf);
        static wasi_filesystem_types_directory_entry_t batch[4];
        realloc_recurses = 1;
        guest_waitable_status_t s = wasi_filesystem_types_stream_directory_entry_read(rf.f0, batch, 4);
        if (s == GUEST_WAITABLE_STATUS_BLOCKED) wait_on(rf.f0);
    }
    realloc_recurses = 0;
    say("the realloc returned\n");
}

guest_callback_code_t exports_wasi_cli_run_run(void) {
    ws = guest_waitable_set_new();
    wasi_cli_stdout_stream_u8_t out_r = wasi_cli_stdout_stream_u8_new(&out_w);
#ifdef RC_2026_01_06
    wasi_cli_stdout_result_void_error_code_t out_res;
    guest_subtask_status_t out_st = wasi_cli_stdout_write_via_stream(out_r, &out_res);
#else
    wasi_cli_stdout_future_result_void_error_code_t out_done = wasi_cli_stdout_write_via_stream(out_r);
#endif

    guest_list_string_t argv;
    wasi_cli_environment_get_arguments(&argv);
    int readonly = arg_is(&argv, 1, "readonly");
    int bench = arg_is(&argv, 1, "bench-read") || arg_is(&argv, 1, "bench-write") || arg_is(&argv, 1, "bench-readdir");

    wasi_filesystem_preopens_list_tuple2_own_descriptor_string_t pre;
    wasi_filesystem_preopens_get_directories(&pre);
    if (arg_is(&argv, 1, "realloc-recurses") && pre.len > 0) {
        realloc_attack(wasi_filesystem_types_borrow_descriptor(pre.ptr[0].f0), &argv);
    } else if (bench && pre.len > 0 && argv.len > 2) {
        bdesc root = wasi_filesystem_types_borrow_descriptor(pre.ptr[0].f0);
        unsigned long long mib = 0;
        if (argv.len > 3) for (size_t i = 0; i < argv.ptr[3].len; i++) mib = mib * 10 + (argv.ptr[3].ptr[i] - '0');
        if (arg_is(&argv, 1, "bench-read")) bench_read(root, argv.ptr[2]);
        else if (arg_is(&argv, 1, "bench-write")) bench_write(root, argv.ptr[2], mib);
        else bench_readdir(root, argv.ptr[2]);
    } else {
    say("preopens: "); say_u(pre.len); say("\n");
    if (pre.len > 0) {
        say("root: "); say_n(pre.ptr[0].f1.ptr, pre.ptr[0].f1.len); say("\n");
        run_all(wasi_filesystem_types_borrow_descriptor(pre.ptr[0].f0), readonly);
    }
    }
    guest_list_string_free(&argv);
    for (size_t i = 0; i < pre.len; i++) wasi_filesystem_types_descriptor_drop_own(pre.ptr[i].f0);
    wasi_filesystem_preopens_list_tuple2_own_descriptor_string_free(&pre);

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

// Not reached: run() never returns GUEST_CALLBACK_CODE_WAIT.
guest_callback_code_t exports_wasi_cli_run_run_callback(guest_event_t *event) {
    (void)event;
    return GUEST_CALLBACK_CODE_EXIT;
}
