;; A p3 command built against a WASI 0.3 release newer than the core: it imports
;; wasi:random/random@0.3.9 with a function no release has (`get-random-u128`) beside one the
;; core serves. The interface is on the 0.3 track, so the import check takes it; linking
;; refuses the function by name.
(component
  (import "wasi:random/random@0.3.9" (instance $random
    (export "get-random-u64" (func (result u64)))
    (export "get-random-u128" (func (result (tuple u64 u64))))))
  (core func $u64 (canon lower (func $random "get-random-u64")))
  (core module $m
    (import "host" "u64" (func (result i64)))
    (func (export "run") (result i32) (i32.const 0)))
  (core instance $i (instantiate $m (with "host" (instance (export "u64" (func $u64))))))
  (func $run async (result (result)) (canon lift (core func $i "run")))
  (instance $cli (export "run" (func $run)))
  (export "wasi:cli/run@0.3.9" (instance $cli)))
