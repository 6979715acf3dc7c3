;; GHSA-5gh2-8r5m-vwxm (wasmtime 48.0.11), reconstructed from its fix: a p3 command made of two
;; components. $B calls $A's async `work`, cancels it with `subtask.cancel` while $A keeps running
;; after `task.cancel`, and holds the handle while $A exits and two more calls start and
;; return; then it drops all three handles, eight times over. wasmtime 48.0.8 deletes the
;; cancelled task when $A exits, although $B still holds its handle, so the table slot is
;; free for the next call: the drop finds a task that is no longer there (an error of this
;; program: status 1). A runtime that counts references (48.0.11) runs it to the end: status 0.
(component
  (component $A
    (core module $m
      (import "" "task.cancel" (func $task-cancel))
      (import "" "task.return" (func $task-return))
      (global $after (mut i32) (i32.const 0))
      (func (export "work") (result i32) (i32.const 1))
      (func (export "work-cb") (param i32 i32 i32) (result i32)
        (if (i32.eq (local.get 0) (i32.const 6))
          (then
            (call $task-cancel)
            (global.set $after (i32.const 1))
            (return (i32.const 1))))
        (if (global.get $after)
          (then (global.set $after (i32.const 0)) (return (i32.const 0))))
        (i32.const 1))
      (func (export "once") (result i32) (i32.const 1))
      (func (export "once-cb") (param i32 i32 i32) (result i32)
        (call $task-return)
        (i32.const 0)))
    (core func $task-cancel (canon task.cancel))
    (core func $task-return (canon task.return))
    (core instance $i (instantiate $m (with "" (instance
      (export "task.cancel" (func $task-cancel))
      (export "task.return" (func $task-return))))))
    (func (export "work") async (canon lift (core func $i "work") async (callback (core func $i "work-cb"))))
    (func (export "once") async (canon lift (core func $i "once") async (callback (core func $i "once-cb")))))
  (instance $a (instantiate $A))

  (component $B
    (import "a" (instance $a
      (export "work" (func async))
      (export "once" (func async))))
    (core module $mem (memory (export "mem") 1))
    (core instance $memi (instantiate $mem))
    (core func $work (canon lower (func $a "work") async))
    (core func $once (canon lower (func $a "once") async))
    (core func $cancel (canon subtask.cancel))
    (core func $drop (canon subtask.drop))
    (core func $ws-new (canon waitable-set.new))
    (core func $join (canon waitable.join))
    (core func $wait (canon waitable-set.wait (memory (core memory $memi "mem"))))
    (core module $m
      (import "" "mem" (memory 1))
      (import "" "work" (func $work (result i32)))
      (import "" "once" (func $once (result i32)))
      (import "" "cancel" (func $cancel (param i32) (result i32)))
      (import "" "drop" (func $drop (param i32)))
      (import "" "ws-new" (func $ws-new (result i32)))
      (import "" "join" (func $join (param i32 i32)))
      (import "" "wait" (func $wait (param i32 i32) (result i32)))
      (func $started (param $r i32) (result i32)
        (if (i32.ne (i32.and (local.get $r) (i32.const 15)) (i32.const 1)) (then unreachable))
        (i32.shr_u (local.get $r) (i32.const 4)))
      ;; wait until subtask $h has returned
      (func $await (param $ws i32) (param $h i32)
        (call $join (local.get $h) (local.get $ws))
        (loop $l
          (drop (call $wait (local.get $ws) (i32.const 0)))
          (br_if $l (i32.ne (i32.load (i32.const 0)) (local.get $h))))
        (call $join (local.get $h) (i32.const 0)))
      (func (export "run") (result i32)
        (local $ws i32) (local $h1 i32) (local $h2 i32) (local $h3 i32) (local $n i32)
        (local.set $ws (call $ws-new))
        (local.set $n (i32.const 8))
        (loop $again
          (local.set $h1 (call $started (call $work)))
          (if (i32.ne (call $cancel (local.get $h1)) (i32.const 4)) (then unreachable))
          ;; the cancelled callee still runs; let it exit while $h1 is held
          (local.set $h2 (call $started (call $once)))
          (call $await (local.get $ws) (local.get $h2))
          (local.set $h3 (call $started (call $once)))
          (call $await (local.get $ws) (local.get $h3))
          (call $drop (local.get $h1))
          (call $drop (local.get $h2))
          (call $drop (local.get $h3))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if $again (local.get $n)))
        (i32.const 0)))
    (core instance $i (instantiate $m (with "" (instance
      (export "mem" (memory $memi "mem"))
      (export "work" (func $work))
      (export "once" (func $once))
      (export "cancel" (func $cancel))
      (export "drop" (func $drop))
      (export "ws-new" (func $ws-new))
      (export "join" (func $join))
      (export "wait" (func $wait))))))
    (func (export "run") async (result (result)) (canon lift (core func $i "run"))))
  (instance $b (instantiate $B (with "a" (instance $a))))
  (instance $cli (export "run" (func $b "run")))
  (export "wasi:cli/run@0.3.0" (instance $cli)))
