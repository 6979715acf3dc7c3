//! Accepting and shutdown: the listeners (`--addr`, `--systemd-listenfd`), one hyper HTTP/1
//! connection task each, the request limit, and the graceful stop (Ctrl-C,
//! `--shutdown-addr`, `--idle-process-timeout`).

use super::headers::RequestHeaders;
use super::instances::ServeState;
use crate::command::common::{Failure, usage};
use crate::http::WasiBody;
use crate::http::handler::{ProxyHandler, TrapOrPanicError};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore, watch};

const DEFAULT_ADDR: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(0, 0, 0, 0)),
    8080,
);

/// The options that shape the server rather than each request.
pub struct Options {
    /// `--addr` (default 0.0.0.0:8080 unless `--systemd-listenfd`).
    pub addrs: Vec<SocketAddr>,
    /// `--systemd-listenfd`.
    pub systemd_listenfd: bool,
    /// `--idle-process-timeout`.
    pub idle_process_timeout: Option<Duration>,
    /// `--shutdown-addr`.
    pub shutdown_addr: Option<SocketAddr>,
    /// `--max-concurrent-connections`.
    pub max_concurrent_connections: usize,
    /// `--backlog`.
    pub backlog: u32,
}

/// What every connection shares: the handler, `-H`, and the request limit.
pub struct Server {
    handler: ProxyHandler<ServeState>,
    headers: RequestHeaders,
    requests: Semaphore,
}

impl Server {
    /// A server handing requests to `handler`, at most `max_concurrent_requests` at once.
    pub fn new(
        handler: ProxyHandler<ServeState>,
        headers: RequestHeaders,
        max_concurrent_requests: usize,
    ) -> Arc<Self> {
        Arc::new(Server {
            handler,
            headers,
            requests: Semaphore::new(max_concurrent_requests),
        })
    }

    async fn handle(
        self: Arc<Self>,
        mut request: hyper::Request<hyper::body::Incoming>,
    ) -> wasmtime::Result<http::Response<WasiBody>> {
        let _permit = self.requests.acquire().await?;
        self.headers.apply(request.headers_mut());
        let request = request.map(|body| body.map_err(Into::into).boxed_unsync());
        self.handler.handle((), request).await
    }
}

/// Shutdown bookkeeping: a request to stop, and how many connections are open.
struct Shutdown {
    requested: Notify,
    open: watch::Sender<usize>,
}

/// One open connection, counted while it lives.
struct Open(Arc<Shutdown>);

impl Shutdown {
    fn new() -> Arc<Self> {
        Arc::new(Shutdown {
            requested: Notify::new(),
            open: watch::Sender::new(0),
        })
    }

    fn enter(self: &Arc<Self>) -> Open {
        self.open.send_modify(|n| *n += 1);
        Open(self.clone())
    }

    /// Completes once no connection has been open for `limit` (`--idle-process-timeout`).
    async fn idle_for(&self, limit: Duration) {
        let mut open = self.open.subscribe();
        loop {
            if open.wait_for(|n| *n == 0).await.is_err() {
                return std::future::pending().await;
            }
            // Any change (a connection opening) restarts the wait.
            if tokio::time::timeout(limit, open.changed()).await.is_err() {
                return;
            }
        }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open.send_modify(|n| *n -= 1);
    }
}

/// A socket `serve` accepts connections on.
enum Listener {
    Tcp(tokio::net::TcpListener),
    Unix(tokio::net::UnixListener),
}

/// An accepted connection.
enum Connection {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

impl Listener {
    /// Binds `addr` as `wasmtime serve` does: `SO_REUSEADDR`, a backlog of 100 unless
    /// `--backlog` says otherwise.
    fn bind(addr: SocketAddr, backlog: u32) -> Result<Self, Failure> {
        let listen = || -> std::io::Result<tokio::net::TcpListener> {
            let socket = match addr {
                SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
                SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
            };
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(backlog)
        };
        listen().map(Listener::Tcp).map_err(|e| {
            usage(format!(
                "--addr {addr}: cannot listen there: {e} (pick a free address, or port 0 for any)"
            ))
        })
    }

    /// The listening sockets systemd-style activation passed in, in order.
    fn inherited() -> Result<Vec<Self>, Failure> {
        let mut fds = listenfd::ListenFd::from_env();
        if fds.len() == 0 {
            return Err(usage(
                "--systemd-listenfd: no sockets were passed in (LISTEN_FDS is unset or 0, or \
                 LISTEN_PID names another process); start wasi-bridge from a systemd socket \
                 unit (or `systemd-socket-activate`), or serve on --addr instead",
            ));
        }
        let mut out = Vec::new();
        for i in 0..fds.len() {
            let fd = i + 3;
            let adopt = |e: std::io::Error| {
                usage(format!(
                    "--systemd-listenfd: cannot serve on inherited fd {fd}: {e}"
                ))
            };
            let listener = match fds.take_tcp_listener(i) {
                Ok(Some(l)) => {
                    l.set_nonblocking(true).map_err(adopt)?;
                    Listener::Tcp(tokio::net::TcpListener::from_std(l).map_err(adopt)?)
                }
                Ok(None) => continue,
                Err(_) => match fds.take_unix_listener(i) {
                    Ok(Some(l)) => {
                        l.set_nonblocking(true).map_err(adopt)?;
                        Listener::Unix(tokio::net::UnixListener::from_std(l).map_err(adopt)?)
                    }
                    Ok(None) => continue,
                    Err(_) => {
                        return Err(usage(format!(
                            "--systemd-listenfd: inherited fd {fd} is not a listening TCP or \
                             Unix-domain stream socket (datagram sockets cannot serve HTTP)"
                        )));
                    }
                },
            };
            out.push(listener);
        }
        Ok(out)
    }

