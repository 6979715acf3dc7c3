//! `wasi:*@0.3.0` bindings generated from the vendored WIT (`p3-core/wit`).

#[allow(missing_docs)]
mod generated {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "wasi:cli/command",
        imports: {
            "wasi:cli/stdin": store | tracing | trappable,
            "wasi:cli/stdout": store | tracing | trappable,
            "wasi:cli/stderr": store | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.read-via-stream": store | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.write-via-stream": store | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.append-via-stream": store | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.read-directory": store | tracing | trappable,
            "wasi:clocks/monotonic-clock.wait-until": async | store | tracing | trappable,
            "wasi:clocks/monotonic-clock.wait-for": async | store | tracing | trappable,
            "wasi:sockets/types.[method]tcp-socket.bind": async | tracing | trappable,
            "wasi:sockets/types.[method]tcp-socket.listen": async | store | tracing | trappable,
            "wasi:sockets/types.[method]tcp-socket.send": store | tracing | trappable,
            "wasi:sockets/types.[method]tcp-socket.receive": store | tracing | trappable,
            "wasi:sockets/types.[method]udp-socket.bind": async | tracing | trappable,
            "wasi:sockets/types.[method]udp-socket.connect": async | tracing | trappable,
            default: tracing | trappable,
        },
        exports: { default: async | store },
        trappable_error_type: {
            "wasi:filesystem/types.error-code" => crate::p3::filesystem::FilesystemError,
            "wasi:sockets/types.error-code" => crate::p3::sockets::SocketError,
        },
        with: {
            "wasi:filesystem/types.descriptor": crate::filesystem::Descriptor,
            "wasi:sockets/types.tcp-socket": crate::sockets::tcp::TcpSocket,
            "wasi:sockets/types.udp-socket": crate::sockets::udp::UdpSocket,
            "wasi:cli/terminal-input.terminal-input": crate::cli::TerminalInput,
            "wasi:cli/terminal-output.terminal-output": crate::cli::TerminalOutput,
        },
        require_store_data_send: true,
    });
}

pub use self::generated::wasi::*;
pub use self::generated::{Command, CommandIndices, CommandPre, LinkOptions, exports};
