//! A container, as the `wasi-bridge` command line that runs it.
//!
//! - The program: the image's wasm layer, or the `.wasm` file the entrypoint (`args[0]`, with
//!   an optional `#function`) names in the rootfs. A component exporting an HTTP handler
//!   (`wasi:http/incoming-handler@0.2.x`, `wasi:http/handler@0.3.0`) is served as by
//!   `wasi-bridge serve`; anything else runs as by `wasi-bridge run`, with the container's
//!   other arguments and `args[0]` as its `argv[0]`.
//! - The environment: the container's, as the guest's, but for the variables the shim reads
//!   ([`SOCKET_ADDR`], [`BACKLOG`], [`OPTIONS`]).
//! - The file system: the rootfs as the preopen `/`, and each directory mounted into the
//!   container (but for the kernel's `/proc`, `/sys` and `/dev`) as a preopen at its own path,
//!   read-only when it is mounted read-only. The kernel enforces the mounts themselves; the
//!   preopens say the same to the guest in WASI's terms.
//! - The network: the container's network namespace is the boundary, so the guest may use it
//!   (`-S inherit-network -S allow-ip-name-lookup`); a handler gets all of WASI beside
//!   wasi:http (`-S cli`), so it can read its mounts and print.
//! - The compile cache is off (`-C cache=n`): it would be written to the container's own file
//!   system, which goes with the container.
//! - Options: [`OPTIONS`] holds more `wasi-bridge` options, split as a shell splits words,
//!   after the shim's own (a later `-S` overrides an earlier one).
//! - Stopping: SIGTERM or SIGINT (the container's stop signal) stops `serve` gracefully (the
//!   requests in flight finish, then status 0) and ends `run` with status 128 + the signal.

use anyhow::{Context, Result, anyhow, bail};
use containerd_shim_wasm::sandbox::context::RuntimeContext;
use std::net::SocketAddr;
use std::path::Path;
use wasi_bridge::command::Command;

/// The address `serve` listens on (default `0.0.0.0:8080`): runwasi's wasmtime shim's name.
pub const SOCKET_ADDR: &str = "WASMTIME_HTTP_PROXY_SOCKET_ADDR";
/// The listen backlog of `serve` (default 100): runwasi's wasmtime shim's name.
pub const BACKLOG: &str = "WASMTIME_HTTP_PROXY_BACKLOG";
/// The name some runwasi releases read for [`BACKLOG`]; taken too (`BACKLOG` wins if both).
pub const BACKLOG_OLD: &str = "WASMTIME_HTTP_BACKLOG";
/// More `wasi-bridge run`/`serve` options (`-W timeout=5s --max-instance-reuse-count 8`).
pub const OPTIONS: &str = "WASI_BRIDGE_OPTIONS";

const DEFAULT_ADDR: &str = "0.0.0.0:8080";

/// A directory mounted into the container.
#[derive(Debug, PartialEq, Eq)]
pub struct Mount {
    /// Where, inside the container.
    pub path: String,
    /// Mounted read-only.
    pub read_only: bool,
}

impl Mount {
    /// The container's mounts, as its own process sees them (`/proc/self/mountinfo`), that
    /// are directories.
    pub fn read_all() -> Result<Vec<Mount>> {
        let info = std::fs::read_to_string("/proc/self/mountinfo")
            .context("cannot read /proc/self/mountinfo (is /proc mounted in the container?)")?;
        Ok(Self::parse(&info)
            .into_iter()
            .filter(|m| Path::new(&m.path).is_dir())
            .collect())
    }