    /// Where it listens, as the `Serving HTTP on ...` line says it.
    fn describe(&self) -> std::io::Result<String> {
        Ok(match self {
            Listener::Tcp(l) => format!("http://{}/", l.local_addr()?),
            Listener::Unix(l) => match l.local_addr()?.as_pathname() {
                Some(path) => format!("unix:{}", path.display()),
                None => "unix:(unnamed)".to_string(),
            },
        })
    }

    async fn accept(&self) -> std::io::Result<Connection> {
        Ok(match self {
            Listener::Tcp(l) => {
                let (stream, _) = l.accept().await?;
                // As `wasmtime serve`: no Nagle (small, intermittent body chunks).
                let _ = stream.set_nodelay(true);
                Connection::Tcp(stream)
            }
            Listener::Unix(l) => Connection::Unix(l.accept().await?.0),
        })
    }
}

/// Listens, serves each connection on a task of its own, and stops gracefully on Ctrl-C or
/// when `stop` completes; `Ok(0)` after the stop.
pub async fn serve(
    server: Arc<Server>,
    options: &Options,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<i32, Failure> {
    let shutdown = Shutdown::new();
    tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            let ctrl_c = async {
                if tokio::signal::ctrl_c().await.is_err() {
                    std::future::pending::<()>().await;
                }
            };
            tokio::select! {
                () = ctrl_c => {}
                () = stop => {}
            }
            shutdown.requested.notify_one();
        }
    });
    if let Some(addr) = options.shutdown_addr {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| usage(format!("--shutdown-addr {addr}: cannot listen there: {e}")))?;
        let local = listener.local_addr().map_err(|e| usage(e.to_string()))?;
        eprintln!("Listening for shutdown on tcp://{local}/");
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let _ = listener.accept().await;
            shutdown.requested.notify_one();
        });
    }
    let mut listeners = if options.systemd_listenfd {
        Listener::inherited()?
    } else {
        Vec::new()
    };
    if options.addrs.is_empty() && !options.systemd_listenfd {
        listeners.push(Listener::bind(DEFAULT_ADDR, options.backlog)?);
    }
    for addr in &options.addrs {
        listeners.push(Listener::bind(*addr, options.backlog)?);
    }
    for listener in &listeners {
        let at = listener.describe().map_err(|e| usage(e.to_string()))?;
        eprintln!("Serving HTTP on {at}");
    }
    let connections = Arc::new(Semaphore::new(options.max_concurrent_connections));
    // One accept loop per listener; each connection is a task of its own, which outlives
    // the loop that accepted it.
    let loops: Vec<_> = listeners
        .into_iter()
        .map(|listener| {
            let (server, connections, shutdown) =
                (server.clone(), connections.clone(), shutdown.clone());
            tokio::spawn(async move {
                loop {
                    let Ok(permit) = connections.clone().acquire_owned().await else {
                        return;
                    };
                    let stream = match listener.accept().await {
                        Ok(stream) => stream,
                        Err(e) => {
                            eprintln!("error: accept failed: {e}");
                            // Out of descriptors, say: give connections a moment to close.
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    };
                    let open = shutdown.enter();
                    let server = server.clone();
                    tokio::spawn(async move {
                        match stream {
                            Connection::Tcp(s) => serve_connection(server, s).await,
                            Connection::Unix(s) => serve_connection(server, s).await,
                        }
                        drop(open);
                        drop(permit);
                    });
                }
            })
        })
        .collect();
    let idle = async {
        match options.idle_process_timeout {
            Some(limit) => shutdown.idle_for(limit).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = shutdown.requested.notified() => {}
        () = idle => {}
    }
    for accept in &loops {
        accept.abort();
    }
    server.requests.close();
    let mut open = shutdown.open.subscribe();
    if *open.borrow_and_update() == 0 {
        return Ok(0);
    }
    eprintln!("Waiting for child tasks to exit, ctrl-c again to quit sooner...");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = open.wait_for(|n| *n == 0) => {}
    }
    Ok(0)
}

const ERROR_HTML: &str = "\
<!doctype html>
<html>
<head>
    <title>500 Internal Server Error</title>
</head>
<body>
    <center>
        <h1>500 Internal Server Error</h1>
        <hr>
        wasi-bridge
    </center>
</body>
</html>";

async fn serve_connection<S>(server: Arc<Server>, stream: S)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let server = server.clone();
        async move {
            match server.handle(req).await {
                Ok(response) => Ok::<_, std::convert::Infallible>(response),
                Err(e) => {
                    // An instance that trapped or timed out says why when it ends.
                    if !e.is::<TrapOrPanicError>() {
                        eprintln!("error: {e:?}");
                    }
                    let mut response = http::Response::new(
                        Full::new(Bytes::from_static(ERROR_HTML.as_bytes()))
                            .map_err(|never| match never {})
                            .boxed_unsync(),
                    );
                    *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
                    response.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static("text/html; charset=UTF-8"),
                    );
                    Ok(response)
                }
            }
        }
    });
    if let Err(e) = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(crate::http::io::TokioIo::new(stream), service)
        .await
    {
        eprintln!("error: {e:?}");
    }
}
