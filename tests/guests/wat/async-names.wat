;; Built by a mid-2025 toolchain (wit-bindgen before 0.48): an async function named with the
;; `[async]` prefix, an encoding wasmtime 48 no longer reads.
(component
  (import "wasi:clocks/monotonic-clock@0.3.0-rc-2025-08-15" (instance
    (export "[async]wait-for" (func (param "how-long" u64))))))
