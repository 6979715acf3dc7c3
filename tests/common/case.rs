//! A case (the inputs of one run: args, env, stdin, preopens, network policy), the fresh
//! directory it runs in, and what a run produced.

use std::path::{Path, PathBuf};

/// How a guest ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// Returned or exited with this status.
    Code(i32),
    /// Trapped, with the guest-visible reason (the innermost error's message, without the
    /// wasm backtrace): two traps are the same only if their reasons are.
    Trap(String),
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit: Exit,
}

impl Outcome {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn trapped(&self) -> bool {
        matches!(self.exit, Exit::Trap(_))
    }
}

/// A preopen of a case: guest name, permissions, and how to populate a fresh host directory.
pub type Preopen = (String, wasmtime_wasi::FsPerms, fn(&Path));

/// The inputs of one run.
#[derive(Clone, Default)]
pub struct Case {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub stdin: Vec<u8>,
    pub cwd: Option<String>,
    /// A preopened directory: guest name, permissions, and how to populate a fresh copy.
    pub preopen: Option<Preopen>,
    /// The network policy (default: everything refused).
    pub net: Net,
    /// The cap on one request for random bytes (default: the builders' own).
    pub max_random: Option<u64>,
    /// A failing stdout instead of the memory pipe.
    pub stdout_fault: Option<StdoutFault>,
    /// Where the run's tree is made (default: the system's temp directory), e.g. a tmpfs.
    pub tmp_root: Option<&'static str>,
    /// No stdio at all: the builders' defaults (stdin closed, stdout and stderr discarded)
    /// instead of the memory pipes.
    pub no_stdio: bool,
    /// A tree with several preopens (instead of `preopen`).
    pub layout: Option<Layout>,
}

/// A directory tree and the parts of it that are preopened.
#[derive(Clone, Copy)]
pub struct Layout {
    /// Populates the fresh root.
    pub setup: fn(&Path),
    /// (host path under the root, guest name, permissions), in preopen order.
    pub preopens: &'static [(&'static str, &'static str, wasmtime_wasi::FsPerms)],
}

/// A stdout that fails, for fault injection.
#[derive(Clone, Copy, Debug)]
pub enum StdoutFault {
    /// `/dev/full`: every write fails with ENOSPC.
    DevFull,
    /// A pipe whose reader is gone: every write fails with EPIPE.
    ClosedPipe,
}

impl StdoutFault {
    /// A fresh file for the fault.
    pub fn file(self) -> std::fs::File {
        match self {
            StdoutFault::DevFull => std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .expect("/dev/full"),
            StdoutFault::ClosedPipe => {
                let (reader, writer) = std::io::pipe().expect("pipe");
                drop(reader);
                std::fs::File::from(std::os::fd::OwnedFd::from(writer))
            }
        }
    }
}

/// A network policy, applied the same way to the oracle and to wasi-bridge.
#[derive(Clone, Copy, Default)]
pub struct Net {
    pub tcp: bool,
    pub udp: bool,
    pub lookup: bool,
    /// Every address allowed (`inherit_network`).
    pub inherit: bool,
    /// A host-provided (asynchronous) check allowing loopback addresses only.
    pub loopback_check: bool,
}

impl Net {
    /// Everything allowed.
    pub fn all() -> Net {
        Net {
            tcp: true,
            udp: true,
            lookup: true,
            inherit: true,
            loopback_check: false,
        }
    }
}

impl Case {
    pub fn new(args: &[&str]) -> Case {
        Case {
            args: args.iter().map(|s| s.to_string()).collect(),
            ..Case::default()
        }
    }
    pub fn env(mut self, k: &str, v: &str) -> Case {
        self.env.push((k.into(), v.into()));
        self
    }
    pub fn stdin(mut self, bytes: &[u8]) -> Case {
        self.stdin = bytes.to_vec();
        self
    }
    pub fn net(mut self, net: Net) -> Case {
        self.net = net;
        self
    }
    pub fn cwd(mut self, cwd: &str) -> Case {
        self.cwd = Some(cwd.into());
        self
    }
    pub fn stdout_fault(mut self, fault: StdoutFault) -> Case {
        self.stdout_fault = Some(fault);
        self
    }
    pub fn max_random(mut self, max: u64) -> Case {
        self.max_random = Some(max);
        self
    }
    pub fn preopen(mut self, guest: &str, perms: wasmtime_wasi::FsPerms, setup: fn(&Path)) -> Case {
        self.preopen = Some((guest.into(), perms, setup));
        self
    }
}

/// A fresh directory for one run, populated by the case's setup, and its preopens.
pub struct RunDir {
    pub dir: Option<tempfile::TempDir>,
    pub preopens: Vec<(PathBuf, String, wasmtime_wasi::FsPerms)>,
}

impl RunDir {
    pub fn new(case: &Case) -> RunDir {
        let tempdir = || match case.tmp_root {
            Some(root) => tempfile::tempdir_in(root).unwrap(),
            None => tempfile::tempdir().unwrap(),
        };
        if let Some(layout) = case.layout {
            let d = tempdir();
            (layout.setup)(d.path());
            let preopens = layout
                .preopens
                .iter()
                .map(|(host, guest, perms)| (d.path().join(host), guest.to_string(), *perms))
                .collect();
            return RunDir {
                dir: Some(d),
                preopens,
            };
        }
        let mut preopens = Vec::new();
        let dir = case.preopen.as_ref().map(|(guest, perms, setup)| {
            let d = tempdir();
            setup(d.path());
            preopens.push((d.path().to_path_buf(), guest.clone(), *perms));
            d
        });
        RunDir { dir, preopens }
    }
    /// The root of the tree (compared after a run).
    pub fn path(&self) -> Option<&Path> {
        self.dir.as_ref().map(|d| d.path())
    }
}

/// A description of a directory tree: every entry with its type and (for files) contents.
pub fn tree(root: &Path) -> Vec<String> {
    fn walk(root: &Path, rel: &Path, out: &mut Vec<String>) {
        let mut entries: Vec<_> = std::fs::read_dir(root.join(rel))
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let rel = rel.join(e.file_name());
            let meta = std::fs::symlink_metadata(root.join(&rel)).unwrap();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(root.join(&rel)).unwrap();
                out.push(format!("{} -> {}", rel.display(), target.display()));
            } else if meta.is_dir() {
                out.push(format!("{}/", rel.display()));
                walk(root, &rel, out);
            } else if !meta.is_file() {
                out.push(format!("{} (special)", rel.display()));
            } else if meta.len() <= 4096 {
                let data = std::fs::read(root.join(&rel)).unwrap();
                out.push(format!(
                    "{} = {:?}",
                    rel.display(),
                    String::from_utf8_lossy(&data)
                ));
            } else {
                // Large (often sparse) files: the size, and a hash of the first and last MiB.
                use std::hash::{DefaultHasher, Hasher};
                use std::io::{Read, Seek, SeekFrom};
                let mut f = std::fs::File::open(root.join(&rel)).unwrap();
                let mut h = DefaultHasher::new();
                let mut buf = vec![0; 1 << 20];
                for from in [0, meta.len().saturating_sub(1 << 20)] {
                    f.seek(SeekFrom::Start(from)).unwrap();
                    let n = f.read(&mut buf).unwrap();
                    h.write(&buf[..n]);
                }
                out.push(format!(
                    "{} = {} bytes, hash {:x}",
                    rel.display(),
                    meta.len(),
                    h.finish()
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, Path::new(""), &mut out);
    out
}
