//! A containerd daemon of the test's own: its root, state, socket and config under a temp
//! dir, the shim on its `PATH`, stopped and removed when dropped (also after a failed test).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The runtime name containerd maps to `containerd-shim-wasi-bridge-v1`.
pub const RUNTIME: &str = "io.containerd.wasi-bridge.v1";

/// The CRI runtime handler of [`RUNTIME`] (a Kubernetes RuntimeClass's `handler`).
pub const HANDLER: &str = "wasi-bridge";

/// A running containerd.
pub struct Daemon {
    dir: tempfile::TempDir,
    child: Child,
    namespace: String,
    /// Where its `containerd` and `ctr` are (`None`: on `PATH`).
    bin: Option<PathBuf>,
}

/// The variable naming a directory with a containerd 1.7 or later (`containerd` and `ctr`), for
/// the tests that need one where the installed containerd is older (`.ci/run` sets it).
pub const CONTAINERD_1_7: &str = "WASI_BRIDGE_CONTAINERD_1_7";

impl Daemon {
    /// Starts one, or `None` (the test is skipped) where this machine cannot: not root, or
    /// no containerd. Under `CI=true` that is a failure instead.
    pub fn start(test: &str) -> Option<Daemon> {
        let missing = missing_containerd();
        Self::start_or_skip(test, None, missing, None, None)
    }

    /// As [`Daemon::start`], with another runtime's shim on containerd's `PATH` too: the
    /// directory `shims` (e.g. one holding runwasi's `containerd-shim-wasmtime-v1`, run with
    /// [`Daemon::serve_command_on`]).
    #[allow(dead_code, reason = "for the benchmark against runwasi's shim")]
    pub fn start_beside(test: &str, shims: &Path) -> Option<Daemon> {
        let missing = missing_containerd();
        Self::start_or_skip(test, None, missing, None, Some(shims))
    }

    /// As [`Daemon::start`], with a containerd of version 1.7 or later: the installed one if it
    /// is, else the one in the directory `$WASI_BRIDGE_CONTAINERD_1_7` names.
    pub fn start_1_7(test: &str) -> Option<Daemon> {
        let at_least_1_7 = |containerd: &Path| {
            let out = Command::new(containerd).arg("--version").output().ok()?;
            // `containerd github.com/containerd/containerd 1.7.24~ds1 ...`
            let version = String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .nth(2)?
                .to_string();
            let mut parts = version.trim_start_matches('v').split(['.', '~', '-', '+']);
            let major: u32 = parts.next()?.parse().ok()?;
            let minor: u32 = parts.next()?.parse().ok()?;
            Some((major, minor) >= (1, 7))
        };
        let named = std::env::var_os(CONTAINERD_1_7).map(PathBuf::from);
        let (bin, missing) = if !is_root() {
            (None, Some("the tests are not running as root".to_string()))
        } else if which("containerd").is_some_and(|c| at_least_1_7(&c) == Some(true)) {
            (None, None)
        } else if let Some(dir) = named {
            match at_least_1_7(&dir.join("containerd")) {
                Some(true) => (Some(dir), None),
                _ => (
                    None,
                    Some(format!(
                        "{CONTAINERD_1_7}={} holds no containerd 1.7 or later",
                        dir.display()
                    )),
                ),
            }
        } else {
            (
                None,
                Some(format!(
                    "this needs containerd 1.7 or later: install it, or name a directory \
                     holding its `containerd` and `ctr` in {CONTAINERD_1_7}"
                )),
            )
        };
        Self::start_or_skip(test, bin, missing, None, None)
    }

    /// As [`Daemon::start`], with containerd's CRI plugin on — what kubelet drives — in its
    /// namespace `k8s.io`: the runtime handler [`HANDLER`] is this shim (a RuntimeClass's
    /// `handler`), pod sandboxes run the image `pause` (imported by the test), and no CNI is
    /// configured (pods share the host's network).
    pub fn start_cri(test: &str, pause: &str) -> Option<Daemon> {
        let missing = missing_containerd();
        Self::start_or_skip(test, None, missing, Some(pause), None)
    }