    /// The mounts `mountinfo` lists, `/` first, each mount point once (the last, topmost,
    /// mount on it wins), without the kernel's `/proc`, `/sys` and `/dev` trees.
    pub fn parse(mountinfo: &str) -> Vec<Mount> {
        let mut out: Vec<Mount> = Vec::new();
        for line in mountinfo.lines() {
            // ID PARENT MAJOR:MINOR ROOT MOUNT-POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER
            let fields: Vec<&str> = line.split(' ').collect();
            let (Some(point), Some(options)) = (fields.get(4), fields.get(5)) else {
                continue;
            };
            let Some(path) = unescape(point) else {
                continue;
            };
            let kernel = ["/proc", "/sys", "/dev"]
                .iter()
                .any(|k| path == *k || path.starts_with(&format!("{k}/")));
            if kernel {
                continue;
            }
            let read_only = options.split(',').any(|o| o == "ro");
            out.retain(|m| m.path != path);
            out.push(Mount { path, read_only });
        }
        out.sort_by_key(|m| m.path != "/");
        out
    }
}

/// mountinfo writes space, tab, newline and backslash as `\ooo`; a path that is not UTF-8
/// cannot be named on the command line and is left out.
fn unescape(field: &str) -> Option<String> {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4]
                .iter()
                .all(|b| (b'0'..=b'7').contains(b))
        {
            let octal = std::str::from_utf8(&bytes[i + 1..i + 4]).ok()?;
            out.push(u8::from_str_radix(octal, 8).ok()?);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// What the command line is made from.
#[derive(Debug, Default)]
pub struct Container {
    /// The process's arguments: the entrypoint (`PATH[#FUNCTION]`) first.
    pub args: Vec<String>,
    /// The process's environment, `NAME=VALUE` each.
    pub envs: Vec<String>,
    /// The program is a component exporting an HTTP handler.
    pub serves_http: bool,
    /// The program is a core module (its functions are invoked by name; a component's by a
    /// WAVE call, `name()`).
    pub core_module: bool,
    /// The directories mounted into the container, `/` (the rootfs) among them.
    pub mounts: Vec<Mount>,
}

impl Container {
    /// The `wasi-bridge` command line (`wasi-bridge run ...` or `wasi-bridge serve ...`).
    pub fn command_line(&self) -> Result<Vec<String>> {
        let entry = self.args.first().map(String::as_str).unwrap_or_default();
        let (program, function) = match entry.split_once('#') {
            Some((program, function)) => (program, Some(function)),
            None => (entry, None),
        };
        // An image whose wasm is a layer needs no entrypoint; the program is named for
        // messages only.
        let program = if program.is_empty() {
            "app.wasm"
        } else {
            program
        };
        let mut settings = std::collections::HashMap::new();
        let mut argv = vec!["wasi-bridge".to_string()];
        argv.push(if self.serves_http { "serve" } else { "run" }.into());
        argv.extend(
            [
                "-S",
                "inherit-network",
                "-S",
                "allow-ip-name-lookup",
                "-C",
                "cache=n",
            ]
            .map(String::from),
        );
        for mount in &self.mounts {
            argv.push("--dir".into());
            let ro = if mount.read_only { "::ro" } else { "" };
            argv.push(format!("{0}::{0}{ro}", mount.path));
        }
        for var in &self.envs {
            let Some((name, _)) = var.split_once('=') else {
                continue;
            };
            if [SOCKET_ADDR, BACKLOG, BACKLOG_OLD, OPTIONS].contains(&name) {
                settings.insert(name, &var[name.len() + 1..]);
            } else {
                argv.extend(["--env".into(), var.clone()]);
            }
        }
        if self.serves_http {
            argv.push("-Scli".into());
            let addr = settings.get(SOCKET_ADDR).copied().unwrap_or(DEFAULT_ADDR);
            addr.parse::<SocketAddr>().map_err(|_| {
                anyhow!("{SOCKET_ADDR}={addr} is not a socket address (write e.g. 0.0.0.0:8080)")
            })?;
            argv.extend(["--addr".into(), addr.to_string()]);
            let backlog = [BACKLOG, BACKLOG_OLD]
                .into_iter()
                .find_map(|name| Some((name, *settings.get(name)?)));
            if let Some((name, backlog)) = backlog {
                backlog.parse::<u32>().map_err(|_| {
                    anyhow!("{name}={backlog} is not a number of connections (write e.g. 100)")
                })?;
                argv.extend(["--backlog".into(), backlog.to_string()]);
            }
        } else if let Some(function) = function.filter(|f| *f != "_start") {
            // `#name` calls a component's `name` with no arguments (as runwasi's shims);
            // `#name(1, 2)` is a WAVE call as written.
            let call = if self.core_module || function.contains('(') {
                function.to_string()
            } else {
                format!("{function}()")
            };
            argv.extend(["--invoke".into(), call]);
        }
        if let Some(options) = settings.get(OPTIONS) {
            let words = shlex::split(options).ok_or_else(|| {
                anyhow!("{OPTIONS}: unbalanced quotes or a trailing backslash in {options:?}")
            })?;
            argv.extend(words);
        }
        if self.serves_http {
            if self.args.len() > 1 {
                bail!(
                    "an HTTP handler takes no arguments, and the container gives {:?}; drop \
                     them (the handler's options go in {OPTIONS})",
                    &self.args[1..]
                );
            }
            argv.push(program.to_string());
        } else {
            // As a Linux container's process: argv[0] is the entrypoint as written.
            argv.extend(["--argv0".into(), program.to_string(), program.to_string()]);
            argv.extend(self.args.iter().skip(1).cloned());
        }
        Ok(argv)
    }
}

/// A container's program, ready to run.
pub struct Launch {
    command: Command,
}

impl Launch {
    /// Reads the container's program and makes its command line.
    pub fn new(ctx: &impl RuntimeContext, mounts: Vec<Mount>) -> Result<Self> {
        let entry = ctx.entrypoint();
        let wasm = entry
            .source
            .as_bytes()
            .with_context(|| match ctx.args().first() {
                Some(entry) => format!("cannot read the program `{entry}`"),
                None => "the container names no program (no entrypoint, no wasm layer)".into(),
            })?
            .into_owned();
        let container = Container {
            args: ctx.args().to_vec(),
            envs: ctx.envs().to_vec(),
            serves_http: wasi_bridge::run::exports_http_handler(&wasm),
            core_module: wasi_bridge::run::is_core_module(&wasm),
            mounts,
        };
        let mut command = parse(container.command_line()?)?;
        command.set_wasm(wasm);
        Ok(Launch { command })
    }

    /// Runs the program until it ends or the container is told to stop; its exit status.
    ///
    /// `serve` stops gracefully on the signal. A command ends at once with 128 + the signal's
    /// number, as a Linux process the signal ended: a thread of its own waits for the signal,
    /// because a program computing without awaiting anything (a loop) is not polled again
    /// until it yields, so a stop future beside it would never be seen.
    pub fn run(self) -> u8 {
        if self.command.is_serve() {
            return wasi_bridge::command::run_to_exit_status(self.command, stop_signal());
        }
        let watcher = std::thread::Builder::new()
            .name("stop-signal".into())
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(runtime) = runtime {
                    std::process::exit(runtime.block_on(stop_signal()));
                }
            });
        if let Err(e) = watcher {
            eprintln!("wasi-bridge: no thread to wait for the stop signal: {e}");
        }
        wasi_bridge::command::run_to_exit_status(self.command, std::future::pending())
    }
}

