//! The `-W` (wasm) options' cases.

use super::{Case, Expect, case};
use crate::binary::guest;

/// One or more cases per `-W` option.
pub fn cases() -> Vec<Case> {
    use Expect::*;
    let hello = Stdout("hello from p2\n");
    let gc = Refused("support for gc was disabled");
    let mut v = vec![
        case(
            "fuel",
            &["-Wfuel=1000", "--invoke", "count(100000)", "@reactor.wasm"],
            Fails(134, "all fuel consumed by WebAssembly"),
        ),
        case(
            "fuel",
            &["-Wfuel=100000", "--invoke", "count(100)", "@reactor.wasm"],
            Stdout("0\n"),
        ),
        case(
            "max-memory-size",
            &[
                "-Wmax-memory-size=131072",
                "--invoke",
                "grow(2)",
                "@reactor.wasm",
            ],
            Stdout("-1\n"),
        ),
        case(
            "max-memory-size",
            &[
                "-Wmax-memory-size=131072",
                "--invoke",
                "grow(1)",
                "@reactor.wasm",
            ],
            Stdout("1\n"),
        ),
        case(
            "trap-on-grow-failure",
            &[
                "-Wmax-memory-size=131072,trap-on-grow-failure",
                "--invoke",
                "grow(2)",
                "@reactor.wasm",
            ],
            Fails(1, "forcing trap when growing memory"),
        ),
        case(
            "max-instances",
            &["-Wmax-instances=1", "@p2-cli.wasm", "hello"],
            Fails(1, "instance count too high"),
        ),
        case(
            "max-memories",
            &["-Wmax-memories=0", "@p2-cli.wasm", "hello"],
            Fails(1, "memory count too high"),
        ),
        case(
            "max-tables",
            &["-Wmax-tables=0", "@p2-cli.wasm", "hello"],
            Fails(1, "table count too high"),
        ),
        case(
            "max-table-elements",
            &["-Wmax-table-elements=0", "@p2-cli.wasm", "hello"],
            Fails(1, "exceeds table limits"),
        ),
        case(
            "timeout",
            &["-Wtimeout=100ms", "--invoke", "spin()", "@reactor.wasm"],
            Fails(134, "wasm trap: interrupt"),
        ),
        case(
            "epoch-interruption",
            &["-Wepoch-interruption", "@p2-cli.wasm", "hello"],
            Fails(134, "wasm trap: interrupt"),
        ),
        case(
            "unknown-imports-trap",
            &[
                "-Wunknown-imports-trap",
                "--invoke",
                "ok()",
                "@unknown-import.wasm",
            ],
            Stdout("1\n"),
        ),
        case(
            "unknown-imports-trap",
            &[
                "-Wunknown-imports-trap",
                "--invoke",
                "call-missing()",
                "@unknown-import.wasm",
            ],
            Fails(
                1,
                "unknown import: `example:missing/api@0.1.0#ping` has not been defined",
            ),
        ),
        case(
            "unknown-imports-trap",
            &["--invoke", "ok()", "@unknown-import.wasm"],
            Refused("example:missing/api@0.1.0"),
        ),
        case(
            "unknown-exports-allow",
            &["-Wunknown-exports-allow", "@p2-cli.wasm"],
            Refused("--allow-unknown-exports not supported with components"),
        ),
        case(
            "unknown-exports-allow",
            &["-Wunknown-exports-allow", "@hello.p1.wasm"],
            Stdout("hello from wasip1\n"),
        ),
        case(
            "unknown-imports-default",
            &["-Wunknown-imports-default", "@p2-cli.wasm"],
            Refused("--default-values-unknown-imports"),
        ),
        case(
            "unknown-imports-default",
            &["-Wunknown-imports-default", "@unknown-import.p1.wasm"],
            Stdout("answer: zero\n"),
        ),
        case(
            "unknown-imports-trap",
            &["-Wunknown-imports-trap", "@unknown-import.p1.wasm"],
            Fails(1, "unknown import: `env::answer` has not been defined"),
        ),
        case(
            "unknown-imports-trap",
            &["@unknown-import.p1.wasm"],
            Refused("env::answer"),
        ),
        case(
            "component-model",
            &["-Wcomponent-model=n", "@p2-cli.wasm"],
            Refused("cannot execute a component without `--wasm component-model`"),
        ),
        case(
            "component-model",
            &["-Wcomponent-model=n", "@hello.p1.wasm"],
            Stdout("hello from wasip1\n"),
        ),
        case(
            "component-model-async",
            &["-Wcomponent-model-async", "@p3-cli.wasm", "exit-code", "5"],
            Fails(5, ""),
        ),
        case(
            "component-model-async",
            &["-Wcomponent-model-async=n", "@p3-cli.wasm"],
            Refused("requires the component model async feature"),
        ),
        case(
            "wmemcheck",
            &["-Wwmemcheck", "@p2-cli.wasm"],
            Refused("wmemcheck"),
        ),
        case(
            "threads",
            &["-Wthreads", "@p2-cli.wasm"],
            Refused("support for threads was disabled"),
        ),
        case(
            "stack-switching",
            &["-Wstack-switching", "@p2-cli.wasm"],
            Refused("support for stack-switching was disabled"),
        ),
        case(
            "component-model-gc",
            &["-Wcomponent-model-gc", "@p2-cli.wasm"],
            Refused("component-model-gc"),
        ),
        case(
            "gc-support",
            &["-Wgc-support", "@p2-cli.wasm"],
            Refused("support for GC was disabled"),
        ),
        case(
            "max-wasm-stack",
            &["-Wmax-wasm-stack=1000000", "@p2-cli.wasm", "hello"],
            hello,
        ),
        case(
            "async-stack-size",
            &["-Wasync-stack-size=4194304", "@p2-cli.wasm", "hello"],
            hello,
        ),
        case(
            "async-stack-size",
            &["-Wasync-stack-size=1024", "@p2-cli.wasm", "hello"],
            Refused("max_wasm_stack size cannot exceed the async_stack_size"),
        ),
    ];
    for gc_option in ["gc", "reference-types", "function-references", "exceptions"] {
        v.push(case(
            gc_option,
            &[&format!("-W{gc_option}"), "@p2-cli.wasm"],
            gc,
        ));
    }
    // Engine settings whose effect is the engine's own (proposals this build compiles in):
    // the program runs with each one given.
    for engine in [
        "nan-canonicalization",
        "async-stack-zeroing",
        "all-proposals",
        "bulk-memory",
        "multi-memory",
        "multi-value",
        "simd",
        "relaxed-simd",
        "relaxed-simd-deterministic",
        "tail-call",
        "shared-memory",
        "shared-everything-threads",
        "memory64",
        "component-model-more-async-builtins",
        "component-model-async-stackful",
        "component-model-threading",
        "component-model-error-context",
        "component-model-map",
        "component-model-memory64",
        "custom-page-sizes",
        "wide-arithmetic",
        "branch-hinting",
        "extended-const",
        "component-model-fixed-length-lists",
        "component-model-implements",
        "concurrency-support",
    ] {
        let name = engine.split('=').next().unwrap();
        v.push(Case {
            option: Box::leak(name.to_string().into_boxed_str()),
            args: vec![format!("-W{engine}"), guest("p2-cli.wasm"), "hello".into()],
            stdin: b"",
            expect: Expect::Stdout("hello from p2\n"),
        });
    }
    v
}
