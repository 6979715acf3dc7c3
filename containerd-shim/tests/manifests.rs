//! docs/kubernetes.md's manifests and config, checked without a cluster: every ```yaml block
//! parses (one or more documents each) and every ```toml block too, and the names that must
//! agree do: containerd's runtime table and its `runtime_type` (this shim's runtime), the
//! RuntimeClass's handler, the pods' `runtimeClassName`, the Service's selector and target
//! port against the Deployment's labels, port and `WASMTIME_HTTP_PROXY_SOCKET_ADDR`.

use yaml_rust2::{Yaml, YamlLoader};

fn blocks(markdown: &str, language: &str) -> Vec<String> {
    let fence = format!("```{language}");
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line.trim_end() == fence => current = Some(String::new()),
            Some(block) if line.trim_end() == "```" => {
                out.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    assert!(current.is_none(), "an unclosed ```{language} block");
    out
}

fn str_at<'a>(doc: &'a Yaml, path: &[&str]) -> &'a str {
    let mut node = doc;
    for key in path {
        node = &node[*key];
    }
    node.as_str()
        .unwrap_or_else(|| panic!("{} is not a string in {doc:?}", path.join(".")))
}

#[test]
fn the_kubernetes_manifests_parse_and_agree() {
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/kubernetes.md"
    ))
    .unwrap();

    // containerd's config, 1.x (version 2) and 2.x (version 3): the runtime table of the CRI
    // plugin of that version names this shim's runtime, under the same handler.
    let tomls = blocks(&page, "toml");
    assert_eq!(
        tomls.len(),
        2,
        "one containerd config snippet per config version"
    );
    let mut handlers = Vec::new();
    for (block, (version, plugin)) in tomls.iter().zip([
        (2, "io.containerd.grpc.v1.cri"),
        (3, "io.containerd.cri.v1.runtime"),
    ]) {
        let config: toml::Table = block.parse().expect("the containerd config parses");
        assert_eq!(config["version"].as_integer(), Some(version));
        let runtimes = config["plugins"][plugin]["containerd"]["runtimes"]
            .as_table()
            .unwrap();
        let (handler, runtime) = runtimes.iter().next().unwrap();
        assert_eq!(
            runtime["runtime_type"].as_str(),
            Some("io.containerd.wasi-bridge.v1")
        );
        handlers.push(handler.clone());
    }
    assert_eq!(handlers[0], handlers[1]);
    let handler = &handlers[0];
    // containerd maps io.containerd.NAME.v1 to the binary containerd-shim-NAME-v1.
    assert_eq!(
        env!("CARGO_BIN_EXE_containerd-shim-wasi-bridge-v1")
            .rsplit('/')
            .next(),
        Some("containerd-shim-wasi-bridge-v1")
    );

    let mut docs = Vec::new();
    for block in blocks(&page, "yaml") {
        let parsed = YamlLoader::load_from_str(&block)
            .unwrap_or_else(|e| panic!("a yaml block does not parse: {e}\n{block}"));
        assert!(!parsed.is_empty(), "an empty yaml block");
        docs.extend(parsed);
    }
    let of_kind = |kind: &str| -> Vec<&Yaml> {
        docs.iter()
            .filter(|d| d["kind"].as_str() == Some(kind))
            .collect()
    };
    for doc in &docs {
        str_at(doc, &["apiVersion"]);
        str_at(doc, &["metadata", "name"]);
    }

    let classes = of_kind("RuntimeClass");
    assert_eq!(classes.len(), 1);
    assert_eq!(str_at(classes[0], &["apiVersion"]), "node.k8s.io/v1");
    assert_eq!(str_at(classes[0], &["handler"]), handler);
    let class = str_at(classes[0], &["metadata", "name"]);

    let deployments = of_kind("Deployment");
    let jobs = of_kind("Job");
    assert_eq!((deployments.len(), jobs.len()), (1, 1));
    for workload in deployments.iter().chain(&jobs) {
        assert_eq!(
            str_at(workload, &["spec", "template", "spec", "runtimeClassName"]),
            class
        );
    }

    // The Service reaches the Deployment's pods on the port the component is served on.
    let deployment = deployments[0];
    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    assert_eq!(&deployment["spec"]["selector"]["matchLabels"], labels);
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let port = container["ports"][0]["containerPort"].as_i64().unwrap();
    let addr = container["env"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|e| e["name"].as_str() == Some("WASMTIME_HTTP_PROXY_SOCKET_ADDR"))
        .map(|e| str_at(e, &["value"]))
        .expect("the Deployment sets WASMTIME_HTTP_PROXY_SOCKET_ADDR");
    let addr: std::net::SocketAddr = addr.parse().unwrap();
    assert_eq!(i64::from(addr.port()), port);
    assert_eq!(
        container["readinessProbe"]["httpGet"]["port"].as_i64(),
        Some(port)
    );
    let services = of_kind("Service");
    assert_eq!(services.len(), 1);
    assert_eq!(&services[0]["spec"]["selector"], labels);
    assert_eq!(
        services[0]["spec"]["ports"][0]["targetPort"].as_i64(),
        Some(port)
    );
    // A volume mounted into the pod names a volume the pod has.
    let volumes: Vec<&str> = deployment["spec"]["template"]["spec"]["volumes"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|v| str_at(v, &["name"]))
        .collect();
    for mount in container["volumeMounts"].as_vec().unwrap() {
        assert!(volumes.contains(&str_at(mount, &["name"])), "{mount:?}");
    }
    // WASI_BRIDGE_OPTIONS holds options `wasi-bridge serve` takes.
    for env in container["env"].as_vec().unwrap() {
        if env["name"].as_str() == Some("WASI_BRIDGE_OPTIONS") {
            let mut argv = vec!["wasi-bridge".to_string(), "serve".into()];
            argv.extend(shlex::split(str_at(env, &["value"])).unwrap());
            argv.push("app.wasm".into());
            if let Err(e) = wasi_bridge::command::Command::try_parse_from(&argv) {
                panic!("{argv:?}: {e}");
            }
        }
    }
}
