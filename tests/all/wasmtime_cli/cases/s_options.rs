//! The `-S` (WASI) options' cases.

use super::{Case, Expect, case};
use crate::binary::guest;

/// One or more cases per `-S` option.
pub fn cases() -> Vec<Case> {
    use Expect::*;
    let hello = Stdout("hello from p2\n");
    let mut v = vec![
        case("cli", &["-Scli", "@p2-cli.wasm", "hello"], hello),
        case(
            "cli",
            &["-Scli=n", "@p2-cli.wasm", "hello"],
            Refused("always links WASI"),
        ),
        case(
            "cli-exit-with-code",
            &["-Scli-exit-with-code", "@p2-cli.wasm", "exit-code", "3"],
            Fails(3, ""),
        ),
        case(
            "cli-exit-with-code",
            &["-Scli-exit-with-code=n", "@p2-cli.wasm", "hello"],
            Warns("cannot disable `-Scli-exit-with-code`"),
        ),
        case("common", &["-Scommon", "@p2-cli.wasm", "hello"], hello),
        case(
            "common",
            &["-Scommon,cli", "@p2-cli.wasm", "hello"],
            Refused("deprecated alias"),
        ),
        case("nn", &["-Snn", "@p2-cli.wasm", "hello"], Refused("wasi-nn")),
        case(
            "nn-graph",
            &["-Snn-graph=openvino::/tmp", "@p2-cli.wasm", "hello"],
            Refused("wasi-nn"),
        ),
        case(
            "threads",
            &["-Sthreads", "@p2-cli.wasm", "hello"],
            Refused("wasi-threads has been removed"),
        ),
        case("http", &["-Shttp", "@p2-cli.wasm", "hello"], hello),
        case(
            "http-outgoing-body-buffer-chunks",
            &[
                "-Shttp-outgoing-body-buffer-chunks=2",
                "@p2-cli.wasm",
                "hello",
            ],
            Warns("is ignored: wasi-bridge buffers a p2 outgoing body"),
        ),
        case(
            "http-outgoing-body-chunk-size",
            &[
                "-Shttp-outgoing-body-chunk-size=64",
                "@p2-cli.wasm",
                "hello",
            ],
            Warns("is ignored: wasi-bridge buffers a p2 outgoing body"),
        ),
        case(
            "max-http-fields-size",
            &[
                "-Smax-http-fields-size=64",
                "-Shttp",
                "@p2-cli.wasm",
                "hello",
            ],
            hello,
        ),
        case(
            "config",
            &[
                "-Sconfig",
                "-Sconfig-var=greeting=hi",
                "-Skeyvalue",
                "@extras.wasm",
            ],
            Stdout("config greeting: hi\nconfig missing: none\n"),
        ),
        case(
            "config",
            &["@extras.wasm"],
            Refused("linked with -S config / -S keyvalue"),
        ),
        case(
            "config",
            &["-Sconfig", "@hello.p1.wasm"],
            Refused("Cannot enable wasi-config for core wasm modules"),
        ),
        case(
            "config-var",
            &[
                "-Sconfig,keyvalue",
                "-Sconfig-var=missing=here",
                "@extras.wasm",
            ],
            Stdout("config missing: here\n"),
        ),
        case(
            "keyvalue",
            &["-Sconfig,keyvalue", "@extras.wasm"],
            Stdout("keyvalue k: none\nkeyvalue set n: exists\n"),
        ),
        case(
            "keyvalue-in-memory-data",
            &[
                "-Sconfig,keyvalue",
                "-Skeyvalue-in-memory-data=k=v1",
                "@extras.wasm",
            ],
            Stdout("keyvalue k: v1\n"),
        ),
        case(
            "listenfd",
            &["-Slistenfd", "@p2-cli.wasm"],
            Refused("components do not support --listenfd"),
        ),
        // With no inherited listeners, a module runs as usual (see `listenfd_...` below).
        case(
            "listenfd",
            &["-Slistenfd", "@hello.p1.wasm"],
            Stdout("hello from wasip1\n"),
        ),
        case(
            "tcplisten",
            &["-Stcplisten=127.0.0.1:0", "@p2-cli.wasm"],
            Refused("components do not support --tcplisten"),
        ),
        case(
            "tcplisten",
            &["-Stcplisten=256.0.0.1:1", "@server.p1.wasm"],
            Refused("-S tcplisten=256.0.0.1:1: cannot listen there"),
        ),
        case("tls", &["-Stls", "@p2-cli.wasm"], Refused("wasi-tls")),
        case(
            "preview2",
            &["-Spreview2", "@hello.p1.wasm"],
            Stdout("hello from wasip1\n"),
        ),
        case(
            "preview2",
            &["-Spreview2=n", "@hello.p1.wasm"],
            Refused("the `-Spreview2=n` flag is no longer supported"),
        ),
        case(
            "inherit-network",
            &["-Sinherit-network", "@p2-sockets.wasm", "denied"],
            Stdout("create tcp: ok\ntcp bind: ok\n"),
        ),
        case(
            "allow-ip-name-lookup",
            &[
                "-Sinherit-network,allow-ip-name-lookup",
                "@p2-sockets.wasm",
                "lookup",
            ],
            Stdout("localhost resolves to 127.x: yes"),
        ),
        case(
            "tcp",
            &["-Stcp", "@p2-sockets.wasm", "denied"],
            Stdout("create tcp: ok\ntcp bind: access-denied\n"),
        ),
        case(
            "udp",
            &["-Sudp", "@p2-sockets.wasm", "denied"],
            Stdout("create tcp: access-denied\ncreate udp: ok\nudp bind: access-denied\n"),
        ),
        case(
            "network-error-code",
            &["-Snetwork-error-code", "@p2-sockets.wasm", "denied"],
            Stdout("create tcp: access-denied\n"),
        ),
        case(
            "preview0",
            &["-Spreview0=n", "@p2-cli.wasm", "hello"],
            hello,
        ),
        // Components ignore it, as wasmtime does; core modules get `wasi_unstable` unless
        // `-Spreview0=n`.
        case("preview0", &["-Spreview0", "@p2-cli.wasm", "hello"], hello),
        case(
            "preview0",
            &["-Spreview0=n", "@hello.p0.wasm"],
            Refused("-S preview0=n turned that off"),
        ),
        case(
            "preview0",
            &["@hello.p0.wasm"],
            Stdout("hello from wasi_unstable\npoll clock: ok\nopen: bad\n"),
        ),
        case(
            "inherit-env",
            &["-Sinherit-env", "@hello.p1.wasm"],
            Stdout("GREETING=inherited\n"),
        ),
        case(
            "inherit-env",
            &["@hello.p1.wasm"],
            Stdout("GREETING=(unset)\n"),
        ),
        case(
            "inherit-stdout",
            &["-Sinherit-stdout=n", "@p2-cli.wasm", "hello"],
            NotOnStdout("hello"),
        ),
        case(
            "inherit-stderr",
            &["-Sinherit-stderr=n", "@hello.p1.wasm"],
            Stdout("hello from wasip1\n"),
        ),
        case(
            "cwd",
            &["-Scwd=/work", "@p2-cli.wasm", "env"],
            Stdout("cwd: /work\n"),
        ),
        case(
            "p3",
            &["-Sp3", "@mixed.wasm"],
            Stdout("entered through run@0.3.0\n"),
        ),
        case(
            "p3",
            &["-Sp3=n", "@mixed.wasm"],
            Refused("it imports wasi:cli/types@0.3.0, and -S p3=n turns WASIp3 off"),
        ),
        case(
            "p3",
            &["-Sp3=n", "@p2-cli.wasm", "hello"],
            Stdout("hello from p2\n"),
        ),
        case(
            "p3",
            &["-Sp3=n", "@p3-cli.wasm"],
            Refused("-S p3=n turns WASIp3 off"),
        ),
        case(
            "max-resources",
            &["-Smax-resources=10", "@p2-cli.wasm", "poll", "1000"],
            Fails(1, "resource table has no free keys"),
        ),
        case(
            "hostcall-fuel",
            &["-Shostcall-fuel=1", "@p2-cli.wasm", "env"],
            Fails(1, "fuel allocated for hostcalls has been exhausted"),
        ),
        case(
            "max-component-handles",
            &["-Smax-component-handles=2", "@p3-cli.wasm", "env"],
            Fails(1, "store handle limit exceeded"),
        ),
        case(
            "max-random-size",
            &["-Smax-random-size=10", "@p2-cli.wasm", "env"],
            Fails(1, "requested len 64 exceeds limit 10"),
        ),
    ];
    v.push(Case {
        option: "inherit-stdin",
        args: vec!["-Sinherit-stdin=n".into(), guest("hello.p1.wasm")],
        stdin: b"abc",
        expect: Expect::Stdout("stdin bytes: 0\n"),
    });
    v.push(Case {
        option: "inherit-stdin",
        args: vec![guest("hello.p1.wasm")],
        stdin: b"abc",
        expect: Expect::Stdout("abcstdin bytes: 3\n"),
    });
    v
}
