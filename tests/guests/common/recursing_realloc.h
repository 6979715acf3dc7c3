// A `cabi_realloc` that, once `realloc_recurses` is set, recurses without end instead of
// allocating: the attack on the native stack of a host that re-enters the guest (to lower a
// result) from a stack other than the guest's own (48.0.11's stack-limit fix). It overrides
// wit-bindgen's weak definition. The recursion keeps its state in wasm locals, not in the
// C shadow stack, so it is the engine's native stack that runs out.
#include <stddef.h>
#include <stdlib.h>

static volatile unsigned realloc_recurses;
static volatile unsigned recursion_sink;

__attribute__((noinline)) static unsigned recurse(unsigned n) {
    recursion_sink = n;
    return recurse(n + 1) + recursion_sink;
}

__attribute__((__export_name__("cabi_realloc")))
void *cabi_realloc(void *ptr, size_t old_size, size_t align, size_t new_size) {
    (void)old_size;
    if (realloc_recurses) return (void *)(size_t)recurse(0);
    if (new_size == 0) return (void *)align;
    void *ret = realloc(ptr, new_size);
    if (!ret) abort();
    return ret;
}
