// A p2 command using wasi:config (-S config, -S config-var) and wasi:keyvalue (-S keyvalue,
// -S keyvalue-in-memory-data): prints config `greeting` and `missing`, the keyvalue value of
// `k`, then sets and checks `n` (../common/extras_report.h).
#include <stdint.h>
#include <string.h>
#include "guest.h"
#include "../common/extras_report.h"

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

bool exports_wasi_cli_run_run(void) {
    out = wasi_cli_stdout_get_stdout();
    extras_report(say_n);
    wasi_io_streams_output_stream_drop_own(out);
    return true;
}
