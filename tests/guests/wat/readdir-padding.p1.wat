;; GHSA-96f6-r43r-8c24: `fd_readdir` must not copy a host struct's uninitialised padding into
;; guest memory. The buffer is filled with 0xff first; every byte of the first dirent's
;; padding (bytes 21..24) must then be zero. Exits 0 if so, 1 if not, 2 if the call failed.
;; Run with a preopen at fd 3.
(module
  (import "wasi_snapshot_preview1" "fd_readdir"
    (func $fd_readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (memory.fill (i32.const 1024) (i32.const 0xff) (i32.const 512))
    (if (call $fd_readdir (i32.const 3) (i32.const 1024) (i32.const 512) (i64.const 0)
          (i32.const 16))
      (then (call $proc_exit (i32.const 2))))
    (if (i32.or
          (i32.load8_u (i32.const 1045))
          (i32.or (i32.load8_u (i32.const 1046)) (i32.load8_u (i32.const 1047))))
      (then (call $proc_exit (i32.const 1))))
    (call $proc_exit (i32.const 0))))
