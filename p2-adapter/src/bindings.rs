//! `wasi:*@0.2.12` bindings generated from the vendored WIT (`p2-adapter/wit`).
//!
//! `wasi:io` resources are wasmtime-wasi-io's own types (`DynPollable`, `DynInputStream`,
//! `DynOutputStream`, the error resource), so crates that create those resources — for example
//! wasmtime-wasi-http's p2 bindings — work next to this adapter.

/// Bindings whose host functions never block the calling thread on an `async` call; for use
/// with `add_to_linker_sync` and a synchronous `Store`.
pub mod sync {
    #[allow(missing_docs)]
    mod generated {
        wasmtime::component::bindgen!({
            path: "wit",
            world: "wasi:cli/command",
            imports: { default: tracing | trappable },
            trappable_error_type: {
                "wasi:filesystem/types.error-code" => crate::filesystem::FsError,
                "wasi:sockets/network.error-code" => crate::sockets::SocketError,
            },
            with: {
                // Resource types are the async bindings' own, so one table entry serves both.
                "wasi:filesystem/types.descriptor": p3_core::filesystem::Descriptor,
                "wasi:filesystem/types.directory-entry-stream": crate::filesystem::DirectoryEntryStream,
                "wasi:filesystem/preopens": crate::bindings::filesystem::preopens,
                // The non-io interfaces are synchronous already: share them with the async
                // bindings so one set of host impls serves both.
                "wasi:clocks": crate::bindings::clocks,
                "wasi:random": crate::bindings::random,
                "wasi:cli": crate::bindings::cli,
                "wasi:sockets/network": crate::bindings::sockets::network,
                "wasi:sockets/instance-network": crate::bindings::sockets::instance_network,
                "wasi:sockets/tcp-create-socket": crate::bindings::sockets::tcp_create_socket,
                "wasi:sockets/ip-name-lookup": crate::bindings::sockets::ip_name_lookup,
                "wasi:sockets/tcp.tcp-socket": crate::sockets::TcpSocket,
                "wasi:sockets/udp.udp-socket": crate::sockets::UdpSocket,
                "wasi:sockets/udp.incoming-datagram-stream": crate::sockets::IncomingDatagramStream,
                "wasi:sockets/udp.outgoing-datagram-stream": crate::sockets::OutgoingDatagramStream,
                // wasi:io is the generic trait-object layer every wasi:io user shares; its
                // blocking (`block_on`) flavour is wasmtime-wasi's.
                "wasi:io/error": wasmtime_wasi_io::bindings::wasi::io::error,
                "wasi:io/poll": wasmtime_wasi::p2::bindings::sync::io::poll,
                "wasi:io/streams": wasmtime_wasi::p2::bindings::sync::io::streams,
            },
            require_store_data_send: true,
        });
    }
    pub use self::generated::exports;
    pub use self::generated::wasi::*;
    pub use self::generated::{Command, CommandIndices, CommandPre, LinkOptions};
}

#[allow(missing_docs)]
mod async_io {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "wasi:cli/command",
        imports: {
            // Only the functions that may wait are async; everything else never blocks.
            "wasi:filesystem/types.[method]descriptor.advise": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.create-directory-at": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.get-flags": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.get-type": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.is-same-object": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.link-at": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.metadata-hash": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.metadata-hash-at": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.open-at": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.read": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.read-directory": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.readlink-at": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.remove-directory-at": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.rename-at": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.set-size": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.set-times": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.set-times-at": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.stat": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.stat-at": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.symlink-at": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.sync": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.sync-data": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.unlink-file-at": async | tracing | trappable,
            "wasi:filesystem/types.[method]descriptor.write": async | tracing | trappable,
            "wasi:filesystem/types.[method]directory-entry-stream.read-directory-entry": async | tracing | trappable,
            "wasi:sockets/tcp.[method]tcp-socket.start-bind": async | tracing | trappable,
            "wasi:sockets/tcp.[method]tcp-socket.start-listen": async | tracing | trappable,
            "wasi:sockets/udp.[method]udp-socket.start-bind": async | tracing | trappable,
            "wasi:sockets/udp.[method]udp-socket.stream": async | tracing | trappable,
            default: tracing | trappable,
        },
        exports: { default: async },
        trappable_error_type: {
            "wasi:io/streams.stream-error" => wasmtime_wasi_io::streams::StreamError,
            "wasi:filesystem/types.error-code" => crate::filesystem::FsError,
            "wasi:sockets/network.error-code" => crate::sockets::SocketError,
        },
        with: {
            "wasi:filesystem/types.descriptor": p3_core::filesystem::Descriptor,
            "wasi:filesystem/types.directory-entry-stream": crate::filesystem::DirectoryEntryStream,
            "wasi:io/poll": wasmtime_wasi_io::bindings::wasi::io::poll,
            "wasi:io/streams": wasmtime_wasi_io::bindings::wasi::io::streams,
            "wasi:io/error": wasmtime_wasi_io::bindings::wasi::io::error,
            "wasi:cli/terminal-input.terminal-input": p3_core::cli::TerminalInput,
            "wasi:cli/terminal-output.terminal-output": p3_core::cli::TerminalOutput,
            "wasi:sockets/network.network": crate::sockets::Network,
            "wasi:sockets/tcp.tcp-socket": crate::sockets::TcpSocket,
            "wasi:sockets/udp.udp-socket": crate::sockets::UdpSocket,
            "wasi:sockets/udp.incoming-datagram-stream": crate::sockets::IncomingDatagramStream,
            "wasi:sockets/udp.outgoing-datagram-stream": crate::sockets::OutgoingDatagramStream,
            "wasi:sockets/ip-name-lookup.resolve-address-stream": crate::sockets::ResolveAddressStream,
        },
        require_store_data_send: true,
    });
}

pub use self::async_io::exports;
pub use self::async_io::wasi::*;
pub use self::async_io::{Command, CommandIndices, CommandPre, LinkOptions};
