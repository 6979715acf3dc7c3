//! What `wasi-bridge` does with each `-S` (WASI) and `-W` (wasm) option of `wasmtime run` 48.
//!
//! The options are parsed by wasmtime's own parser (`wasmtime-cli-flags`); this module decides,
//! field by field, whether an option is honoured, accepted as a no-op (wasi-bridge always
//! provides it) or refused with one line. Both structs are destructured without `..`, so a
//! field added by a new wasmtime-cli-flags release does not compile until it is classified
//! here (and in the table of `docs/cli.md`, which a test keeps in sync with `-S help` / `-W help`).

use wasmtime_cli_flags::{CommonOptions, WasiOptions, WasmOptions};

/// Why an option cannot be used: the message printed after `wasi-bridge: ` (exit status 2).
pub type Refusal = String;

/// What the options are checked for: some apply only to core modules, some only to
/// components.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Program {
    /// A WASIp1 core module on wasi-bridge's own WASIp1.
    NativeP1,
    /// A WASIp1 core module wrapped as a component with the preview1 adapter
    /// (`--p1-adapter`).
    WrappedP1,
    /// A component (`run`'s p2, p3 or mixed program, or `serve`'s handler).
    Component,
}

impl Program {
    fn core_module(self) -> bool {
        self != Program::Component
    }

    fn native_p1(self) -> bool {
        self == Program::NativeP1
    }
}

/// Checks every `-S` option: `Ok` with warnings to print, or the first refusal.
pub fn check_wasi(o: &WasiOptions, program: Program) -> Result<Vec<String>, Refusal> {
    let (core_module, native_p1) = (program.core_module(), program.native_p1());
    let WasiOptions {
        // Honoured where the context, the linker or the store is built (`common.rs`,
        // `linked.rs`).
        inherit_network: _,
        allow_ip_name_lookup: _,
        tcp: _,
        udp: _,
        network_error_code: _,
        inherit_env: _,
        inherit_stdin: _,
        inherit_stdout: _,
        inherit_stderr: _,
        cwd: _,
        max_resources: _,
        hostcall_fuel: _,
        max_component_handles: _,
        max_random_size: _,
        p3: _,
        config,
        config_var,
        keyvalue,
        keyvalue_in_memory_data,
        // Checked below.
        cli,
        common,
        cli_exit_with_code,
        nn,
        nn_graph,
        threads,
        http,
        http_outgoing_body_buffer_chunks,
        http_outgoing_body_chunk_size,
        max_http_fields_size,
        listenfd,
        tcplisten,
        tls,
        preview2,
        // Read where core modules are linked (`run/module.rs`), as `wasmtime run` does.
        preview0: _,
    } = o;
    let mut warnings = Vec::new();
    // As `wasmtime run`: `-S common` is a deprecated alias of `-S cli`.
    if common.is_some() && cli.is_some() {
        return Err(
            "The -Scommon option should not be use with -Scli as it is a deprecated alias".into(),
        );
    }
    if cli.or(*common) == Some(false) {
        return Err(
            "-S cli=n: wasi-bridge is a WASI host and always links WASI; \
                    drop the option"
                .into(),
        );
    }
    if *cli_exit_with_code == Some(false) {
        warnings.push("warning: cannot disable `-Scli-exit-with-code` any more".into());
    }
    if *nn == Some(true) || !nn_graph.is_empty() {
        return Err(
            "-S nn: wasi-nn is not available in wasi-bridge (it needs machine-learning \
                    backends); run this program with wasmtime"
                .into(),
        );
    }
    if *threads == Some(true) {
        return Err("support for wasi-threads has been removed from Wasmtime".into());
    }
    for (set, name) in [
        (
            http_outgoing_body_buffer_chunks.is_some(),
            "http-outgoing-body-buffer-chunks",
        ),
        (
            http_outgoing_body_chunk_size.is_some(),
            "http-outgoing-body-chunk-size",
        ),
    ] {
        if set {
            warnings.push(format!(
                "warning: -S {name} is ignored: wasi-bridge buffers a p2 outgoing body in a \
                 byte-exact 128 KiB queue (what wasmtime's default two 64 KiB writes hold)"
            ));
        }
    }
    if core_module && (*http == Some(true) || max_http_fields_size.is_some()) {
        return Err("Cannot enable wasi-http for core wasm modules".into());
    }
    // Preopened sockets are a WASIp1 notion: wasi-bridge's p1 hands them to a module as fds
    // (as wasmtime's original WASIp1 did); components have no way to receive one.
    if !native_p1 && *listenfd == Some(true) {
        return Err("components do not support --listenfd".into());
    }
    if !native_p1 && !tcplisten.is_empty() {
        return Err("components do not support --tcplisten".into());
    }
    if *tls == Some(true) {
        return Err("-S tls: wasi-tls is not available in wasi-bridge".into());
    }
    if *preview2 == Some(false) {
        return Err("the `-Spreview2=n` flag is no longer supported".into());
    }
    if core_module {
        if *config == Some(true) {
            return Err("Cannot enable wasi-config for core wasm modules".into());
        }
        if *keyvalue == Some(true) {
            return Err("Cannot enable wasi-keyvalue for core wasm modules".into());
        }
    }
    if !config_var.is_empty() && *config != Some(true) {
        warnings.push("warning: -S config-var has no effect without -S config".into());
    }
    if !keyvalue_in_memory_data.is_empty() && *keyvalue != Some(true) {
        warnings
            .push("warning: -S keyvalue-in-memory-data has no effect without -S keyvalue".into());
    }
    Ok(warnings)
}

