;; Built against a WASI 0.2.0 release candidate (componentize-py 0.8-0.9, Spin's 2023 SDKs).
(component
  (import "wasi:cli/environment@0.2.0-rc-2023-11-10" (instance)))
