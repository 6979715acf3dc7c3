// p3-http against WASI 0.3.0-rc-2026-01-06 (wasmtime 41-42, wasip3 0.4): ../p3-http/guest.c.
#define RC_2026_01_06 1
#include "../p3-http/guest.c"
