//! [`WasiCtxBuilder`]: wasmtime-wasi's builder, method for method, making a [`WasiCtx`].

use super::{WasiCtx, WasiP1Ctx};
use crate::cli::{SharedSink, SharedSource, WasiCliCtx};
use crate::clocks::WasiClocksCtx;
use crate::filesystem::{Dir, FsPerms, OpenMode, Preopen, SharedDir, WasiFilesystemCtx};
use crate::random::WasiRandomCtx;
use crate::sockets::{AddrCheck, SocketAddrUse, WasiSocketsCtx};
use rand::Rng;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use wasmtime_wasi::cli::{StdinStream, StdoutStream};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock};

/// Builder for a [`WasiCtx`], with the method names and shapes of wasmtime-wasi 48's
/// `WasiCtxBuilder`, so a host migrates by changing import paths only.
///
/// Stdio takes wasmtime-wasi's own [`StdinStream`] / [`StdoutStream`] types (for example
/// `wasmtime_wasi::p2::pipe::MemoryOutputPipe`), clocks take its [`HostWallClock`] /
/// [`HostMonotonicClock`], and preopens take its [`FsPerms`].
///
/// ```
/// use p3_core::WasiCtx;
/// use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
///
/// let stdout = MemoryOutputPipe::new(1 << 20);
/// let mut ctx = WasiCtx::builder()
///     .args(&["prog", "--verbose"])
///     .env("LANG", "C")
///     .initial_cwd("/data")
///     .stdin(MemoryInputPipe::new("input"))
///     .stdout(stdout.clone())
///     .insecure_random_seed(42)
///     .build();
/// // One context for every ABI: p2 and p3 guests see the same arguments, environment, ...
/// assert_eq!(ctx.cli().arguments(), ["prog", "--verbose"]);
/// assert_eq!(ctx.cli().environment(), [("LANG".to_string(), "C".to_string())]);
/// assert_eq!(ctx.cli().initial_cwd(), Some("/data"));
/// // ... and write into the same stdout.
/// assert!(!ctx.cli().stdout().is_terminal());
/// ```
pub struct WasiCtxBuilder {
    environment: Vec<(String, String)>,
    arguments: Vec<String>,
    initial_cwd: Option<String>,
    stdin: Box<dyn StdinStream>,
    stdout: Box<dyn StdoutStream>,
    stderr: Box<dyn StdoutStream>,
    clocks: WasiClocksCtx,
    random: WasiRandomCtx,
    sockets: WasiSocketsCtx,
    filesystem: WasiFilesystemCtx,
    built: bool,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        WasiCtxBuilder {
            environment: Vec::new(),
            arguments: Vec::new(),
            initial_cwd: None,
            stdin: Box::new(tokio::io::empty()),
            stdout: Box::new(tokio::io::empty()),
            stderr: Box::new(tokio::io::empty()),
            clocks: WasiClocksCtx::default(),
            random: WasiRandomCtx::default(),
            sockets: WasiSocketsCtx::default(),
            filesystem: WasiFilesystemCtx::default(),
            built: false,
        }
    }
}

impl WasiCtxBuilder {
    /// A builder with the defaults: stdin closed, stdout/stderr discarded, no arguments,
    /// environment or preopens, host clocks, freshly seeded generators, no network.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets stdin.
    pub fn stdin(&mut self, stdin: impl StdinStream + 'static) -> &mut Self {
        self.stdin = Box::new(stdin);
        self
    }

    /// Sets stdout.
    pub fn stdout(&mut self, stdout: impl StdoutStream + 'static) -> &mut Self {
        self.stdout = Box::new(stdout);
        self
    }

    /// Sets stderr.
    pub fn stderr(&mut self, stderr: impl StdoutStream + 'static) -> &mut Self {
        self.stderr = Box::new(stderr);
        self
    }

    /// Reads the host process's stdin.
    pub fn inherit_stdin(&mut self) -> &mut Self {
        self.stdin(tokio::io::stdin())
    }

    /// Writes to the host process's stdout.
    pub fn inherit_stdout(&mut self) -> &mut Self {
        self.stdout(std::io::stdout())
    }

    /// Writes to the host process's stderr.
    pub fn inherit_stderr(&mut self) -> &mut Self {
        self.stderr(std::io::stderr())
    }

    /// Inherits all three stdio streams.
    pub fn inherit_stdio(&mut self) -> &mut Self {
        self.inherit_stdin().inherit_stdout().inherit_stderr()
    }

    /// Lets blocking filesystem work run on the calling thread (useful for sync embeddings).
    pub fn allow_blocking_current_thread(&mut self, enable: bool) -> &mut Self {
        self.filesystem.allow_blocking_current_thread = enable;
        self
    }

