//! OCI image tars, as `ctr images import` takes them: one tar layer holding the program
//! (`/app.wasm`) and any other files, the config naming the entrypoint, the manifest and the
//! index by digest (the OCI image layout). A tar layer, not a wasm artifact layer: Debian's
//! containerd 1.6 cannot unpack those.

use sha2::{Digest, Sha256};
use std::path::Path;

/// An image to build.
pub struct Image<'a> {
    /// The name `ctr` knows it by (`docker.io/library/NAME:test`).
    pub name: &'a str,
    /// Files of the layer: path (without the leading `/`) and bytes.
    pub files: Vec<(&'a str, Vec<u8>)>,
    /// The entrypoint (`["/app.wasm"]`).
    pub entrypoint: Vec<&'a str>,
    /// The config's environment (`NAME=VALUE`).
    pub env: Vec<&'a str>,
}

/// The host's platform, in OCI's words: the image is a Linux one holding a wasm file.
fn architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

fn tar_entry(out: &mut tar::Builder<Vec<u8>>, path: &str, bytes: &[u8], mode: u32) {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(mode);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    out.append_data(&mut header, path, bytes).unwrap();
}

impl Image<'_> {
    /// The full reference.
    pub fn reference(&self) -> String {
        format!("docker.io/library/{}:test", self.name)
    }

    /// Writes the image tar to `path`.
    pub fn write(&self, path: &Path) {
        let mut layer = tar::Builder::new(Vec::new());
        for (name, bytes) in &self.files {
            tar_entry(&mut layer, name, bytes, 0o644);
        }
        let layer = layer.into_inner().unwrap();
        let layer_digest = digest(&layer);
        let config = serde_json::json!({
            "architecture": architecture(),
            "os": "linux",
            "config": { "Entrypoint": self.entrypoint, "Env": self.env },
            "rootfs": { "type": "layers", "diff_ids": [layer_digest] },
        })
        .to_string()
        .into_bytes();
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": digest(&config),
                "size": config.len(),
            },
            "layers": [{
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": layer_digest,
                "size": layer.len(),
            }],
        })
        .to_string()
        .into_bytes();
        let index = serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": digest(&manifest),
                "size": manifest.len(),
                "platform": { "architecture": architecture(), "os": "linux" },
                "annotations": {
                    "io.containerd.image.name": self.reference(),
                    "org.opencontainers.image.ref.name": "test",
                },
            }],
        })
        .to_string()
        .into_bytes();
        let mut out = tar::Builder::new(Vec::new());
        tar_entry(
            &mut out,
            "oci-layout",
            br#"{"imageLayoutVersion":"1.0.0"}"#,
            0o644,
        );
        tar_entry(&mut out, "index.json", &index, 0o644);
        for blob in [&layer, &config, &manifest] {
            let name = format!("blobs/sha256/{}", &digest(blob)["sha256:".len()..]);
            tar_entry(&mut out, &name, blob, 0o644);
        }
        std::fs::write(path, out.into_inner().unwrap()).unwrap();
    }
}
