;; Imports an interface wasi-bridge does not provide (yet) next to one it does.
(component
  (import "wasi:sockets/tcp@0.2.12" (instance))
  (import "wasi:cli/environment@0.2.12" (instance)))