    /// Appends environment variables.
    pub fn envs(&mut self, env: &[(impl AsRef<str>, impl AsRef<str>)]) -> &mut Self {
        self.environment.extend(
            env.iter()
                .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned())),
        );
        self
    }

    /// Appends one environment variable.
    pub fn env(&mut self, k: impl AsRef<str>, v: impl AsRef<str>) -> &mut Self {
        self.environment
            .push((k.as_ref().to_owned(), v.as_ref().to_owned()));
        self
    }

    /// Appends every environment variable of the host process.
    pub fn inherit_env(&mut self) -> &mut Self {
        self.environment.extend(std::env::vars());
        self
    }

    /// Appends arguments.
    pub fn args(&mut self, args: &[impl AsRef<str>]) -> &mut Self {
        self.arguments
            .extend(args.iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Appends one argument.
    pub fn arg(&mut self, arg: impl AsRef<str>) -> &mut Self {
        self.arguments.push(arg.as_ref().to_owned());
        self
    }

    /// Appends the host process's arguments.
    pub fn inherit_args(&mut self) -> &mut Self {
        self.arguments.extend(std::env::args());
        self
    }

    /// Sets the initial working directory reported to the guest.
    pub fn initial_cwd(&mut self, path: impl AsRef<str>) -> &mut Self {
        self.initial_cwd = Some(path.as_ref().to_owned());
        self
    }

    /// Opens `host_path` and offers it to the guest as `guest_path`, with `perms`.
    ///
    /// Fails if `host_path` cannot be opened as a directory. Every path a guest uses is resolved
    /// beneath the directory by cap-std, so nothing outside it can be reached.
    ///
    /// ```
    /// use p3_core::WasiCtx;
    /// use wasmtime_wasi::FsPerms;
    ///
    /// let host = std::env::temp_dir();
    /// let mut b = WasiCtx::builder();
    /// b.preopened_dir(&host, "/tmp", FsPerms::ReadOnly)?;
    /// let mut ctx = b.build();
    /// let preopens = ctx.filesystem().preopens();
    /// assert_eq!(preopens[0].guest_path, "/tmp");
    /// // Read-only: writes through this preopen are refused with `not-permitted`.
    /// assert!(preopens[0].dir.perms().write_not_permitted());
    ///
    /// // A directory that does not exist is a one-line error, not a panic.
    /// let err = WasiCtx::builder()
    ///     .preopened_dir(host.join("no such dir"), "/x", FsPerms::ReadWrite)
    ///     .err()
    ///     .unwrap();
    /// assert!(err.to_string().starts_with("failed to open directory"));
    /// # Ok::<_, wasmtime::Error>(())
    /// ```
    pub fn preopened_dir(
        &mut self,
        host_path: impl AsRef<Path>,
        guest_path: impl AsRef<str>,
        perms: FsPerms,
    ) -> wasmtime::Result<&mut Self> {
        let dir = SharedDir::open(host_path)?;
        Ok(self.preopened_shared_dir(&dir, guest_path, perms))
    }

    /// Preopens a directory opened once for many contexts ([`SharedDir`]) as `guest_path`,
    /// with `perms`: as [`preopened_dir`](Self::preopened_dir) without opening it again.
    pub fn preopened_shared_dir(
        &mut self,
        dir: &SharedDir,
        guest_path: impl AsRef<str>,
        perms: FsPerms,
    ) -> &mut Self {
        let open_mode = if perms.write_not_permitted() {
            OpenMode::READ
        } else {
            OpenMode::READ | OpenMode::WRITE
        };
        self.filesystem.preopens.push(Preopen {
            dir: Dir::shared(
                dir,
                perms,
                open_mode,
                self.filesystem.allow_blocking_current_thread,
            ),
            guest_path: guest_path.as_ref().to_owned(),
        });
        self
    }

    /// Sets the generator behind `wasi:random/random`.
    pub fn secure_random(&mut self, random: impl Rng + Send + 'static) -> &mut Self {
        self.random.secure = Box::new(random);
        self
    }

    /// Sets the generator behind `wasi:random/insecure`.
    pub fn insecure_random(&mut self, insecure_random: impl Rng + Send + 'static) -> &mut Self {
        self.random.insecure = Box::new(insecure_random);
        self
    }

    /// Sets the value `wasi:random/insecure-seed` returns.
    pub fn insecure_random_seed(&mut self, insecure_random_seed: u128) -> &mut Self {
        self.random.insecure_seed = insecure_random_seed;
        self
    }

    /// Caps one request for random bytes (64 MiB by default). A p2 request over the cap traps,
    /// as in wasmtime-wasi.
    pub fn max_random_size(&mut self, max_size: u64) -> &mut Self {
        self.random.max_size = max_size;
        self
    }

    /// Sets the wall clock.
    pub fn wall_clock(&mut self, clock: impl HostWallClock + 'static) -> &mut Self {
        self.clocks.wall = Box::new(clock);
        self
    }

    /// Sets the monotonic clock.
    pub fn monotonic_clock(&mut self, clock: impl HostMonotonicClock + 'static) -> &mut Self {
        self.clocks.monotonic = Box::new(clock);
        self
    }

    /// Allows every socket address (decided synchronously, without freezing the store).
    ///
    /// By default no address is allowed and TCP, UDP and name lookup are off, as in
    /// wasmtime-wasi:
    ///
    /// ```
    /// use p3_core::WasiCtx;
    /// use p3_core::sockets::{Decision, SocketAddrUse};
    ///
    /// let addr = "127.0.0.1:8080".parse().unwrap();
    /// let mut closed = WasiCtx::builder().build();
    /// assert!(!closed.sockets().tcp_allowed());
    /// assert!(matches!(
    ///     closed.sockets().decide(addr, SocketAddrUse::TcpConnect),
    ///     Decision::Now(false)
    /// ));
    ///
    /// let mut open = WasiCtx::builder().allow_tcp(true).inherit_network().build();
    /// assert!(open.sockets().tcp_allowed());
    /// // Decided now: an allowed connect never waits for the policy.
    /// assert!(matches!(
    ///     open.sockets().decide(addr, SocketAddrUse::TcpConnect),
    ///     Decision::Now(true)
    /// ));
    /// ```
    pub fn inherit_network(&mut self) -> &mut Self {
        self.sockets.check = AddrCheck::AllowAll;
        self
    }

    /// Sets the check called for every socket address a guest uses. It is awaited inside the
    /// socket object (a connect, an accept, a datagram), never in a future a caller may drop.
    ///
    /// ```
    /// use p3_core::WasiCtx;
    /// use p3_core::sockets::SocketAddrUse;
    ///
    /// let mut ctx = WasiCtx::builder()
    ///     .allow_tcp(true)
    ///     .socket_addr_check(|addr, _use| Box::pin(async move { addr.ip().is_loopback() }))
    ///     .build();
    /// let policy = ctx.sockets().clone();
    /// let rt = tokio::runtime::Runtime::new().unwrap();
    /// let local = "127.0.0.1:80".parse().unwrap();
    /// let remote = "192.0.2.1:80".parse().unwrap();
    /// assert!(rt.block_on(policy.allow(local, SocketAddrUse::TcpConnect)).is_ok());
    /// assert_eq!(
    ///     rt.block_on(policy.allow(remote, SocketAddrUse::TcpConnect)),
    ///     Err(p3_core::sockets::ErrorCode::AccessDenied)
    /// );
    /// ```
    pub fn socket_addr_check<F>(&mut self, check: F) -> &mut Self
    where
        F: Fn(SocketAddr, SocketAddrUse) -> Pin<Box<dyn Future<Output = bool> + Send + Sync>>
            + Send
            + Sync
            + 'static,
    {
        self.sockets.check = AddrCheck::Custom(Arc::new(check));
        self
    }

    /// Allows `wasi:sockets/ip-name-lookup` (off by default).
    pub fn allow_ip_name_lookup(&mut self, enable: bool) -> &mut Self {
        self.sockets.allow_ip_name_lookup = enable;
        self
    }

    /// Allows UDP (off by default).
    pub fn allow_udp(&mut self, enable: bool) -> &mut Self {
        self.sockets.allow_udp = enable;
        self
    }

    /// Allows TCP (off by default).
    pub fn allow_tcp(&mut self, enable: bool) -> &mut Self {
        self.sockets.allow_tcp = enable;
        self
    }

    /// Builds the context.
    ///
    /// # Panics
    ///
    /// Like wasmtime-wasi's builder, a builder builds once; a second call panics.
    pub fn build(&mut self) -> WasiCtx {
        assert!(!self.built, "a WasiCtxBuilder can only build one WasiCtx");
        let b = std::mem::take(self);
        self.built = true;
        let stdin = SharedSource::new(b.stdin.async_stream(), b.stdin.is_terminal());
        let stdout = SharedSink::new(b.stdout.async_stream(), b.stdout.is_terminal());
        let stderr = SharedSink::new(b.stderr.async_stream(), b.stderr.is_terminal());
        tracing::debug!(
            args = b.arguments.len(),
            env = b.environment.len(),
            preopens = b.filesystem.preopens.len(),
            tcp = b.sockets.allow_tcp,
            udp = b.sockets.allow_udp,
            ip_name_lookup = b.sockets.allow_ip_name_lookup,
            "WASI context built"
        );
        WasiCtx {
            cli: WasiCliCtx {
                environment: b.environment,
                arguments: b.arguments,
                initial_cwd: b.initial_cwd,
                stdin,
                stdout,
                stderr,
            },
            clocks: b.clocks,
            random: b.random,
            sockets: b.sockets,
            filesystem: b.filesystem,
        }
    }
}

impl WasiCtxBuilder {
    /// Builds the store data for WASIp1 core modules, as wasmtime-wasi's `build_p1()`: the
    /// context wrapped in a [`WasiP1Ctx`] (stdio at fds 0–2, then the preopened directories).
    ///
    /// ```
    /// use p3_core::{WasiCtxBuilder, WasiView};
    ///
    /// let mut p1 = WasiCtxBuilder::new().arg("prog").build_p1();
    /// assert_eq!(p1.ctx().ctx.cli().arguments(), ["prog"]);
    /// ```
    pub fn build_p1(&mut self) -> WasiP1Ctx {
        WasiP1Ctx::new(self.build())
    }
}
