;; A reactor: no wasi:cli/run export; functions for `--invoke` and for the resource limits of
;; `-W` (memory growth, a busy loop, an endless loop), and an exported interface instance.
(component
  (core module $m
    (memory 1)
    (func (export "answer") (result i32) i32.const 42)
    (func (export "neg") (result i64) i64.const -7)
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (func (export "mul") (param i32 i32) (result i32) (i32.mul (local.get 0) (local.get 1)))
    ;; memory.grow by PAGES: the old size in pages, or -1 when the growth is refused
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    ;; counts down from N: about 3N units of fuel
    (func (export "count") (param i32) (result i32)
      (block $done
        (loop $again
          (br_if $done (i32.eqz (local.get 0)))
          (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
          (br $again)))
      (local.get 0))
    (func (export "spin") (loop $forever (br $forever))))
  (core instance $i (instantiate $m))
  (func (export "answer") (result u32) (canon lift (core func $i "answer")))
  (func (export "neg") (result s64) (canon lift (core func $i "neg")))
  (func (export "add") (param "a" u32) (param "b" u32) (result u32)
    (canon lift (core func $i "add")))
  (func (export "grow") (param "pages" u32) (result s32) (canon lift (core func $i "grow")))
  (func (export "count") (param "n" u32) (result u32) (canon lift (core func $i "count")))
  (func (export "spin") (canon lift (core func $i "spin")))
  (func $mul (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "mul")))
  (instance $ops (export "mul" (func $mul)))
  (export "example:calc/ops@0.1.0" (instance $ops)))
