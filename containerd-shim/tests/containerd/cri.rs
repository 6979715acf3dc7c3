//! Pods as kubelet makes them: containerd's CRI plugin driven over its gRPC API (the `k8s-cri`
//! client on containerd's socket), with this shim as the runtime handler `wasi-bridge` (what a
//! RuntimeClass names). Each pod is a sandbox — its pause container, a Linux program that
//! runwasi hands to its Linux executor — sharing the host's network (no CNI here), then the
//! app containers: `CreateContainer` and `StartContainer`, their status and exit codes as the
//! CRI reports them, their output in the CRI log file, `StopContainer` with requests in
//! flight, `StopPodSandbox` and `RemovePodSandbox`.

use crate::daemon::{Daemon, HANDLER};
use crate::image::Image;
use crate::ports::free_port;
use crate::{answer, curl, get, import, import_image};
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use k8s_cri::v1::*;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tonic::transport::{Channel, Endpoint};

/// The CRI tests share containerd's namespace `k8s.io`, and with it runwasi's state
/// (`/run/containerd/wasi-bridge/k8s.io`) and the cgroups of that name: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The pod sandbox image the daemon is configured with.
const PAUSE: &str = "docker.io/library/wasi-bridge-pause:test";

/// kubelet's side of one daemon: its CRI client, the runtime the client runs on, and the pods'
/// log directory.
struct Kubelet {
    cri: RuntimeServiceClient<Channel>,
    tokio: tokio::runtime::Runtime,
    logs: PathBuf,
    /// containerd's log, for failures.
    daemon_log: PathBuf,
}

/// One pod sandbox and the configuration it was made with (each container's
/// `CreateContainer` repeats it, as kubelet does).
struct Pod {
    id: String,
    config: PodSandboxConfig,
}

/// Shares the host's namespaces for the network (no CNI) and the pod's for the rest.
fn host_network() -> NamespaceOption {
    NamespaceOption {
        network: NamespaceMode::Node as i32,
        pid: NamespaceMode::Container as i32,
        ipc: NamespaceMode::Pod as i32,
        ..Default::default()
    }
}

/// A daemon with the CRI plugin, the pause image imported; `None` where the containerd tests
/// are skipped.
fn start(test: &str) -> Option<(Daemon, Kubelet)> {
    let daemon = Daemon::start_cri(test, PAUSE)?;
    import_image(&daemon, &pause_image(), &[]);
    let kubelet = Kubelet::connect(&daemon);
    Some((daemon, kubelet))
}

