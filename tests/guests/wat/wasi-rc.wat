;; Built against a WASI 0.3.0 release candidate.
(component
  (import "wasi:cli/environment@0.3.0-rc-2025-09-16" (instance)))
