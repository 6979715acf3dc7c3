//! Filesystem fixtures under wasmtime-wasi 48 and wasi-bridge: same output, same exit status,
//! same resulting directory tree.

use crate::common;

use crate::common::{Case, Exit, differential_p2_tree};
use std::path::Path;
use wasmtime_wasi::FsPerms;

fn contains(out: &common::Outcome, needle: &str) {
    let s = out.stdout_str();
    assert!(s.contains(needle), "stdout lacks {needle:?}:\n{s}");
}

fn input(dir: &Path) {
    std::fs::write(dir.join("input.txt"), "input file\n").unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn p1_file_work_matches_native() {
    let case = Case::new(&["files", "/data", "work"]).preopen("/data", FsPerms::ReadWrite, input);
    let (out, tree) = differential_p2_tree("files.p1.wasm", case).await;
    assert_eq!(out.exit, Exit::Code(0), "{}", out.stdout_str());
    for line in [
        "read: hello file\nread: second line\n",
        "after seek: file\ntell: 10\n",
        "pwrite: 10\npread: 4 [2345]\n",
        "size after truncate: 8, regular: 1\n",
        "mkdir sub again: error File exists\n",
        "stat a.txt after rename: error No such file or directory\n",
        "ls sub: c.txt\n",
        "readlink: sub/c.txt\nlstat link: ok\nlink is symlink: 1\n",
        "read through link: hello file\n",
        "nlink after hard link: 2\n",
        "open through escaping symlink: error",
        "open missing: error No such file or directory\n",
        "rmdir non-empty: error Directory not empty\n",
        "mtime: 1234567890.000000500\n",
        "mtime after futimens: 1500000000\n",
        "open through a loop: error Symbolic link loop\n",
        "open through a chain leaving the sandbox: error Operation not permitted\n",
        "stat absolute path: error Capabilities insufficient\n",
    ] {
        contains(&out, line);
    }
    assert!(!out.stdout_str().contains("open ../escape: ok"));
    assert!(
        tree.contains(&"sub/c.txt = \"hello file\\nsecond line\\nappended\\n\"".to_string()),
        "{tree:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn p1_read_only_preopen_refuses_mutation() {
    let case = Case::new(&["files", "/ro", "readonly"]).preopen("/ro", FsPerms::ReadOnly, input);
    let (out, tree) = differential_p2_tree("files.p1.wasm", case).await;
    contains(&out, "read in read-only dir: input file\n");
    assert!(!out.stdout_str().contains("create in read-only dir: ok"));
    assert_eq!(tree, vec!["input.txt = \"input file\\n\"".to_string()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn p3_filesystem_matches_native_p3() {
    let case = Case::new(&["p3-fs"]).preopen("/data", FsPerms::ReadWrite, input);
    let (out, tree) = common::differential_p3_tree("p3-fs.wasm", case).await;
    assert_eq!(out.exit, Exit::Code(0), "{}", out.stdout_str());
    for line in [
        "preopens: 1\nroot: /data\nopen-at p3.txt: ok\n",
        "read-via-stream: [HELLO p3 file\nappended\n]\n",
        "read-via-stream: [p3 file\nappended\n]\n",
        "is-same-object: yes\nmetadata-hash agrees: yes\n",
        "readlink-at: d/moved.txt\n",
        "ls d: moved.txt(5)\n",
    ] {
        contains(&out, line);
    }
    assert!(!out.stdout_str().contains("open-at ../escape.txt: ok"));
    assert!(!out.stdout_str().contains("open-at /etc/passwd: ok"));
    assert!(
        tree.contains(&"d/moved.txt = \"HELLO p3 file\\n\"".to_string()),
        "{tree:?}"
    );
}

fn input_and_subdir(dir: &Path) {
    input(dir);
    std::fs::create_dir(dir.join("sub")).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn p3_read_only_preopen_refuses_every_mutation() {
    let case =
        Case::new(&["p3-fs", "readonly"]).preopen("/ro", FsPerms::ReadOnly, input_and_subdir);
    let (out, tree) = common::differential_p3_tree("p3-fs.wasm", case).await;
    contains(&out, "read-via-stream: [input file\n]\n");
    for refused in [
        "open-at new.txt: error",
        "create-directory-at: error",
        "unlink-file-at: error",
        "write-via-stream: error",
        "append-via-stream: error",
        "set-size: error",
        "set-times: error",
        "open-at input.txt: error",
        "rename-at: error",
        "symlink-at: error",
        "link-at: error",
        "set-times-at: error",
        "remove-directory-at: error",
    ] {
        contains(&out, refused);
    }
    assert_eq!(
        tree,
        vec![
            "input.txt = \"input file\\n\"".to_string(),
            "sub/".to_string()
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn p2_edge_cases_and_bad_input_match_native() {
    let case = Case::new(&["p2-fs", "edge"]).preopen("/data", FsPerms::ReadWrite, input);
    let (out, tree) = differential_p2_tree("p2-fs.wasm", case).await;
    assert_eq!(out.exit, Exit::Code(0), "{}", out.stdout_str());
    for line in [
        "write at 3: 10\n",
        "read 4 at 5: [2345]\n",
        "entries: 2\nafter end: none\n",
        "write to read-only descriptor: filesystem-error-code 3\nerror to-debug-string: non-empty\n",
        "stat: type 6 size 13",
    ] {
        contains(&out, line);
    }
    for refused in [
        "path with NUL: error",
        "absolute path: error",
        "escaping path: error",
    ] {
        contains(&out, refused);
    }
    assert!(tree.iter().any(|l| l.starts_with("e.txt = ")), "{tree:?}");
}
