//! The command lines the option test runs: one or more per `-S` and `-W` option of wasmtime 48.

mod s_options;
mod w_options;

use crate::binary::guest;

/// What a command line must do.
#[derive(Clone, Copy)]
pub enum Expect {
    /// Exit 0 with this on stdout.
    Stdout(&'static str),
    /// Exit 0 without this on stdout (an output turned off).
    NotOnStdout(&'static str),
    /// Exit 0 with this on stderr (a warning).
    Warns(&'static str),
    /// Refused: one line on stderr containing this, exit status 2.
    Refused(&'static str),
    /// The run fails with this status and this on stderr.
    Fails(i32, &'static str),
}

pub struct Case {
    /// The option this case covers.
    pub option: &'static str,
    pub args: Vec<String>,
    pub stdin: &'static [u8],
    pub expect: Expect,
}

pub fn case(option: &'static str, args: &[&str], expect: Expect) -> Case {
    Case {
        option,
        args: args
            .iter()
            .map(|a| match a.strip_prefix('@') {
                Some(g) => guest(g),
                None => a.to_string(),
            })
            .collect(),
        stdin: b"",
        expect,
    }
}

/// Every case: the `-S` options', then the `-W` options'.
pub fn cases() -> Vec<Case> {
    let mut v = s_options::cases();
    v.extend(w_options::cases());
    v
}
