//! The status tool, run against a convention of two nodes on 127.0.0.1.

use std::process::Command;
use std::time::Duration;

use thespian::{ActorSystem, Capabilities};
use thespian_net::{Convention, ConventionConfig, NetConfig, NetSystem};

/// A secret the nodes do not share.
const WRONG_SECRET: &str = "00112233445566778899aabbccddeeff";
const SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

async fn node(caps: Capabilities, leader: Option<std::net::SocketAddr>) -> (NetSystem, Convention) {
    let system = ActorSystem::builder().capabilities(caps).build();
    let net = NetSystem::start(
        &system,
        NetConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            thespian_net::Secret::from_hex(SECRET).unwrap(),
        ),
    )
    .await
    .unwrap();
    let leader = leader.unwrap_or(net.local_addr());
    let config = ConventionConfig::new(leader)
        .timing(Duration::from_millis(100), Duration::from_millis(400));
    let convention = Convention::join(&net, config).await.unwrap();
    (net, convention)
}

/// Runs the tool with `args` (off the runtime's threads: it blocks until the tool exits).
async fn status_tool(args: &[&str]) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_thespian-status"))
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prints_the_members_their_capabilities_and_actor_counts() {
    let (leader, _leading) = node(Capabilities::new(), None).await;
    let (member, convention) = node(
        Capabilities::new().with("Hello World", true),
        Some(leader.local_addr()),
    )
    .await;
    tokio::time::timeout(Duration::from_secs(5), async {
        while convention.members().len() < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    let node = member.local_addr().to_string();
    let out = status_tool(&["--node", &node, "--secret", SECRET]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("(member; convention address"), "{text}");
    assert!(text.contains("2 members:"), "{text}");
    assert!(text.contains("\"Hello World\": true"), "{text}");
    assert!(text.contains("actors:"), "{text}");
    // Both members answer for themselves, and each sees both.
    assert!(
        text.contains("views (whom each member believes alive):"),
        "{text}"
    );
    assert_eq!(text.matches(" sees 2: ").count(), 2, "{text}");

    // The same as one JSON document.
    let node = member.local_addr().to_string();
    let out = status_tool(&[
        "--node",
        &node,
        "--secret",
        SECRET,
        "--json",
        "--timeout",
        "2s",
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(json["node"], member.local_addr().to_string());
    let members = json["convention"]["members"].as_array().expect("members");
    assert_eq!(members.len(), 2, "{json}");
    assert!(
        members
            .iter()
            .any(|m| m["capabilities"]["Hello World"] == serde_json::json!(true)),
        "{json}"
    );
    let views = json["views"].as_array().expect("views");
    assert_eq!(views.len(), 2, "{json}");
    for view in views {
        assert_eq!(view["sees"].as_array().map(Vec::len), Some(2), "{json}");
    }

    // The wrong secret gets nothing.
    let node = member.local_addr().to_string();
    let refused =
        status_tool(&["--node", &node, "--secret", WRONG_SECRET, "--timeout", "1s"]).await;
    assert!(!refused.status.success());
    member.shutdown().await;
    leader.shutdown().await;
}

/// A timeout that is not a duration is refused before anything starts, naming the argument.
#[test]
fn a_timeout_that_is_not_a_duration_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_thespian-status"))
        .args([
            "--node",
            "127.0.0.1:9",
            "--secret",
            SECRET,
            "--timeout",
            "soon",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--timeout"), "{err}");
}
