// p3-fs against WASI 0.3.0-rc-2025-09-16 (wasmtime 38-40, wit-bindgen 0.48+): ../p3-fs/guest.c,
// whose 0.3.0-rc-2026-01-06 build this candidate shares but for its timestamps (datetime).
#define RC_2026_01_06 1
#include "../p3-fs/guest.c"
