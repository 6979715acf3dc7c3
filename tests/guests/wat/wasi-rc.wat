;; Built against a WASI 0.3.0 release candidate wasi-bridge does not serve (its WIT is in no crate
;; of the registry reachable here).
(component
  (import "wasi:cli/environment@0.3.0-rc-2026-02-09" (instance)))
