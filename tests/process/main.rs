//! Tests that measure this whole process — its peak memory (`VmHWM`) and its open
//! descriptors — so nothing else may run beside them: a binary of their own, and one test at a
//! time ([`alone`]).

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/native_http.rs"]
#[allow(dead_code, unused_imports)]
mod native_http;

mod hostile;
mod http_memory;
mod tcp_faults;

/// Holds the process for one test: the others wait.
pub async fn alone() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}
