;; GHSA-5m8g-xhq4-4h93 / GHSA-f8mm-ggr3-89wh: a p2 guest writes nothing to stdout a million
;; times (each write is within any permit, so none is refused): the host keeps no record of
;; an empty write, so its memory stays flat.
(component
  (import "wasi:io/error@0.2.0" (instance $error-instance
    (export "error" (type (sub resource)))))
  (alias export $error-instance "error" (type $error))
  (import "wasi:io/streams@0.2.0" (instance $streams
    (export "output-stream" (type $os (sub resource)))
    (alias outer 1 $error (type $err))
    (type $stream-error (variant (case "last-operation-failed" (own $err)) (case "closed")))
    (export "stream-error" (type $se (eq $stream-error)))
    (export "[method]output-stream.write"
      (func (param "self" (borrow $os)) (param "contents" (list u8)) (result (result (error $se)))))))
  (alias export $streams "output-stream" (type $output-stream))
  (import "wasi:cli/stdout@0.2.0" (instance $stdout
    (alias outer 1 $output-stream (type $os))
    (export "get-stdout" (func (result (own $os))))))
  (core module $libc (memory (export "mem") 1))
  (core instance $libc (instantiate $libc))
  (core func $get-stdout (canon lower (func $stdout "get-stdout")))
  (core func $write (canon lower (func $streams "[method]output-stream.write")
    (memory (core memory $libc "mem"))))
  (core module $m
    (import "host" "get-stdout" (func $get-stdout (result i32)))
    (import "host" "write" (func $write (param i32 i32 i32 i32)))
    (import "libc" "mem" (memory 1))
    (func (export "run") (result i32)
      (local $out i32) (local $n i32)
      (local.set $out (call $get-stdout))
      (loop $again
        (call $write (local.get $out) (i32.const 64) (i32.const 0) (i32.const 16))
        ;; Any failure ends the run with an error.
        (if (i32.load8_u (i32.const 16)) (then (return (i32.const 1))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br_if $again (i32.lt_u (local.get $n) (i32.const 1000000))))
      (i32.const 0)))
  (core instance $i (instantiate $m
    (with "host" (instance (export "get-stdout" (func $get-stdout)) (export "write" (func $write))))
    (with "libc" (instance $libc))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $cli (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $cli)))
