;; Imports an interface wasi-bridge does not provide next to one it does.
(component
  (import "wasi:http/outgoing-handler@0.2.12" (instance))
  (import "wasi:cli/environment@0.2.12" (instance)))
