//! p1's fd table: what each number refers to, with the p1-only state (cursor, append mode,
//! non-blocking flag, preopen name) beside the core object.

use crate::types::{self, Errno};
use p3_core::filesystem::{Dir, File};
use p3_core::sockets::tcp::{TcpAcceptor, TcpSink, TcpSocket, TcpSource};
use p3_core::{P1Seed, P1Slot};
use std::collections::{BTreeMap, BTreeSet};

/// An open file with its p1 cursor.
pub(crate) struct FileFd {
    pub file: File,
    pub position: u64,
    /// Every write goes to the end (`FDFLAGS_APPEND`).
    pub append: bool,
    /// `FDFLAGS_NONBLOCK` as set by the guest; reported back, and ignored for regular files
    /// as by every p1 host (the OS does too).
    pub nonblocking: bool,
}

/// A connected TCP socket (from `sock_accept`).
pub(crate) struct StreamFd {
    pub socket: TcpSocket,
    pub receive: TcpSource,
    pub send: TcpSink,
    pub nonblocking: bool,
}

/// What a p1 fd refers to.
pub(crate) enum Fd {
    Stdin,
    Stdout,
    Stderr,
    File(FileFd),
    /// A directory; `preopen` is the name it was preopened as (`None`: opened by `path_open`).
    Dir {
        dir: Dir,
        preopen: Option<String>,
        /// The listing `fd_readdir` took at cookie 0, which later cookies continue (as a
        /// POSIX directory stream does), so reading a directory in buffers lists it once.
        listing: Option<Vec<(types::Filetype, String)>>,
    },
    /// A preopened listening socket.
    Listener {
        _socket: TcpSocket,
        acceptor: TcpAcceptor,
    },
    Stream(Box<StreamFd>),
}

/// The fd table inside a [`WasiP1Ctx`](crate::WasiP1Ctx)'s p1 slot, made at the store's first
/// p1 call from what the context was made with.
pub(crate) trait Fds {
    /// The table.
    fn fds(&mut self) -> &mut FdTable;
}

impl Fds for P1Slot {
    fn fds(&mut self) -> &mut FdTable {
        self.get_or_init(FdTable::new)
    }
}

/// The numbers in use and the numbers closed (reused highest first, as wasmtime does).
pub(crate) struct FdTable {
    used: BTreeMap<u32, Fd>,
    free: BTreeSet<u32>,
}

impl FdTable {
    /// stdio at 0–2, the preopened listeners, then the preopened directories.
    fn new(seed: P1Seed) -> Self {
        let mut t = FdTable {
            used: BTreeMap::new(),
            free: BTreeSet::new(),
        };
        for fd in [Fd::Stdin, Fd::Stdout, Fd::Stderr] {
            t.push_unchecked(fd);
        }
        for l in seed.listeners {
            match TcpSocket::preopened(&seed.sockets, l) {
                Ok((socket, acceptor)) => t.push_unchecked(Fd::Listener {
                    _socket: socket,
                    acceptor,
                }),
                Err(e) => tracing::warn!("a preopened listener could not be used: {e}"),
            }
        }
        for p in seed.preopens {
            t.push_unchecked(Fd::Dir {
                dir: p.dir,
                preopen: Some(p.guest_path),
                listing: None,
            });
        }
        t
    }

    fn push_unchecked(&mut self, fd: Fd) {
        let n = self.used.len() as u32;
        self.used.insert(n, fd);
    }

    /// Stores `fd` under a free number: the highest closed one, else one past the highest
    /// in use.
    pub fn push(&mut self, fd: Fd) -> Result<types::Fd, types::Error> {
        let n = match self.free.pop_last() {
            Some(n) => n,
            None => match self.used.last_key_value() {
                Some((last, _)) => match last.checked_add(1) {
                    Some(n) => n,
                    None => (0..u32::MAX)
                        .rev()
                        .find(|n| !self.used.contains_key(n))
                        .ok_or(Errno::Nfile)?,
                },
                None => 0,
            },
        };
        self.used.insert(n, fd);
        Ok(n.into())
    }

    pub fn get(&self, fd: types::Fd) -> Result<&Fd, types::Error> {
        Ok(self.used.get(&u32::from(fd)).ok_or(Errno::Badf)?)
    }

    pub fn get_mut(&mut self, fd: types::Fd) -> Result<&mut Fd, types::Error> {
        Ok(self.used.get_mut(&u32::from(fd)).ok_or(Errno::Badf)?)
    }

    pub fn remove(&mut self, fd: types::Fd) -> Result<Fd, types::Error> {
        let n = u32::from(fd);
        let fd = self.used.remove(&n).ok_or(Errno::Badf)?;
        self.free.insert(n);
        Ok(fd)
    }

    /// Moves `from` to the number `to` (both must be open; `to` is closed first).
    pub fn renumber(&mut self, from: types::Fd, to: types::Fd) -> Result<(), types::Error> {
        let (from, to) = (u32::from(from), u32::from(to));
        if !self.used.contains_key(&from) || !self.used.contains_key(&to) {
            return Err(Errno::Badf.into());
        }
        if from == to {
            return Ok(());
        }
        let fd = self.used.remove(&from).expect("checked above");
        self.free.insert(from);
        self.free.remove(&to);
        self.used.insert(to, fd);
        Ok(())
    }

    /// The file behind `fd`; `badf` for anything else.
    pub fn file(&self, fd: types::Fd) -> Result<&FileFd, types::Error> {
        match self.get(fd)? {
            Fd::File(f) => Ok(f),
            _ => Err(Errno::Badf.into()),
        }
    }

    pub fn file_mut(&mut self, fd: types::Fd) -> Result<&mut FileFd, types::Error> {
        match self.get_mut(fd)? {
            Fd::File(f) => Ok(f),
            _ => Err(Errno::Badf.into()),
        }
    }

    /// The file behind `fd` for cursor operations: `spipe` for stdio (as the original p1
    /// host), `badf` for anything else.
    pub fn seekable(&mut self, fd: types::Fd) -> Result<&mut FileFd, types::Error> {
        match self.get_mut(fd)? {
            Fd::File(f) => Ok(f),
            Fd::Stdin | Fd::Stdout | Fd::Stderr => Err(Errno::Spipe.into()),
            _ => Err(Errno::Badf.into()),
        }
    }

    /// The directory behind `fd`; `badf` for anything else.
    pub fn dir(&self, fd: types::Fd) -> Result<&Dir, types::Error> {
        match self.get(fd)? {
            Fd::Dir { dir, .. } => Ok(dir),
            _ => Err(Errno::Badf.into()),
        }
    }

    /// The cached listing of the directory `fd` (see [`Fd::Dir`]).
    pub fn listing(
        &mut self,
        fd: types::Fd,
    ) -> Result<&mut Option<Vec<(types::Filetype, String)>>, types::Error> {
        match self.get_mut(fd)? {
            Fd::Dir { listing, .. } => Ok(listing),
            _ => Err(Errno::Badf.into()),
        }
    }

    /// The file or directory behind `fd`, as a core descriptor.
    pub fn descriptor(
        &self,
        fd: types::Fd,
    ) -> Result<p3_core::filesystem::Descriptor, types::Error> {
        match self.get(fd)? {
            Fd::File(f) => Ok(p3_core::filesystem::Descriptor::File(f.file.clone())),
            Fd::Dir { dir, .. } => Ok(p3_core::filesystem::Descriptor::Dir(dir.clone())),
            _ => Err(Errno::Badf.into()),
        }
    }
}
