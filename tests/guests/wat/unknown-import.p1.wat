;; A WASIp1 command importing a function nobody provides (`env::answer`): refused up front, or
;; under `-W unknown-imports-default` given 0 (prints "answer: zero"), or under
;; `-W unknown-imports-trap` a trap when `_start` calls it.
(module
  (import "env" "answer" (func $answer (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "answer: zero\n")
  (data (i32.const 32) "answer: nonzero\n")
  (func (export "_start")
    (if (i32.eqz (call $answer))
      (then (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 13)))
      (else (i32.store (i32.const 0) (i32.const 32)) (i32.store (i32.const 4) (i32.const 16))))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
