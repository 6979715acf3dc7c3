//! The `wasi-bridge` command: runs any WASI program (p1 module, p2, p3 or mixed component) on
//! the one core, with `wasmtime run`'s spellings for the options it supports.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use wasi_bridge::run::{self, Entry};
use wasi_bridge::{FsPerms, WasiCtx, WasiCtxBuilder};
use wasmtime::component::{Component, Val};

#[derive(Parser)]
#[command(
    name = "wasi-bridge",
    version,
    about = "Run WASI programs of every version (p1, p2, p3, mixed) on one WASIp3 core"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a WASI program: a p1 core module, or a p2, p3 or mixed component.
    Run(RunArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum WasiRun {
    /// Call `wasi:cli/run@0.2.x`.
    P2,
    /// Call `wasi:cli/run@0.3.0` on the event loop.
    P3,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Preopen a host directory: HOST, HOST::GUEST, or HOST::GUEST::ro for read-only
    /// (repeatable).
    #[arg(long = "dir", value_name = "HOST[::GUEST[::ro]]")]
    dirs: Vec<String>,
    /// Set NAME to VALUE for the guest, or inherit NAME from this process when no value is
    /// given (repeatable).
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    envs: Vec<String>,
    /// WASI options, as for `wasmtime run`: inherit-env, inherit-network, tcp[=y|n],
    /// udp[=y|n], allow-ip-name-lookup[=y|n], cli-exit-with-code[=y|n], network-error-code[=y|n] (comma-separated or
    /// repeated).
    #[arg(short = 'S', value_name = "KEY[=VAL]")]
    wasi: Vec<String>,
    /// WebAssembly options, as for `wasmtime run` (none are supported yet).
    #[arg(short = 'W', value_name = "KEY[=VAL]")]
    wasm: Vec<String>,
    /// The program name the guest sees as its first argument (default: the file name).
    #[arg(long)]
    argv0: Option<String>,
    /// Force the entry point instead of detecting it.
    #[arg(long = "wasi-run", value_enum)]
    wasi_run: Option<WasiRun>,
    /// Call this exported function of a component without `wasi:cli/run` (a reactor) and print
    /// its result.
    #[arg(long, value_name = "NAME")]
    invoke: Option<String>,
    /// Do not use the on-disk cache of compiled code.
    #[arg(long)]
    no_cache: bool,
    /// The WebAssembly file to run.
    file: PathBuf,
    /// Arguments for the guest (put `--` before them if they start with `-`).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// How a run failed.
enum Failure {
    /// Bad input from the person running the command (exit status 2).
    Usage(String),
    /// The guest trapped, or the runtime failed while running it.
    Guest(wasmtime::Error),
}

fn usage(msg: impl Into<String>) -> Failure {
    Failure::Usage(msg.into())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Command::Run(args) = cli.command;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wasi-bridge: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run_file(args)) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(Failure::Usage(msg)) => {
            eprintln!("wasi-bridge: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Guest(e)) => {
            eprintln!("wasi-bridge: error while running the guest: {e:?}");
            // Like `wasmtime run` on Unix: a trap ends the process as an abort would.
            ExitCode::from(134)
        }
    }
}

/// The `-S` settings wasi-bridge acts on.
#[derive(Default)]
struct WasiOptions {
    inherit_env: bool,
    inherit_network: bool,
    tcp: Option<bool>,
    udp: Option<bool>,
    ip_name_lookup: Option<bool>,
}

fn parse_bool(key: &str, value: Option<&str>) -> Result<bool, Failure> {
    match value {
        None | Some("y" | "yes" | "true") => Ok(true),
        Some("n" | "no" | "false") => Ok(false),
        Some(other) => Err(usage(format!(
            "-S {key}={other}: expected y, yes, true, n, no or false"
        ))),
    }
}

fn parse_wasi_options(raw: &[String], wasm: &[String]) -> Result<WasiOptions, Failure> {
    if let Some(w) = wasm.first() {
        return Err(usage(format!(
            "unknown -W option `{}`: wasi-bridge supports no -W options",
            w.split(',').next().unwrap_or(w)
        )));
    }
    let mut o = WasiOptions::default();
    for item in raw.iter().flat_map(|s| s.split(',')) {
        let (key, value) = match item.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (item, None),
        };
        match key {
            "inherit-env" => o.inherit_env = parse_bool(key, value)?,
            "inherit-network" => o.inherit_network = parse_bool(key, value)?,
            "tcp" => o.tcp = Some(parse_bool(key, value)?),
            "udp" => o.udp = Some(parse_bool(key, value)?),
            "allow-ip-name-lookup" => o.ip_name_lookup = Some(parse_bool(key, value)?),
            // `exit-with-code` is part of wasi:cli@0.2.12 and @0.3.0 and always provided;
            // `network-error-code` is always linked by the CLI.
            "cli-exit-with-code" | "network-error-code" => {
                parse_bool(key, value)?;
            }
            _ => {
                return Err(usage(format!(
                    "unknown -S option `{key}`: supported are inherit-env, inherit-network, \
                     tcp, udp, allow-ip-name-lookup, cli-exit-with-code, network-error-code"
                )));
            }
        }
    }
    Ok(o)
}

