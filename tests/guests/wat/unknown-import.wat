;; A reactor importing an interface nobody serves: refused up front, or with
;; `-W unknown-imports-trap` instantiated with a trapping stub (`call-missing` traps, `ok` runs).
(component
  (import "example:missing/api@0.1.0" (instance $api (export "ping" (func))))
  (alias export $api "ping" (func $ping))
  (core func $ping_lowered (canon lower (func $ping)))
  (core module $m
    (import "host" "ping" (func $p))
    (func (export "call-missing") call $p)
    (func (export "ok") (result i32) i32.const 1))
  (core instance $host (export "ping" (func $ping_lowered)))
  (core instance $i (instantiate $m (with "host" (instance $host))))
  (func (export "call-missing") (canon lift (core func $i "call-missing")))
  (func (export "ok") (result u32) (canon lift (core func $i "ok"))))