    /// containerd's log file (the shims' logs are in it too).
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("containerd.log")
    }

    /// containerd's socket (its gRPC API, the CRI's too).
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("containerd.sock")
    }

    fn start_or_skip(
        test: &str,
        bin: Option<PathBuf>,
        missing: Option<String>,
        cri: Option<&str>,
        shims: Option<&Path>,
    ) -> Option<Daemon> {
        if let Some(why) = missing {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true: the containerd tests must run, but {why}"
            );
            eprintln!("skipping {test}: {why}");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("wasi-bridge-containerd-")
            .tempdir()
            .unwrap();
        let root = dir.path();
        let cri_plugin = if cri.is_some() {
            ""
        } else {
            "\"io.containerd.grpc.v1.cri\", "
        };
        let mut config = format!(
            "version = 2\n\
             root = \"{0}/root\"\n\
             state = \"{0}/state\"\n\
             disabled_plugins = [{cri_plugin}\"io.containerd.internal.v1.opt\", \
             \"io.containerd.snapshotter.v1.btrfs\", \"io.containerd.snapshotter.v1.zfs\", \
             \"io.containerd.snapshotter.v1.devmapper\", \"io.containerd.snapshotter.v1.aufs\"]\n\
             [grpc]\n  address = \"{0}/containerd.sock\"\n\
             [ttrpc]\n  address = \"{0}/containerd.sock.ttrpc\"\n",
            root.display()
        );
        if let Some(pause) = cri {
            // As docs/kubernetes.md configures a node (containerd 1.x), plus what a test's
            // own daemon needs: a pause image of its own, no CNI, streaming on loopback, no
            // `oom_score_adj` below containerd's own (a sandbox such as this machine's may
            // refuse to lower it: libcontainer's "io error"), and this
            // shim as the default runtime (a config that names runtimes names its default's).
            config += &format!(
                "[plugins.\"io.containerd.grpc.v1.cri\"]\n\
                 \x20 sandbox_image = \"{pause}\"\n\
                 \x20 stream_server_address = \"127.0.0.1\"\n\
                 \x20 stream_server_port = \"0\"\n\
                 \x20 restrict_oom_score_adj = true\n\
                 [plugins.\"io.containerd.grpc.v1.cri\".containerd]\n\
                 \x20 default_runtime_name = \"{HANDLER}\"\n\
                 [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.{HANDLER}]\n\
                 \x20 runtime_type = \"{RUNTIME}\"\n\
                 [plugins.\"io.containerd.grpc.v1.cri\".cni]\n\
                 \x20 bin_dir = \"{0}/cni/bin\"\n\
                 \x20 conf_dir = \"{0}/cni/conf.d\"\n",
                root.display()
            );
        }
        std::fs::write(root.join("config.toml"), config).unwrap();
        let shim = Path::new(env!("CARGO_BIN_EXE_containerd-shim-wasi-bridge-v1"));
        let mut path = format!("{}:", shim.parent().unwrap().display());
        if let Some(shims) = shims {
            path += &format!("{}:", shims.display());
        }
        path += &std::env::var("PATH").unwrap_or_default();
        let log = std::fs::File::create(root.join("containerd.log")).unwrap();
        let child = Command::new(program(&bin, "containerd"))
            .arg("--config")
            .arg(root.join("config.toml"))
            .env("PATH", path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("containerd starts");
        let daemon = Daemon {
            dir,
            child,
            namespace: if cri.is_some() {
                "k8s.io".into()
            } else {
                format!("wasi-bridge-test-{}-{test}", std::process::id())
            },
            bin,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !daemon.ctr(&["version"]).status.success() {
            assert!(
                Instant::now() < deadline,
                "containerd did not answer within 30 s; its log:\n{}",
                daemon.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(daemon)
    }

    /// The daemon's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("containerd.log")).unwrap_or_default()
    }

    /// A temp dir beside the daemon's (removed with it).
    pub fn scratch(&self, name: &str) -> PathBuf {
        let dir = self.dir.path().join("scratch").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// `ctr` against this daemon, in the test's namespace.
    pub fn ctr_command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(program(&self.bin, "ctr"));
        command
            .arg("--address")
            .arg(self.dir.path().join("containerd.sock"))
            .args(["--namespace", &self.namespace])
            .args(args)
            .stdin(Stdio::null());
        command
    }

    /// `ctr run` of an HTTP component's image sharing the host's network (`--net-host`),
    /// served on 127.0.0.1:PORT (`WASMTIME_HTTP_PROXY_SOCKET_ADDR`); not started.
    pub fn serve_command(&self, image: &str, id: &str, port: u16) -> Command {
        self.serve_command_on(RUNTIME, image, id, port)
    }

    /// [`Daemon::serve_command`] with the runtime `runtime` (`io.containerd.NAME.v1`).
    pub fn serve_command_on(&self, runtime: &str, image: &str, id: &str, port: u16) -> Command {
        let addr = format!("WASMTIME_HTTP_PROXY_SOCKET_ADDR=127.0.0.1:{port}");
        let args = [
            "run",
            "--rm",
            "--runtime",
            runtime,
            "--net-host",
            "--env",
            &addr,
        ];
        self.ctr_command(&[&args[..], &[image, id]].concat())
    }

    /// Runs `ctr ARGS` to its end.
    pub fn ctr(&self, args: &[&str]) -> Output {
        self.ctr_command(args).output().expect("ctr runs")
    }

    /// Imports the image tar `tar` with `ctr images import OPTIONS`.
    pub fn import_with(&self, options: &[&str], tar: &Path) {
        let out = self.ctr(&[&["images", "import"], options, &[tar.to_str().unwrap()]].concat());
        assert!(
            out.status.success(),
            "ctr images import: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Sends task `id` its stop signal (`ctr tasks kill`, SIGTERM).
    pub fn stop_task(&self, id: &str) {
        let out = self.ctr(&["tasks", "kill", id]);
        assert!(
            out.status.success(),
            "ctr tasks kill {id}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `ctr run --rm --runtime io.containerd.wasi-bridge.v1 OPTIONS IMAGE ID ARGS` to its end
    /// (killed, and the test failed, after two minutes).
    pub fn run(&self, options: &[&str], image: &str, id: &str, args: &[&str]) -> Output {
        let mut all = vec!["run", "--rm", "--runtime", RUNTIME];
        all.extend(options);
        all.extend([image, id]);
        all.extend(args);
        let mut child = self
            .ctr_command(&all)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ctr runs");
        let deadline = Instant::now() + Duration::from_secs(120);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = self.ctr(&["tasks", "kill", "--signal", "SIGKILL", id]);
                let _ = child.kill();
                panic!(
                    "ctr run {id} did not end within 2 minutes; containerd's log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.wait_with_output().unwrap()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // Tasks and containers a failed test left behind, then the daemon, then whatever it
        // left mounted, then its directories.
        let tasks = self.ctr(&["tasks", "ls", "-q"]);
        for id in String::from_utf8_lossy(&tasks.stdout).lines() {
            let _ = self.ctr(&["tasks", "kill", "--signal", "SIGKILL", id]);
            let _ = self.ctr(&["tasks", "rm", "--force", id]);
        }
        let containers = self.ctr(&["containers", "ls", "-q"]);
        for id in String::from_utf8_lossy(&containers.stdout).lines() {
            let _ = self.ctr(&["containers", "rm", id]);
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().ok().flatten().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let root = self.dir.path().to_string_lossy().into_owned();
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let mut under: Vec<&str> = mounts
            .lines()
            .filter_map(|l| l.split(' ').nth(4))
            .filter(|p| p.starts_with(&root))
            .collect();
        under.sort_by_key(|p| std::cmp::Reverse(p.len()));
        for point in under {
            let _ = Command::new("umount").args(["-l", point]).status();
        }
        // libcontainer's state for the namespace (runwasi's default root), and the cgroups it
        // made for the namespace (each container's is removed with it; the parent stays).
        let _ = std::fs::remove_dir_all(format!("/run/containerd/wasi-bridge/{}", self.namespace));
        if let Ok(controllers) = std::fs::read_dir("/sys/fs/cgroup") {
            for controller in controllers.flatten() {
                remove_cgroup(&controller.path().join(&self.namespace));
            }
        }
        remove_cgroup(&Path::new("/sys/fs/cgroup").join(&self.namespace));
    }
}

/// Removes a cgroup and those below it (`rmdir` each, innermost first: a cgroup's control
/// files go with its directory).
fn remove_cgroup(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_cgroup(&entry.path());
            }
        }
        let _ = std::fs::remove_dir(dir);
    }
}

/// Why the installed containerd cannot be used here, if it cannot.
fn missing_containerd() -> Option<String> {
    if !is_root() {
        Some("the tests are not running as root".to_string())
    } else if which("containerd").is_none() || which("ctr").is_none() {
        Some("containerd and ctr are not installed (apt-get install containerd)".into())
    } else {
        None
    }
}

/// `name` in `bin`, or on `PATH`.
fn program(bin: &Option<PathBuf>, name: &str) -> PathBuf {
    bin.as_ref()
        .map_or_else(|| name.into(), |dir| dir.join(name))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(program))
            .find(|p| p.is_file())
    })
}
