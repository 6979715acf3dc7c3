//! GHSA-c9gc-w9vx-w86p (wasmtime 48.0.3): a guest writing an outgoing HTTP body faster than
//! the peer reads it made the host buffer what it wrote. A p2 and a p3 handler each answer
//! with 256 MiB (`/bytes/N`: 64 KiB writes; p2 through `check-write`) to a client that reads
//! nothing for two seconds, then the whole body: the host's peak RSS grows by at most 32 MiB
//! while the body waits (the p2 body queue is 128 KiB, the p3 one 512 KiB), and the body
//! arrives whole.

use crate::hostile::peak_growth;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BODY: usize = 256 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outgoing_body_the_peer_does_not_read_is_not_buffered_by_the_host() {
    let _alone = crate::alone().await;
    let mut config = wasmtime::Config::new();
    config.wasm_component_model_async(true);
    let engine = wasmtime::Engine::new(&config).unwrap();
    for guest in ["p2-http.wasm", "p3-http.wasm"] {
        let path = format!("tests/guests/wasm/{guest}");
        let handler = crate::native_http::bridge::handler_with(&engine, &path, None);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(crate::native_http::serve_on(listener, move |req| {
            let handler = handler.clone();
            async move {
                use http_body_util::BodyExt;
                handler
                    .handle((), req.map(|b| b.map_err(Into::into).boxed_unsync()))
                    .await
            }
        }));
        let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let ((), grew) = peak_growth(async {
            let request = format!("GET /bytes/{BODY} HTTP/1.1\r\nhost: {addr}\r\n\r\n");
            client.write_all(request.as_bytes()).await.unwrap();
            tokio::time::sleep(Duration::from_secs(2)).await;
        })
        .await;
        let mut got = 0usize;
        let mut buf = vec![0u8; 1 << 20];
        let read_all = async {
            loop {
                let n = client.read(&mut buf).await.unwrap();
                got += n;
                if n == 0 || got >= BODY {
                    break;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(60), read_all)
            .await
            .expect("the body within 60 s");
        server.abort();
        eprintln!("{guest}: peak RSS growth {grew} MiB while the client did not read");
        assert!(got >= BODY, "{guest}: {got} bytes arrived");
        assert!(grew <= 32, "{guest}: the host's peak RSS grew {grew} MiB");
    }
}
