;; GHSA-rc4p-x33f-vpr2 as a wasi:http handler (see gc-subtype.p1.wat): `serve` refuses it
;; at start instead of aborting on its first request.
(component
  (import "wasi:http/types@0.2.0" (instance $types
    (export "incoming-request" (type (sub resource)))
    (export "response-outparam" (type (sub resource)))))
  (alias export $types "incoming-request" (type $request))
  (alias export $types "response-outparam" (type $outparam))
  (core module $m
    (type $sup (sub (func)))
    (type $sub (sub $sup (func)))
    (table 1 funcref)
    (elem (i32.const 0) func $callee)
    (func $callee (type $sub))
    (func (export "handle") (param i32 i32)
      (call_indirect (type $sup) (i32.const 0))))
  (core instance $i (instantiate $m))
  (func $handle (param "request" (own $request)) (param "response-out" (own $outparam))
    (canon lift (core func $i "handle")))
  (instance $handler (export "handle" (func $handle)))
  (export "wasi:http/incoming-handler@0.2.0" (instance $handler)))
