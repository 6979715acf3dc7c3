//! The store data of a command: the one WASI context and what the options add to it.

use crate::p1::WasiP1Ctx;
use crate::{WasiCtxView, WasiView};
use wasmtime::StoreLimits;
use wasmtime_cli_flags::WasiOptions;

/// The store data of a run or of a served instance: the one WASI context (as p1's view of it,
/// which also serves the p2 and p3 linkers) and what the options add to it.
pub struct CliHost {
    pub(super) wasi: WasiP1Ctx,
    http: crate::http::WasiHttpCtx,
    hooks: HttpHooks,
    pub(super) limits: StoreLimits,
    /// `-S config`'s variables.
    pub(super) config: Option<wasmtime_wasi_config::WasiConfigVariables>,
    /// `-S keyvalue`'s store.
    pub(super) keyvalue: Option<wasmtime_wasi_keyvalue::WasiKeyValueCtx>,
}

impl CliHost {
    /// The store data for `wasi` with what the `-S` options add.
    pub fn new(wasi: WasiP1Ctx, opts: &WasiOptions, limits: StoreLimits) -> Self {
        let mut http = crate::http::WasiHttpCtx::new();
        if let Some(limit) = opts.max_http_fields_size {
            http.set_field_size_limit(limit);
        }
        CliHost {
            wasi,
            http,
            hooks: HttpHooks,
            limits,
            config: (opts.config == Some(true)).then(|| {
                opts.config_var
                    .iter()
                    .map(|v| (v.key.clone(), v.value.clone()))
                    .collect()
            }),
            keyvalue: (opts.keyvalue == Some(true)).then(|| {
                wasmtime_wasi_keyvalue::WasiKeyValueCtxBuilder::new()
                    .in_memory_data(
                        opts.keyvalue_in_memory_data
                            .iter()
                            .map(|v| (v.key.clone(), v.value.clone())),
                    )
                    .build()
            }),
        }
    }

    /// Flushes the guest's stdout and stderr.
    pub async fn flush_stdio(&mut self) {
        WasiView::ctx(self).ctx.flush_stdio().await
    }
}

impl WasiView for CliHost {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiView::ctx(&mut self.wasi)
    }
}

/// wasmtime-wasi-http's default hooks (forbidden headers, schemes, the default client).
pub struct HttpHooks;

impl crate::http::WasiHttpHooks for HttpHooks {}

impl crate::http::WasiHttpView for CliHost {
    fn http(&mut self) -> crate::http::WasiHttpCtxView<'_> {
        let table = WasiView::ctx(&mut self.wasi).table;
        crate::http::WasiHttpCtxView {
            ctx: &mut self.http,
            table,
            hooks: &mut self.hooks,
        }
    }
}
