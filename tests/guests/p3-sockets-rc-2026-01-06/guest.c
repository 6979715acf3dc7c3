// p3-sockets against WASI 0.3.0-rc-2026-01-06 (wasmtime 41-42, wasip3 0.4): ../p3-sockets/guest.c.
#define RC_2026_01_06 1
#include "../p3-sockets/guest.c"
