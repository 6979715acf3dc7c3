// p3-http against WASI 0.3.0-rc-2025-09-16 (wasmtime 38-40): ../p3-http/guest.c.
#define RC_2026_01_06 1
#define RC_2025_09_16 1
#include "../p3-http/guest.c"
