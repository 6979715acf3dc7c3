// A wasi:http@0.3.0 handler importing wasi:filesystem/preopens@0.3.0: every request is
// answered with handle's error result `internal-error("preopens: N")`, N the number of
// preopened directories (so a server's error line shows that the guest ran with the
// filesystem linked).
#include <stdint.h>
#include <string.h>
#include "guest.h"

static char text[32];

guest_callback_code_t exports_wasi_http_handler_handle(exports_wasi_http_handler_own_request_t req) {
    wasi_http_types_request_drop_own(req);
    wasi_filesystem_preopens_list_tuple2_own_descriptor_string_t dirs;
    wasi_filesystem_preopens_get_directories(&dirs);
    size_t n = dirs.len, len = strlen("preopens: ");
    wasi_filesystem_preopens_list_tuple2_own_descriptor_string_free(&dirs);
    memcpy(text, "preopens: ", len);
    char digits[20]; size_t d = 0;
    do { digits[d++] = '0' + n % 10; n /= 10; } while (n);
    while (d) text[len++] = digits[--d];
    exports_wasi_http_handler_result_own_response_error_code_t ret = { .is_err = true };
    ret.val.err.tag = WASI_HTTP_TYPES_ERROR_CODE_INTERNAL_ERROR;
    ret.val.err.val.internal_error.is_some = true;
    ret.val.err.val.internal_error.val = (guest_string_t){ (uint8_t *)text, len };
    exports_wasi_http_handler_handle_return(ret);
    return GUEST_CALLBACK_CODE_EXIT;
}

guest_callback_code_t exports_wasi_http_handler_handle_callback(guest_event_t *event) {
    (void)event;
    return GUEST_CALLBACK_CODE_EXIT;
}
