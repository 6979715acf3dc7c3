//! OCI image tars, as `ctr images import` takes them (the OCI image layout: the config naming
//! the entrypoint, the manifest and the index by digest), in the two shapes runwasi's shims
//! take: a Linux image whose tar layer holds the program (`/app.wasm`) and any other files, or
//! a wasm OCI artifact (platform `wasip2/wasm`, the program a layer of its own, typed
//! `application/wasm`; as runwasi's `oci-tar-builder` makes them). Debian bookworm's containerd
//! 1.6 cannot unpack the second ("mismatched image rootfs and manifest layers"); 1.7 can.

use sha2::{Digest, Sha256};
use std::path::Path;

/// An image to build.
pub struct Image<'a> {
    /// The name `ctr` knows it by (`docker.io/library/NAME:test`).
    pub name: &'a str,
    /// Files of the layer: path (without the leading `/`) and bytes. In a wasm artifact, the
    /// one file is the program's layer.
    pub files: Vec<(&'a str, Vec<u8>)>,
    /// A wasm OCI artifact, its layer of this media type, rather than a Linux image with a
    /// tar layer.
    pub artifact: Option<&'a str>,
    /// The entrypoint (`["/app.wasm"]`).
    pub entrypoint: Vec<&'a str>,
    /// The config's environment (`NAME=VALUE`).
    pub env: Vec<&'a str>,
    /// The layer's files are executable (a Linux program and its libraries), not read-only
    /// data such as a `.wasm` file (which runwasi then hands to the shim, not to Linux).
    pub executable: bool,
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

    /// The platform: `(os, architecture)`.
    pub fn platform(&self) -> (&'static str, &'static str) {
        if self.artifact.is_some() {
            ("wasip2", "wasm")
        } else {
            ("linux", architecture())
        }
    }

    /// Writes the image tar to `path`.
    pub fn write(&self, path: &Path) {
        let (layer, layer_type, diff_ids) = if let Some(media_type) = self.artifact {
            let [(_, wasm)] = &self.files[..] else {
                panic!("a wasm artifact holds one program");
            };
            (wasm.clone(), media_type, vec![])
        } else {
            let mut layer = tar::Builder::new(Vec::new());
            let mode = if self.executable { 0o755 } else { 0o644 };
            for (name, bytes) in &self.files {
                tar_entry(&mut layer, name, bytes, mode);
            }
            let layer = layer.into_inner().unwrap();
            let diff_id = digest(&layer);
            (
                layer,
                "application/vnd.oci.image.layer.v1.tar",
                vec![diff_id],
            )
        };
        let layer_digest = digest(&layer);
        let (os, architecture) = self.platform();
        let config = serde_json::json!({
            "architecture": architecture,
            "os": os,
            "config": { "Entrypoint": self.entrypoint, "Env": self.env },
            "rootfs": { "type": "layers", "diff_ids": diff_ids },
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
                "mediaType": layer_type,
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
                "platform": { "architecture": architecture, "os": os },
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
