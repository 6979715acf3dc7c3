//! The container's stdin, readable to its end.
//!
//! containerd hands the shim the stdin fifo's path, and runwasi opens it read-write (so that
//! opening never waits for a writer) and makes that descriptor the container's stdin. The
//! container's process is then a writer of its own stdin, and a program reading it to the
//! end waits forever after the writer outside (`ctr run`'s, say) closed. So, in the
//! container's process and before the program runs, a read-write fifo on stdin is replaced
//! by the same fifo opened read-only: the program sees the end of input when the writers
//! outside are gone.

use rustix::fs::{FileType, Mode, OFlags};

/// Replaces a read-write fifo on stdin by a read-only one; leaves anything else alone.
pub fn reopen_read_only() {
    let stdin = rustix::stdio::stdin();
    let fifo = rustix::fs::fstat(stdin)
        .map(|st| FileType::from_raw_mode(st.st_mode) == FileType::Fifo)
        .unwrap_or(false);
    let read_write = rustix::fs::fcntl_getfl(stdin)
        .map(|flags| flags & OFlags::ACCMODE == OFlags::RDWR)
        .unwrap_or(false);
    if !(fifo && read_write) {
        return;
    }
    // The fifo has a writer (this process), so opening it read-only does not wait.
    match rustix::fs::open(
        "/proc/self/fd/0",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(read_only) => {
            if let Err(e) = rustix::stdio::dup2_stdin(&read_only) {
                eprintln!("wasi-bridge: cannot reopen stdin read-only: {e}");
            }
        }
        Err(e) => eprintln!("wasi-bridge: cannot reopen stdin read-only: {e}"),
    }
}