/// The command a command line names, or clap's message about it on one line.
pub fn parse(argv: Vec<String>) -> Result<Command> {
    Command::try_parse_from(argv).map_err(|e| {
        let text = e.to_string();
        let first = text
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ");
        anyhow!("{first} (check {OPTIONS})")
    })
}

/// Completes when the container's process gets SIGTERM or SIGINT, with 128 + the signal's
/// number (the status of a process the signal ended).
async fn stop_signal() -> i32 {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => 128 + SignalKind::terminate().as_raw_value(),
        _ = int.recv() => 128 + SignalKind::interrupt().as_raw_value(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn mountinfo_gives_the_rootfs_and_the_volumes_not_the_kernels_trees() {
        let info = "\
600 500 0:51 / / rw,relatime - overlay overlay rw,lowerdir=/l
601 600 0:52 / /proc rw,nosuid - proc proc rw
602 600 0:53 / /dev rw,nosuid - tmpfs tmpfs rw
603 602 0:54 / /dev/pts rw - devpts devpts rw
604 600 0:55 / /sys ro,nosuid - sysfs sysfs ro
605 600 8:1 /srv/in /data ro,relatime - ext4 /dev/vda rw
606 600 8:1 /srv/out /out rw,relatime - ext4 /dev/vda rw
607 600 8:1 /srv/x /with\\040space rw - ext4 /dev/vda rw
608 600 8:1 /srv/y /data rw - ext4 /dev/vda rw
609 600 0:56 / /procfs-is-not-proc rw - tmpfs tmpfs rw
";
        assert_eq!(
            Mount::parse(info),
            vec![
                Mount {
                    path: "/".into(),
                    read_only: false
                },
                Mount {
                    path: "/out".into(),
                    read_only: false
                },
                Mount {
                    path: "/with space".into(),
                    read_only: false
                },
                // Mounted over: the topmost mount is what the path reaches.
                Mount {
                    path: "/data".into(),
                    read_only: false
                },
                Mount {
                    path: "/procfs-is-not-proc".into(),
                    read_only: false
                },
            ]
        );
        let ro_root = "1 0 0:1 / / ro - overlay overlay rw\n2 1 8:1 /a /vol ro - ext4 /dev/vda rw";
        assert_eq!(
            Mount::parse(ro_root),
            vec![
                Mount {
                    path: "/".into(),
                    read_only: true
                },
                Mount {
                    path: "/vol".into(),
                    read_only: true
                },
            ]
        );
    }

    #[test]
    fn a_command_runs_with_its_arguments_environment_and_mounts() {
        let container = Container {
            args: strings(&["/app/hello.wasm", "a b", "--flag"]),
            envs: strings(&["PATH=/bin", "EMPTY=", "X=1=2"]),
            serves_http: false,
            core_module: false,
            mounts: vec![
                Mount {
                    path: "/".into(),
                    read_only: false,
                },
                Mount {
                    path: "/data".into(),
                    read_only: true,
                },
            ],
        };
        let argv = container.command_line().unwrap();
        assert_eq!(
            argv,
            strings(&[
                "wasi-bridge",
                "run",
                "-S",
                "inherit-network",
                "-S",
                "allow-ip-name-lookup",
                "-C",
                "cache=n",
                "--dir",
                "/::/",
                "--dir",
                "/data::/data::ro",
                "--env",
                "PATH=/bin",
                "--env",
                "EMPTY=",
                "--env",
                "X=1=2",
                "--argv0",
                "/app/hello.wasm",
                "/app/hello.wasm",
                "a b",
                "--flag",
            ])
        );
        let command = parse(argv).unwrap();
        assert!(!command.is_serve());
    }

    #[test]
    fn an_entrypoint_function_is_invoked() {
        let invoked = |entry: &str, core_module| {
            let argv = Container {
                args: strings(&[entry]),
                core_module,
                ..Default::default()
            }
            .command_line()
            .unwrap();
            let at = argv.iter().position(|a| a == "--invoke").unwrap();
            argv[at + 1].clone()
        };
        assert_eq!(invoked("/lib.wasm#add", true), "add");
        assert_eq!(invoked("/lib.wasm#add", false), "add()");
        assert_eq!(invoked("/lib.wasm#add(1, 2)", false), "add(1, 2)");
        let container = Container {
            args: strings(&["/lib.wasm#add"]),
            ..Default::default()
        };
        let argv = container.command_line().unwrap();
        assert_eq!(argv.last().unwrap(), "/lib.wasm");
        let start = Container {
            args: strings(&["/cmd.wasm#_start"]),
            ..Default::default()
        };
        assert!(
            !start
                .command_line()
                .unwrap()
                .contains(&"--invoke".to_string())
        );
    }

    #[test]
    fn a_handler_is_served_on_the_address_the_environment_gives() {
        let mut container = Container {
            args: strings(&["/h.wasm"]),
            envs: strings(&[
                "WASMTIME_HTTP_PROXY_SOCKET_ADDR=127.0.0.1:9000",
                "WASMTIME_HTTP_PROXY_BACKLOG=7",
                "WASI_BRIDGE_OPTIONS=-W timeout=5s --max-instance-reuse-count '8'",
                "GREETING=hi",
            ]),
            serves_http: true,
            core_module: false,
            mounts: vec![Mount {
                path: "/".into(),
                read_only: true,
            }],
        };
        let argv = container.command_line().unwrap();
        assert_eq!(
            argv,
            strings(&[
                "wasi-bridge",
                "serve",
                "-S",
                "inherit-network",
                "-S",
                "allow-ip-name-lookup",
                "-C",
                "cache=n",
                "--dir",
                "/::/::ro",
                "--env",
                "GREETING=hi",
                "-Scli",
                "--addr",
                "127.0.0.1:9000",
                "--backlog",
                "7",
                "-W",
                "timeout=5s",
                "--max-instance-reuse-count",
                "8",
                "/h.wasm",
            ])
        );
        assert!(parse(argv).unwrap().is_serve());
        // The defaults: 0.0.0.0:8080, wasmtime serve's backlog.
        container.envs.clear();
        let argv = container.command_line().unwrap();
        assert!(
            argv.windows(2).any(|w| w == ["--addr", "0.0.0.0:8080"]),
            "{argv:?}"
        );
        assert!(!argv.contains(&"--backlog".to_string()));
        // The older name some runwasi releases read; runwasi's own name wins beside it.
        container.envs = strings(&["WASMTIME_HTTP_BACKLOG=9"]);
        let argv = container.command_line().unwrap();
        assert!(argv.windows(2).any(|w| w == ["--backlog", "9"]), "{argv:?}");
        container.envs = strings(&["WASMTIME_HTTP_BACKLOG=9", "WASMTIME_HTTP_PROXY_BACKLOG=7"]);
        let argv = container.command_line().unwrap();
        assert!(argv.windows(2).any(|w| w == ["--backlog", "7"]), "{argv:?}");
    }

    #[test]
    fn bad_settings_get_one_line_naming_the_variable() {
        let with = |env: &str, serves_http| Container {
            args: strings(&["/h.wasm"]),
            envs: vec![env.to_string()],
            serves_http,
            ..Default::default()
        };
        let message = |c: Container| match c.command_line().and_then(parse) {
            Ok(_) => panic!("{c:?} was taken"),
            Err(e) => e.to_string(),
        };
        let m = message(with("WASMTIME_HTTP_PROXY_SOCKET_ADDR=localhost", true));
        assert!(
            m.contains("WASMTIME_HTTP_PROXY_SOCKET_ADDR=localhost is not a socket"),
            "{m}"
        );
        let m = message(with("WASMTIME_HTTP_PROXY_BACKLOG=-1", true));
        assert!(
            m.contains("WASMTIME_HTTP_PROXY_BACKLOG=-1 is not a number"),
            "{m}"
        );
        let m = message(with("WASMTIME_HTTP_BACKLOG=x", true));
        assert!(m.contains("WASMTIME_HTTP_BACKLOG=x is not a number"), "{m}");
        let m = message(with("WASI_BRIDGE_OPTIONS=--dir 'x", false));
        assert!(m.contains("unbalanced quotes"), "{m}");
        let m = message(with("WASI_BRIDGE_OPTIONS=--no-such-flag", false));
        assert!(
            m.contains("--no-such-flag") && m.contains("check WASI_BRIDGE_OPTIONS"),
            "{m}"
        );
        assert!(!m.contains('\n'), "{m}");
        let mut args = with("A=1", true);
        args.args.push("extra".into());
        assert!(message(args).contains("takes no arguments"));
    }
}
