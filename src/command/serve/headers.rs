//! `-H`: headers set on every request before it reaches the component.

use crate::command::common::{Failure, usage};

/// Headers `-H` sets on every request.
#[derive(Default)]
pub struct RequestHeaders(Vec<(http::HeaderName, http::HeaderValue)>);

impl RequestHeaders {
    /// Parses `-H name: value` and `-H @FILE` arguments.
    pub fn parse(args: &[String]) -> Result<Self, Failure> {
        let mut out = Vec::new();
        let mut parse = |line: &str| -> Result<(), Failure> {
            let (name, value) = line.split_once(':').ok_or_else(|| {
                usage(format!(
                    "-H {line}: a header is `name: value` (missing `:`)"
                ))
            })?;
            let name = http::HeaderName::from_bytes(name.trim().as_bytes())
                .map_err(|_| usage(format!("-H {line}: `{}` is not a header name", name.trim())))?;
            let value = http::HeaderValue::from_str(value.trim_start())
                .map_err(|_| usage(format!("-H {line}: the value is not a valid header value")))?;
            out.push((name, value));
            Ok(())
        };
        for arg in args {
            if let Some(path) = arg.strip_prefix('@') {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| usage(format!("-H @{path}: cannot read the header file: {e}")))?;
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    parse(line)?;
                }
            } else {
                parse(arg)?;
            }
        }
        Ok(RequestHeaders(out))
    }

    /// Replaces or adds the headers on a request.
    pub fn apply(&self, headers: &mut http::HeaderMap) {
        for (name, _) in &self.0 {
            headers.remove(name);
        }
        for (name, value) in &self.0 {
            headers.append(name, value.clone());
        }
    }
}
