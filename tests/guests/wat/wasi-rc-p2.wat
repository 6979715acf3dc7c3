;; Built against a WASI 0.2.0 release candidate (Spin 2, wasmtime 14: its interfaces differ from 0.2.0 in meaning).
(component
  (import "wasi:cli/environment@0.2.0-rc-2023-10-18" (instance)))
