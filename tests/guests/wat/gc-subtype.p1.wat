;; GHSA-rc4p-x33f-vpr2: a `call_indirect` through a GC-proposal supertype of the callee's
;; type needs a runtime subtype check that wasmtime 48.0.8 built without its `gc` feature
;; does not have (the process aborted). wasi-bridge turns the GC proposal off: refused.
(module
  (type $sup (sub (func)))
  (type $sub (sub $sup (func)))
  (table 1 funcref)
  (elem (i32.const 0) func $callee)
  (func $callee (type $sub))
  (memory (export "memory") 1)
  (func (export "_start")
    (call_indirect (type $sup) (i32.const 0))))
