//! `ip-name-lookup`: resolves a host name (or an IP literal) to addresses.

use super::{LookupError, WasiSocketsCtx, in_runtime};
use std::net::{IpAddr, Ipv6Addr};
use std::task::{Context, Poll, ready};
use tokio::task::JoinHandle;

/// A lookup in progress (or already answered).
pub enum Resolve {
    /// The answer is known.
    Done(Result<Vec<IpAddr>, LookupError>),
    /// The system resolver is working on it (on tokio's blocking pool).
    Pending(JoinHandle<Result<Vec<IpAddr>, LookupError>>),
}

impl Resolve {
    /// Starts resolving `name`. Refusals and malformed names are answered at once; IP literals
    /// resolve to themselves; domain names (converted to punycode) go to the system resolver.
    pub fn start(policy: &WasiSocketsCtx, name: &str) -> Resolve {
        if !policy.allow_ip_name_lookup {
            return Resolve::Done(Err(LookupError::PermanentResolverFailure));
        }
        let domain = match url::Host::parse(name) {
            Ok(url::Host::Domain(d)) => d,
            Ok(url::Host::Ipv4(a)) => return Resolve::Done(Ok(vec![IpAddr::V4(a)])),
            Ok(url::Host::Ipv6(a)) => return Resolve::Done(Ok(vec![IpAddr::V6(a)])),
            // `url` wants IPv6 literals in brackets; accept them bare too.
            Err(_) => {
                return Resolve::Done(match name.parse::<Ipv6Addr>() {
                    Ok(a) => Ok(vec![IpAddr::V6(a)]),
                    Err(_) => Err(LookupError::InvalidArgument),
                });
            }
        };
        Resolve::Pending(in_runtime(|| {
            tokio::spawn(async move {
                match tokio::net::lookup_host((domain.as_str(), 0)).await {
                    Ok(addrs) => Ok(addrs.map(|a| a.ip().to_canonical()).collect()),
                    Err(e) => {
                        tracing::debug!("resolving {domain:?} failed: {e}");
                        Err(LookupError::NameUnresolvable)
                    }
                }
            })
        }))
    }

    /// Polls for the answer; it stays available after it arrived.
    pub fn poll(&mut self, cx: &mut Context<'_>) -> Poll<&mut Result<Vec<IpAddr>, LookupError>> {
        if let Resolve::Pending(handle) = self {
            let r = ready!(std::pin::Pin::new(handle).poll(cx))
                .unwrap_or(Err(LookupError::TemporaryResolverFailure));
            *self = Resolve::Done(r);
        }
        match self {
            Resolve::Done(r) => Poll::Ready(r),
            Resolve::Pending(_) => unreachable!("replaced above"),
        }
    }

    /// Resolves `name`, waiting as long as it takes (WASIp3's `resolve-addresses`).
    pub async fn resolve(policy: &WasiSocketsCtx, name: &str) -> Result<Vec<IpAddr>, LookupError> {
        let mut r = Resolve::start(policy, name);
        std::future::poll_fn(|cx| r.poll(cx).map(|r| r.clone())).await
    }
}

impl Drop for Resolve {
    fn drop(&mut self) {
        if let Resolve::Pending(h) = self {
            h.abort();
        }
    }
}
