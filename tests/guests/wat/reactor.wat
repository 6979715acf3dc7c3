;; A reactor: no wasi:cli/run export, two parameterless functions for `--invoke`.
(component
  (core module $m
    (func (export "answer") (result i32) i32.const 42)
    (func (export "neg") (result i64) i64.const -7))
  (core instance $i (instantiate $m))
  (func (export "answer") (result u32) (canon lift (core func $i "answer")))
  (func (export "neg") (result s64) (canon lift (core func $i "neg"))))
