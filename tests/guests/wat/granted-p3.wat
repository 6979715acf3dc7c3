;; A p3 component that imports only wasi:random/random and wasi:clocks/monotonic-clock
;; (@0.3.0) and returns what they give: for hosts that grant only those two packages.
(component
  (import "wasi:random/random@0.3.0" (instance $random
    (export "get-random-u64" (func (result u64)))))
  (import "wasi:clocks/monotonic-clock@0.3.0" (instance $clock
    (export "now" (func (result u64)))))
  (core func $random_u64 (canon lower (func $random "get-random-u64")))
  (core func $now (canon lower (func $clock "now")))
  (core module $m
    (import "host" "random" (func $random (result i64)))
    (import "host" "now" (func $now (result i64)))
    (func (export "random") (result i64) call $random)
    (func (export "now") (result i64) call $now))
  (core instance $i (instantiate $m (with "host" (instance
    (export "random" (func $random_u64))
    (export "now" (func $now))))))
  (func (export "random") (result u64) (canon lift (core func $i "random")))
  (func (export "now") (result u64) (canon lift (core func $i "now"))))