/// Checks every `-W` option. Engine settings are applied by wasmtime-cli-flags' `config()`
/// (an engine feature this build lacks is refused there, with wasmtime's message); store
/// settings where the store is built; the rest is refused here.
pub fn check_wasm(o: &WasmOptions, program: Program) -> Result<(), Refusal> {
    let native_p1 = program.native_p1();
    let WasmOptions {
        // Store settings, applied in `common.rs`.
        fuel: _,
        max_memory_size: _,
        max_table_elements: _,
        max_instances: _,
        max_tables: _,
        max_memories: _,
        trap_on_grow_failure: _,
        timeout: _,
        unknown_imports_trap: _,
        // Engine settings, applied by `CommonOptions::config`.
        nan_canonicalization: _,
        epoch_interruption: _,
        max_wasm_stack: _,
        async_stack_size: _,
        async_stack_zeroing: _,
        wmemcheck: _,
        all_proposals: _,
        bulk_memory: _,
        multi_memory: _,
        multi_value: _,
        reference_types: _,
        simd: _,
        relaxed_simd: _,
        relaxed_simd_deterministic: _,
        tail_call: _,
        threads: _,
        shared_memory: _,
        shared_everything_threads: _,
        memory64: _,
        component_model,
        component_model_async: _,
        component_model_more_async_builtins: _,
        component_model_async_stackful: _,
        component_model_threading: _,
        component_model_error_context: _,
        component_model_gc: _,
        component_model_map: _,
        component_model_memory64: _,
        function_references: _,
        stack_switching: _,
        gc: _,
        custom_page_sizes: _,
        wide_arithmetic: _,
        branch_hinting: _,
        extended_const: _,
        exceptions: _,
        gc_support: _,
        component_model_fixed_length_lists: _,
        component_model_implements: _,
        concurrency_support: _,
        // Core modules only: refused below for components.
        unknown_exports_allow,
        unknown_imports_default,
    } = o;
    if !native_p1 && *component_model == Some(false) {
        return Err("cannot execute a component without `--wasm component-model`".into());
    }
    if !native_p1 && *unknown_exports_allow == Some(true) {
        return Err("--allow-unknown-exports not supported with components".into());
    }
    if !native_p1 && *unknown_imports_default == Some(true) {
        return Err("cannot use `--default-values-unknown-imports` with components".into());
    }
    Ok(())
}

/// Checks the `-D` options wasi-bridge cannot act on (the rest go to `config()` and logging).
pub fn check_debug(common: &CommonOptions) -> Result<(), Refusal> {
    let d = &common.debug;
    if d.debugger.is_some() {
        return Err("-D debugger: wasi-bridge cannot attach a debugger component".into());
    }
    if !d.arg.is_empty()
        || d.inherit_stdin.is_some()
        || d.inherit_stdout.is_some()
        || d.inherit_stderr.is_some()
    {
        return Err(
            "-D arg / -D inherit-*: these configure a debugger component, which \
                    wasi-bridge cannot attach"
                .into(),
        );
    }
    Ok(())
}
