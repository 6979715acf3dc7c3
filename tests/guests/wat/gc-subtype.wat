;; GHSA-rc4p-x33f-vpr2 as a p2 command (see gc-subtype.p1.wat): refused when compiled.
(component
  (core module $m
    (type $sup (sub (func)))
    (type $sub (sub $sup (func)))
    (table 1 funcref)
    (elem (i32.const 0) func $callee)
    (func $callee (type $sub))
    (func (export "run") (result i32)
      (call_indirect (type $sup) (i32.const 0))
      (i32.const 0)))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $cli (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $cli)))
