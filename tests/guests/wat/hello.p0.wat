;; A WASI preview 0 (`wasi_unstable`) command for the p0 differential test: it uses the parts
;; whose layout differs from p1 (a clock subscription's `identifier`, `whence`'s order,
;; `filestat.nlink` as u32) and prints what it got. Run with a read-write preopen at fd 3.
(module
  (import "wasi_unstable" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_filestat_get" (func $fd_filestat_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "hello from wasi_unstable\n")  ;; 25
  (data (i32.const 1056) ": ok\n")                        ;; 5
  (data (i32.const 1064) ": bad\n")                       ;; 6
  (data (i32.const 1072) "poll clock")                    ;; 10
  (data (i32.const 1088) "open")                          ;; 4
  (data (i32.const 1096) "seek end")                      ;; 8
  (data (i32.const 1112) "seek set")                      ;; 8
  (data (i32.const 1128) "filestat")                      ;; 8
  (data (i32.const 1144) "0123456789")                    ;; 10
  (data (i32.const 2048) "f.txt")                         ;; 5

  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func $report (param $ok i32) (param $ptr i32) (param $len i32)
    (call $print (local.get $ptr) (local.get $len))
    (if (local.get $ok)
      (then (call $print (i32.const 1056) (i32.const 5)))
      (else (call $print (i32.const 1064) (i32.const 6)))))

  (func (export "_start")
    (local $fd i32)
    (call $print (i32.const 1024) (i32.const 25))

    ;; One relative monotonic clock subscription, in p0's layout (56 bytes at 256).
    (i64.store (i32.const 256) (i64.const 0x1234))      ;; userdata
    (i32.store8 (i32.const 264) (i32.const 0))          ;; tag: clock
    (i64.store (i32.const 272) (i64.const 0xab))        ;; identifier (p0 only)
    (i32.store (i32.const 280) (i32.const 1))           ;; clock id: monotonic
    (i64.store (i32.const 288) (i64.const 1000000))     ;; timeout: 1 ms
    (i64.store (i32.const 296) (i64.const 0))           ;; precision
    (i32.store16 (i32.const 304) (i32.const 0))         ;; flags: relative
    (call $report
      (i32.and
        (i32.and
          (i32.eqz (call $poll_oneoff (i32.const 256) (i32.const 320) (i32.const 1) (i32.const 360)))
          (i32.eq (i32.load (i32.const 360)) (i32.const 1)))
        (i32.and
          (i64.eq (i64.load (i32.const 320)) (i64.const 0x1234))
          (i32.and
            (i32.eqz (i32.load16_u (i32.const 328)))      ;; error: success
            (i32.eqz (i32.load8_u (i32.const 330))))))   ;; type: clock
      (i32.const 1072) (i32.const 10))

    ;; Create /f.txt with O_CREAT|O_TRUNC and every p0 right, write ten bytes.
    (call $report
      (i32.eqz (call $path_open (i32.const 3) (i32.const 0) (i32.const 2048) (i32.const 5)
        (i32.const 9) (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 364)))
      (i32.const 1088) (i32.const 4))
    (local.set $fd (i32.load (i32.const 364)))
    (i32.store (i32.const 16) (i32.const 1144))
    (i32.store (i32.const 20) (i32.const 10))
    (drop (call $fd_write (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 24)))

    ;; p0's whence: cur = 0, end = 1, set = 2.
    (call $report
      (i32.and
        (i32.eqz (call $fd_seek (local.get $fd) (i64.const -3) (i32.const 1) (i32.const 368)))
        (i64.eq (i64.load (i32.const 368)) (i64.const 7)))
      (i32.const 1096) (i32.const 8))
    (call $report
      (i32.and
        (i32.eqz (call $fd_seek (local.get $fd) (i64.const 2) (i32.const 2) (i32.const 368)))
        (i64.eq (i64.load (i32.const 368)) (i64.const 2)))
      (i32.const 1112) (i32.const 8))

    ;; p0's filestat: filetype at 16, nlink (u32) at 20, size at 24.
    (call $report
      (i32.and
        (i32.eqz (call $fd_filestat_get (local.get $fd) (i32.const 384)))
        (i32.and
          (i32.eq (i32.load8_u (i32.const 400)) (i32.const 4))    ;; regular file
          (i32.and
            (i32.eq (i32.load (i32.const 404)) (i32.const 1))     ;; nlink
            (i64.eq (i64.load (i32.const 408)) (i64.const 10))))) ;; size
      (i32.const 1128) (i32.const 8))
    (drop (call $fd_close (local.get $fd)))
    (call $proc_exit (i32.const 0))))
