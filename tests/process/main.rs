//! Tests that measure this whole process — its peak memory (`VmHWM`) and its open
//! descriptors — so nothing else may run beside them: a binary of their own, and one test at a
//! time ([`alone`]).

#[path = "../common/mod.rs"]
mod common;

mod hostile;
mod tcp_faults;

/// Holds the process for one test: the others wait.
pub async fn alone() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}
