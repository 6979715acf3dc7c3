// A p2 command using wasi:config (-S config, -S config-var) and wasi:keyvalue (-S keyvalue,
// -S keyvalue-in-memory-data): prints config `greeting` and `missing`, the keyvalue value of
// `k`, then sets and checks `n`.
#include <stdint.h>
#include <string.h>
#include "guest.h"

static wasi_io_streams_own_output_stream_t out;

static void say_n(const uint8_t *p, size_t n) {
    guest_list_u8_t l = { (uint8_t *)p, n };
    wasi_io_streams_stream_error_t e;
    if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(
            wasi_io_streams_borrow_output_stream(out), &l, &e)) {
        if (e.tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED)
            wasi_io_error_error_drop_own(e.val.last_operation_failed);
    }
}
static void say(const char *s) { say_n((const uint8_t *)s, strlen(s)); }
static guest_string_t str(const char *s) { guest_string_t g = { (uint8_t *)s, strlen(s) }; return g; }

static void config_get(const char *key) {
    guest_string_t k = str(key);
    guest_option_string_t v;
    wasi_config_store_error_t err;
    say("config "); say(key); say(": ");
    if (!wasi_config_store_get(&k, &v, &err)) { say("error\n"); wasi_config_store_error_free(&err); return; }
    if (v.is_some) { say_n(v.val.ptr, v.val.len); guest_string_free(&v.val); } else say("none");
    say("\n");
}

bool exports_wasi_cli_run_run(void) {
    out = wasi_cli_stdout_get_stdout();
    config_get("greeting");
    config_get("missing");

    guest_string_t id = str("");
    wasi_keyvalue_store_own_bucket_t bucket;
    wasi_keyvalue_store_error_t err;
    if (!wasi_keyvalue_store_open(&id, &bucket, &err)) { say("keyvalue open: error\n"); wasi_keyvalue_store_error_free(&err); return true; }
    wasi_keyvalue_store_borrow_bucket_t b = wasi_keyvalue_store_borrow_bucket(bucket);
    guest_string_t k = str("k");
    guest_option_list_u8_t v;
    say("keyvalue k: ");
    if (wasi_keyvalue_store_method_bucket_get(b, &k, &v, &err)) {
        if (v.is_some) { say_n(v.val.ptr, v.val.len); guest_list_u8_free(&v.val); } else say("none");
    } else { say("error"); wasi_keyvalue_store_error_free(&err); }
    say("\n");
    guest_string_t n = str("n");
    guest_list_u8_t one = { (uint8_t *)"1", 1 };
    bool exists = false;
    if (wasi_keyvalue_store_method_bucket_set(b, &n, &one, &err)
        && wasi_keyvalue_store_method_bucket_exists(b, &n, &exists, &err))
        say(exists ? "keyvalue set n: exists\n" : "keyvalue set n: missing\n");
    else { say("keyvalue set n: error\n"); wasi_keyvalue_store_error_free(&err); }
    wasi_keyvalue_store_bucket_drop_own(bucket);
    wasi_io_streams_output_stream_drop_own(out);
    return true;
}
