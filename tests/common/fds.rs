//! The process's open descriptors: nothing a run opened may outlive it.

/// How many file descriptors this process has open.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Asserts the process's descriptor count comes back to `before` (waiting up to 5 s for
/// descriptors closed in the background): a run leaked none.
pub async fn assert_no_fd_leak(before: usize, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while open_fds() > before && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(open_fds(), before, "{what}: host descriptors leaked");
}