fn configure(args: &RunArgs, opts: &WasiOptions) -> Result<WasiCtxBuilder, Failure> {
    let mut b = WasiCtx::builder();
    b.inherit_stdio();
    let argv0 = args.argv0.clone().unwrap_or_else(|| {
        args.file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    b.arg(argv0);
    b.args(&args.args);
    if opts.inherit_env {
        b.inherit_env();
    }
    for kv in &args.envs {
        match kv.split_once('=') {
            Some((k, v)) => {
                b.env(k, v);
            }
            None => {
                if let Ok(v) = std::env::var(kv) {
                    b.env(kv, v);
                }
            }
        }
    }
    for dir in &args.dirs {
        let mut parts = dir.split("::");
        let host = parts.next().unwrap_or_default();
        let guest = parts.next().unwrap_or(host);
        let perms = match parts.next() {
            None => FsPerms::ReadWrite,
            Some("ro" | "readonly") => FsPerms::ReadOnly,
            Some(other) => {
                return Err(usage(format!(
                    "--dir {dir}: unknown mode `{other}`; use HOST::GUEST::ro for read-only"
                )));
            }
        };
        if !std::path::Path::new(host).is_dir() {
            return Err(usage(format!(
                "--dir {dir}: the host directory `{host}` does not exist or is not a directory"
            )));
        }
        b.preopened_dir(host, guest, perms)
            .map_err(|e| usage(format!("--dir {dir}: {e:#}")))?;
    }
    // As `wasmtime run`: TCP and UDP sockets may be created, but no address is reachable
    // without `-S inherit-network`.
    b.allow_tcp(true).allow_udp(true);
    if opts.inherit_network {
        b.inherit_network();
        b.allow_tcp(true).allow_udp(true).allow_ip_name_lookup(true);
    }
    if let Some(v) = opts.tcp {
        b.allow_tcp(v);
    }
    if let Some(v) = opts.udp {
        b.allow_udp(v);
    }
    if let Some(v) = opts.ip_name_lookup {
        b.allow_ip_name_lookup(v);
    }
    Ok(b)
}

async fn run_file(args: RunArgs) -> Result<i32, Failure> {
    let opts = parse_wasi_options(&args.wasi, &args.wasm)?;
    let path = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).map_err(|e| {
        usage(format!(
            "cannot read {path}: {e} (check the path to the .wasm file)"
        ))
    })?;
    if !bytes.starts_with(b"\0asm") {
        return Err(usage(format!(
            "{path} is not a WebAssembly binary (expected a .wasm module or component)"
        )));
    }
    let engine = run::engine_with_cache(!args.no_cache).map_err(Failure::Guest)?;
    let component_bytes = if run::is_core_module(&bytes) {
        run::componentize_p1(&bytes).map_err(|e| usage(format!("{path}: {e:#}")))?
    } else {
        bytes
    };
    let component = Component::new(&engine, &component_bytes)
        .map_err(|e| usage(format!("{path} is not a valid component: {e:#}")))?;
    run::check_imports(&engine, &component)
        .map_err(|problem| usage(format!("cannot run {path}: {problem}")))?;
    let mut builder = configure(&args, &opts)?;
    let linker = run::linker(&engine).map_err(Failure::Guest)?;

    if let Some(name) = &args.invoke {
        return invoke(&engine, &linker, &component, builder.build(), name, &path).await;
    }
    let entry = match (args.wasi_run, run::entry_of(&engine, &component)) {
        (Some(WasiRun::P2), _) => Entry::P2,
        (Some(WasiRun::P3), _) => Entry::P3,
        (None, Some(entry)) => entry,
        (None, None) => {
            return Err(usage(format!(
                "{path} exports no wasi:cli/run (neither @0.2.x nor @0.3.0); for a reactor, \
                 name the export to call with --invoke NAME"
            )));
        }
    };
    run::run(&engine, &linker, &component, builder.build(), entry)
        .await
        .map_err(Failure::Guest)
}

/// Calls a parameterless export of a reactor and prints its results, one per line.
async fn invoke(
    engine: &wasmtime::Engine,
    linker: &wasmtime::component::Linker<run::Host>,
    component: &Component,
    ctx: WasiCtx,
    name: &str,
    path: &str,
) -> Result<i32, Failure> {
    let mut store = wasmtime::Store::new(
        engine,
        run::Host {
            ctx,
            table: wasi_bridge::ResourceTable::new(),
        },
    );
    let instance = linker
        .instantiate_async(&mut store, component)
        .await
        .map_err(Failure::Guest)?;
    let func = instance
        .get_func(&mut store, name)
        .ok_or_else(|| usage(format!("{path} exports no function named `{name}`")))?;
    let ty = func.ty(&store);
    if ty.params().len() != 0 {
        return Err(usage(format!(
            "--invoke {name}: the function takes {} parameter(s); only functions without \
             parameters can be invoked",
            ty.params().len()
        )));
    }
    let mut results = vec![Val::Bool(false); ty.results().len()];
    let outcome = func.call_async(&mut store, &[], &mut results).await;
    store.data().ctx.flush_stdio().await;
    match run::exit_status(outcome.map(|()| Ok(()))) {
        Ok(0) => {
            for v in &results {
                println!("{}", wave(v));
            }
            Ok(0)
        }
        Ok(code) => Ok(code),
        Err(e) => Err(Failure::Guest(e)),
    }
}

/// A value in the WAVE text format `wasmtime run --invoke` prints.
fn wave(v: &Val) -> String {
    fn list(items: impl Iterator<Item = String>) -> String {
        items.collect::<Vec<_>>().join(", ")
    }
    match v {
        Val::Bool(b) => b.to_string(),
        Val::S8(x) => x.to_string(),
        Val::U8(x) => x.to_string(),
        Val::S16(x) => x.to_string(),
        Val::U16(x) => x.to_string(),
        Val::S32(x) => x.to_string(),
        Val::U32(x) => x.to_string(),
        Val::S64(x) => x.to_string(),
        Val::U64(x) => x.to_string(),
        Val::Float32(x) => x.to_string(),
        Val::Float64(x) => x.to_string(),
        Val::Char(c) => format!("{c:?}"),
        Val::String(s) => format!("{s:?}"),
        Val::List(items) | Val::FixedLengthList(items) => {
            format!("[{}]", list(items.iter().map(wave)))
        }
        Val::Map(pairs) => format!(
            "{{{}}}",
            list(
                pairs
                    .iter()
                    .map(|(k, v)| format!("{}: {}", wave(k), wave(v)))
            )
        ),
        Val::Record(fields) => format!(
            "{{{}}}",
            list(fields.iter().map(|(k, v)| format!("{k}: {}", wave(v))))
        ),
        Val::Tuple(items) => format!("({})", list(items.iter().map(wave))),
        Val::Variant(case, None) | Val::Enum(case) => case.clone(),
        Val::Variant(case, Some(payload)) => format!("{case}({})", wave(payload)),
        Val::Option(None) => "none".into(),
        Val::Option(Some(x)) => format!("some({})", wave(x)),
        Val::Result(Ok(None)) => "ok".into(),
        Val::Result(Ok(Some(x))) => format!("ok({})", wave(x)),
        Val::Result(Err(None)) => "err".into(),
        Val::Result(Err(Some(x))) => format!("err({})", wave(x)),
        Val::Flags(names) => format!("{{{}}}", names.join(", ")),
        Val::Resource(_) => "<resource>".into(),
        Val::Future(_) => "<future>".into(),
        Val::Stream(_) => "<stream>".into(),
        Val::ErrorContext(_) => "<error-context>".into(),
    }
}
