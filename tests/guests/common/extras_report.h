// What the extras guests report of wasi:config and wasi:keyvalue, through `put`: config
// `greeting` and `missing`, the keyvalue value of `k`, then whether a value it sets (`n`)
// reads back. Included after the guest's generated "guest.h".
#include <stdint.h>
#include <string.h>

static guest_string_t extras_str(const char *s) { guest_string_t g = { (uint8_t *)s, strlen(s) }; return g; }

static void extras_config_get(void (*put)(const uint8_t *, size_t), const char *key) {
#define PUT(s) put((const uint8_t *)(s), strlen(s))
    guest_string_t k = extras_str(key);
    guest_option_string_t v;
    wasi_config_store_error_t err;
    PUT("config "); PUT(key); PUT(": ");
    if (!wasi_config_store_get(&k, &v, &err)) { PUT("error\n"); wasi_config_store_error_free(&err); return; }
    if (v.is_some) { put(v.val.ptr, v.val.len); guest_string_free(&v.val); } else PUT("none");
    PUT("\n");
}

static void extras_report(void (*put)(const uint8_t *, size_t)) {
    extras_config_get(put, "greeting");
    extras_config_get(put, "missing");
    guest_string_t id = extras_str("");
    wasi_keyvalue_store_own_bucket_t bucket;
    wasi_keyvalue_store_error_t err;
    if (!wasi_keyvalue_store_open(&id, &bucket, &err)) { PUT("keyvalue open: error\n"); wasi_keyvalue_store_error_free(&err); return; }
    wasi_keyvalue_store_borrow_bucket_t b = wasi_keyvalue_store_borrow_bucket(bucket);
    guest_string_t k = extras_str("k");
    guest_option_list_u8_t v;
    PUT("keyvalue k: ");
    if (wasi_keyvalue_store_method_bucket_get(b, &k, &v, &err)) {
        if (v.is_some) { put(v.val.ptr, v.val.len); guest_list_u8_free(&v.val); } else PUT("none");
    } else { PUT("error"); wasi_keyvalue_store_error_free(&err); }
    PUT("\n");
    guest_string_t n = extras_str("n");
    guest_list_u8_t one = { (uint8_t *)"1", 1 };
    bool exists = false;
    if (wasi_keyvalue_store_method_bucket_set(b, &n, &one, &err)
        && wasi_keyvalue_store_method_bucket_exists(b, &n, &exists, &err))
        PUT(exists ? "keyvalue set n: exists\n" : "keyvalue set n: missing\n");
    else { PUT("keyvalue set n: error\n"); wasi_keyvalue_store_error_free(&err); }
    wasi_keyvalue_store_bucket_drop_own(bucket);
#undef PUT
}