/// A pause image as a node has one: a Linux program that waits until it is killed — this
/// machine's `sleep`, with the libraries `ldd` says it needs, at their paths.
fn pause_image() -> Image<'static> {
    let ldd = std::process::Command::new("ldd")
        .arg("/bin/sleep")
        .output()
        .expect("ldd runs");
    let mut files: Vec<(&'static str, Vec<u8>)> = vec![("bin/sleep", read("/bin/sleep"))];
    for line in String::from_utf8_lossy(&ldd.stdout).lines() {
        // `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)`, `/lib64/ld-linux-x86-64.so.2 (0x...)`
        let path = line
            .split_whitespace()
            .find(|word| word.starts_with('/'))
            .map(str::to_string);
        if let Some(path) = path {
            let bytes = read(&path);
            files.push((path.trim_start_matches('/').to_string().leak(), bytes));
        }
    }
    Image {
        name: "wasi-bridge-pause",
        files,
        artifact: None,
        entrypoint: vec!["/bin/sleep", "infinity"],
        env: vec![],
        executable: true,
    }
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

impl Kubelet {
    fn connect(daemon: &Daemon) -> Kubelet {
        let tokio = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let socket = daemon.socket();
        let channel = tokio
            .block_on(
                // The URI is not used: the connector dials containerd's socket.
                Endpoint::from_static("http://containerd").connect_with_connector(
                    tower::service_fn(move |_| {
                        let socket = socket.clone();
                        async move {
                            let stream = tokio::net::UnixStream::connect(socket).await?;
                            Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
                        }
                    }),
                ),
            )
            .expect("containerd's socket takes a connection");
        let logs = daemon.scratch("pods");
        let mut kubelet = Kubelet {
            cri: RuntimeServiceClient::new(channel),
            tokio,
            logs,
            daemon_log: daemon.log_path(),
        };
        // The CRI plugin starts after the daemon answers `ctr`: wait until it is ready.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let status = kubelet
                .call(|mut cri| async move { cri.status(StatusRequest { verbose: false }).await });
            let ready = status.as_ref().is_ok_and(|s| {
                s.status.as_ref().is_some_and(|s| {
                    s.conditions
                        .iter()
                        .any(|c| c.r#type == "RuntimeReady" && c.status)
                })
            });
            if ready {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the CRI runtime is not ready within 30 s: {status:?}\ncontainerd's log:\n{}",
                daemon.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        kubelet
    }

    /// containerd's log so far (its lines about the shim and the CRI's).
    fn daemon_log(&self) -> String {
        std::fs::read_to_string(&self.daemon_log).unwrap_or_default()
    }

    /// One CRI call, to its answer.
    fn call<F, R>(
        &mut self,
        call: impl FnOnce(RuntimeServiceClient<Channel>) -> F,
    ) -> Result<R, tonic::Status>
    where
        F: std::future::Future<Output = Result<tonic::Response<R>, tonic::Status>>,
    {
        let cri = self.cri.clone();
        self.tokio
            .block_on(async { tokio::time::timeout(Duration::from_secs(120), call(cri)).await })
            .map_err(|_| tonic::Status::deadline_exceeded("no answer within 120 s"))?
            .map(tonic::Response::into_inner)
    }

    /// `RunPodSandbox` with the handler `wasi-bridge`, on the host's network.
    fn run_pod(&mut self, name: &str) -> Pod {
        let logs = self.logs.join(name);
        std::fs::create_dir_all(&logs).unwrap();
        let config = PodSandboxConfig {
            metadata: Some(PodSandboxMetadata {
                name: name.into(),
                uid: format!("uid-{name}"),
                namespace: "default".into(),
                attempt: 0,
            }),
            log_directory: logs.to_string_lossy().into_owned(),
            linux: Some(LinuxPodSandboxConfig {
                security_context: Some(LinuxSandboxSecurityContext {
                    namespace_options: Some(host_network()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let request = RunPodSandboxRequest {
            config: Some(config.clone()),
            runtime_handler: HANDLER.into(),
        };
        let id = self
            .call(|mut cri| async move { cri.run_pod_sandbox(request).await })
            .unwrap_or_else(|e| {
                panic!(
                    "RunPodSandbox {name}: {e}\ncontainerd's log:\n{}",
                    self.daemon_log()
                )
            })
            .pod_sandbox_id;
        Pod { id, config }
    }

    /// `CreateContainer` (the image's entrypoint with `args`, `envs`, its log at
    /// `NAME.log` in the pod's directory) and `StartContainer`: its id.
    fn start_container(
        &mut self,
        pod: &Pod,
        name: &str,
        image: &str,
        args: &[&str],
        envs: &[(&str, &str)],
    ) -> String {
        let config = ContainerConfig {
            metadata: Some(ContainerMetadata {
                name: name.into(),
                attempt: 0,
            }),
            image: Some(ImageSpec {
                image: image.into(),
                ..Default::default()
            }),
            args: args.iter().map(|a| a.to_string()).collect(),
            envs: envs
                .iter()
                .map(|(key, value)| KeyValue {
                    key: key.to_string(),
                    value: value.to_string(),
                })
                .collect(),
            log_path: format!("{name}.log"),
            linux: Some(LinuxContainerConfig {
                security_context: Some(LinuxContainerSecurityContext {
                    namespace_options: Some(host_network()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let request = CreateContainerRequest {
            pod_sandbox_id: pod.id.clone(),
            config: Some(config),
            sandbox_config: Some(pod.config.clone()),
        };
        let id = self
            .call(|mut cri| async move { cri.create_container(request).await })
            .unwrap_or_else(|e| {
                panic!(
                    "CreateContainer {name}: {e}\ncontainerd's log:\n{}",
                    self.daemon_log()
                )
            })
            .container_id;
        let container_id = id.clone();
        self.call(|mut cri| async move {
            cri.start_container(StartContainerRequest { container_id })
                .await
        })
        .unwrap_or_else(|e| {
            panic!(
                "StartContainer {name}: {e}\ncontainerd's log:\n{}",
                self.daemon_log()
            )
        });
        id
    }

    /// `ContainerStatus`: its state and exit code.
    fn status(&mut self, id: &str) -> (ContainerState, i32) {
        let container_id = id.to_string();
        let status = self
            .call(|mut cri| async move {
                cri.container_status(ContainerStatusRequest {
                    container_id,
                    verbose: false,
                })
                .await
            })
            .unwrap_or_else(|e| panic!("ContainerStatus {id}: {e}"))
            .status
            .expect("a status");
        (
            ContainerState::try_from(status.state).unwrap(),
            status.exit_code,
        )
    }

    /// Polls `ContainerStatus` until the container has exited: its exit code.
    fn wait_exited(&mut self, id: &str, within: Duration) -> i32 {
        let deadline = Instant::now() + within;
        loop {
            let (state, code) = self.status(id);
            if state == ContainerState::ContainerExited {
                return code;
            }
            assert!(
                Instant::now() < deadline,
                "{id} still {state:?} after {within:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The container's output as the CRI log file has it: `(stream, line)` pairs, partial
    /// lines (`P`) joined to the full line (`F`) that ends them.
    fn log(&self, pod: &str, name: &str) -> Vec<(String, String)> {
        read_cri_log(&self.logs.join(pod).join(format!("{name}.log")))
    }

    fn stop_container(&mut self, id: &str, timeout: i64) {
        let container_id = id.to_string();
        self.call(|mut cri| async move {
            cri.stop_container(StopContainerRequest {
                container_id,
                timeout,
            })
            .await
        })
        .unwrap_or_else(|e| panic!("StopContainer {id}: {e}"));
    }

    /// `StopPodSandbox` then `RemovePodSandbox` (its containers go with it); the pod is gone
    /// from `ListPodSandbox` after.
    fn remove_pod(&mut self, pod: Pod) {
        let pod_sandbox_id = pod.id.clone();
        self.call(|mut cri| async move {
            cri.stop_pod_sandbox(StopPodSandboxRequest { pod_sandbox_id })
                .await
        })
        .unwrap_or_else(|e| panic!("StopPodSandbox: {e}"));
        let pod_sandbox_id = pod.id.clone();
        self.call(|mut cri| async move {
            cri.remove_pod_sandbox(RemovePodSandboxRequest { pod_sandbox_id })
                .await
        })
        .unwrap_or_else(|e| panic!("RemovePodSandbox: {e}"));
        let pods = self
            .call(|mut cri| async move {
                cri.list_pod_sandbox(ListPodSandboxRequest { filter: None })
                    .await
            })
            .unwrap()
            .items;
        assert!(pods.iter().all(|p| p.id != pod.id), "{pods:?}");
    }
}

/// A request that is in flight when this returns and ends about 1.5 s later: the p3 guest's
/// `/sleep/1500`; for the p2 guest (which has no sleep) a `POST /echo` of 10 bytes whose second
/// half is sent 1.5 s after its response head arrived. Its status code and body.
fn in_flight(abi: &str, port: u16) -> std::thread::JoinHandle<(String, String)> {
    if abi == "p3" {
        let slow = curl(&format!("http://127.0.0.1:{port}/sleep/1500"))
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(500));
        return std::thread::spawn(move || {
            let (status, body) = answer(slow.wait_with_output().unwrap());
            assert_eq!(body, "slept 1500 ms\n");
            (status, body)
        });
    }
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST /echo HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-length: 10\r\nconnection: close\r\n\r\n01234"
    );
    s.write_all(head.as_bytes()).unwrap();
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut byte).unwrap(), 1, "the echo's head: {seen:?}");
        seen.push(byte[0]);
    }
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        s.write_all(b"56789").unwrap();
        s.read_to_end(&mut seen).unwrap();
        let all = String::from_utf8_lossy(&seen).into_owned();
        let status = all.split(' ').nth(1).unwrap_or_default().to_string();
        let (head, mut rest) = all.split_once("\r\n\r\n").unwrap_or((&all, ""));
        let body = if head.contains("transfer-encoding: chunked") {
            let mut body = String::new();
            while let Some((size, after)) = rest.split_once("\r\n") {
                let size = usize::from_str_radix(size, 16).unwrap_or(0);
                if size == 0 || after.len() < size {
                    break;
                }
                body.push_str(&after[..size]);
                rest = after[size..].trim_start_matches("\r\n");
            }
            body
        } else {
            rest.to_string()
        };
        assert_eq!(body, "0123456789", "{all}");
        (status, body)
    })
}

/// Reads a CRI log file: `TIMESTAMP STREAM TAG TEXT` lines, `TAG` `P` for a partial line.
fn read_cri_log(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = Vec::new();
    let mut partial: Option<(String, String)> = None;
    for line in text.lines() {
        let mut fields = line.splitn(4, ' ');
        let (_time, stream, tag) = (fields.next(), fields.next().unwrap_or(""), fields.next());
        let content = fields.next().unwrap_or("");
        let (_, mut joined) = partial
            .take()
            .unwrap_or_else(|| (stream.into(), String::new()));
        joined.push_str(content);
        if tag == Some("P") {
            partial = Some((stream.into(), joined));
        } else {
            lines.push((stream.to_string(), joined));
        }
    }
    lines
}

/// The lines of one stream.
fn stream(log: &[(String, String)], name: &str) -> Vec<String> {
    log.iter()
        .filter(|(s, _)| s == name)
        .map(|(_, l)| l.clone())
        .collect()
}

/// A pod running a p1 module, a p2 command and a p3 command one after another, as an init
/// container and two app containers would: each one's arguments and environment from the
/// CRI's container config, its stdout and stderr in its CRI log, its exit code in its
/// status.
#[test]
fn a_pod_runs_p1_p2_and_p3_commands_with_their_logs_and_exit_codes() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((daemon, mut kubelet)) = start("cri-commands") else {
        return;
    };
    let p1 = import(&daemon, "cri-p1", "hello.p1.wasm");
    let p2 = import(&daemon, "cri-p2", "p2-cli.wasm");
    let p3 = import(&daemon, "cri-p3", "p3-cli.wasm");
    let pod = kubelet.run_pod("commands");

    let id = kubelet.start_container(&pod, "p1", &p1, &["3"], &[("GREETING", "from the CRI")]);
    assert_eq!(
        kubelet.wait_exited(&id, Duration::from_secs(60)),
        3,
        "{}",
        daemon.log()
    );
    let log = kubelet.log("commands", "p1");
    assert_eq!(
        stream(&log, "stdout"),
        [
            "hello from wasip1",
            "argv[0]=/app.wasm",
            "argv[1]=3",
            "GREETING=from the CRI",
            "stdin bytes: 0"
        ],
        "{log:?}"
    );
    assert_eq!(stream(&log, "stderr"), ["a line on stderr"], "{log:?}");

    let id = kubelet.start_container(
        &pod,
        "p2",
        &p2,
        &["env", "two words"],
        &[("GREETING", "hi")],
    );
    assert_eq!(kubelet.wait_exited(&id, Duration::from_secs(60)), 0);
    let out = stream(&kubelet.log("commands", "p2"), "stdout");
    for line in [
        "arg: /app.wasm",
        "arg: env",
        "arg: two words",
        "env: GREETING=hi",
        "env: FROM_IMAGE=yes",
    ] {
        assert!(out.iter().any(|l| l == line), "{line:?} in {out:?}");
    }
    let id = kubelet.start_container(&pod, "p2-exit", &p2, &["exit-code", "7"], &[]);
    assert_eq!(kubelet.wait_exited(&id, Duration::from_secs(60)), 7);

    let id = kubelet.start_container(&pod, "p3", &p3, &["exit-code", "42"], &[]);
    assert_eq!(kubelet.wait_exited(&id, Duration::from_secs(60)), 42);
    let id = kubelet.start_container(&pod, "p3-env", &p3, &["env"], &[("GREETING", "p3")]);
    assert_eq!(kubelet.wait_exited(&id, Duration::from_secs(60)), 0);
    let out = stream(&kubelet.log("commands", "p3-env"), "stdout");
    assert!(out.iter().any(|l| l == "env: GREETING=p3"), "{out:?}");

    kubelet.remove_pod(pod);
}

/// Two pods at once, a p2 and a p3 wasi:http component, each serving on its own port of the
/// host's network; `ExecSync` (an exec probe) refused, the container serving on; `StopContainer` while a request is in flight: the request is answered,
/// the container exits 0 and its log says where it served; then both pods are removed.
#[test]
fn two_http_pods_serve_at_once_and_stop_with_their_requests_answered() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((daemon, mut kubelet)) = start("cri-http") else {
        return;
    };
    let images = [
        (
            "p2",
            import(&daemon, "cri-http-p2", "p2-http.wasm"),
            "Hello, wasi:http/proxy world!\n",
        ),
        (
            "p3",
            import(&daemon, "cri-http-p3", "p3-http-cb.wasm"),
            "hello\n",
        ),
    ];
    let mut running = Vec::new();
    for (abi, image, hello) in &images {
        let port = free_port();
        let pod = kubelet.run_pod(&format!("http-{abi}"));
        let addr = format!("127.0.0.1:{port}");
        let id = kubelet.start_container(
            &pod,
            "server",
            image,
            &[],
            &[("WASMTIME_HTTP_PROXY_SOCKET_ADDR", &addr)],
        );
        running.push((abi, pod, id, port, *hello));
    }
    // Both answer, while both run.
    for (abi, _, id, port, hello) in &running {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (status, body) = get(*port, "/hello");
            if status == "200" {
                assert_eq!(body, *hello, "{abi}");
                break;
            }
            let (state, _) = kubelet.status(id);
            assert!(
                Instant::now() < deadline && state == ContainerState::ContainerRunning,
                "{abi}: no answer on {port} ({state:?}); containerd's log:\n{}",
                daemon.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    // An exec probe (`ExecSync`, what kubelet runs for an `exec` liveness or readiness probe)
    // has nothing to run in a WebAssembly container: it is refused (the shim, as runwasi's,
    // serves no exec), and
    // the container serves on (kubelet's `httpGet` and `tcpSocket` probes are its own
    // requests, as `get` makes them here).
    let (abi, _, id, port, hello) = &running[0];
    let request = ExecSyncRequest {
        container_id: id.clone(),
        cmd: vec!["/bin/true".into()],
        timeout: 10,
    };
    let refused = kubelet.call(|mut cri| async move { cri.exec_sync(request).await });
    match refused {
        Err(status) => assert!(
            // containerd's words: the shim serves no `Task/Exec`.
            status.message().contains("Task/Exec is not supported"),
            "{abi}: {status:?}"
        ),
        Ok(answer) => panic!("{abi}: ExecSync ran: {answer:?}"),
    }
    assert_eq!(
        kubelet.status(id).0,
        ContainerState::ContainerRunning,
        "{abi}"
    );
    assert_eq!(
        get(*port, "/hello"),
        ("200".to_string(), hello.to_string()),
        "{abi}"
    );
    for (abi, pod, id, port, _) in running {
        let request = in_flight(abi, port);
        kubelet.stop_container(&id, 30);
        let (status, body) = request.join().unwrap();
        assert_eq!(status, "200", "{abi}: {body}");
        assert_eq!(
            kubelet.wait_exited(&id, Duration::from_secs(30)),
            0,
            "{abi}"
        );
        let err = stream(&kubelet.log(&format!("http-{abi}"), "server"), "stderr");
        assert!(
            err.iter()
                .any(|l| l.contains(&format!("Serving HTTP on http://127.0.0.1:{port}/"))),
            "{abi}: {err:?}"
        );
        kubelet.remove_pod(pod);
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "{abi}"
        );
    }
}
