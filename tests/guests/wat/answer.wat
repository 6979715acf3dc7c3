;; A plain core module to `--preload env=answer.wasm` for unknown-import.p1.wasm.
(module (func (export "answer") (result i32) i32.const 42))
