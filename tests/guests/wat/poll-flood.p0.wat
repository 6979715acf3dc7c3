;; GHSA-j366-h8gg-77pm: a preview 0 `poll_oneoff` over 2^31 - 1 subscriptions (120 GB of them)
;; must be refused by the hostcall fuel before the host reads or allocates anything; the
;; module exits with the errno it got.
(module
  (import "wasi_unstable" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $proc_exit
      (call $poll_oneoff (i32.const 0) (i32.const 0) (i32.const 0x7fffffff) (i32.const 64)))))
