//! The kv web service (`examples/kv.rs`) over real TCP on 127.0.0.1: under load from 64 clients
//! nothing is lost, bad input changes nothing, a graceful shutdown finishes what it accepted, and
//! the actors' errors become the documented status codes.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use examples::kv::client::Connection;
use examples::kv::{self, ActorStore, ApiError, Config, Store, MAX_KEY_LEN, MAX_VALUE_LEN};
use thespian::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const CLIENTS: usize = 64;
const REQUESTS: usize = 10_000;
/// Keys each client increments.
const KEYS_PER_CLIENT: usize = 4;
/// No wait in these tests should come near this.
const PATIENCE: Duration = Duration::from_secs(10);

/// A server running on 127.0.0.1 with an ephemeral port.
struct Server {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<io::Result<()>>,
}

async fn serve(app: Router) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stopped.await;
    };
    let task = tokio::spawn(kv::serve(listener, app, shutdown, PATIENCE));
    Server { addr, stop, task }
}

impl Server {
    /// Stops accepting, waits for the requests in flight, and returns when the server is done.
    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(PATIENCE, self.task)
            .await
            .expect("server stops")
            .expect("server task")
            .expect("server");
    }
}

/// An actor-backed service: its system, its store (to check the state behind the server's back)
/// and its server.
async fn start_actor_service(shards: usize) -> (ActorSystem, ActorStore, Server) {
    let system = ActorSystem::new();
    let config = Config {
        shards,
        ..Config::default()
    };
    let store = ActorStore::start(&system, &config).await.expect("actors");
    let server = serve(kv::router(store.clone())).await;
    (system, store, server)
}

/// One client: a kept-alive connection, and what it expects the server to hold for its keys.
struct Client {
    conn: Connection,
    model: HashMap<String, String>,
    sent: usize,
}

impl Client {
    async fn new(addr: SocketAddr) -> Client {
        Client {
            conn: Connection::open(addr).await.expect("connect"),
            model: HashMap::new(),
            sent: 0,
        }
    }

    async fn send(&mut self, method: Method, key: &str, body: &str) -> (StatusCode, Bytes) {
        self.sent += 1;
        let path = format!("/kv/{key}");
        let sent = self.conn.send(method.clone(), &path, body.to_string());
        sent.await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// GET, checked against the model.
    async fn get(&mut self, key: &str) -> Option<String> {
        let (status, body) = self.send(Method::GET, key, "").await;
        match self.model.get(key) {
            Some(value) => {
                assert_eq!(status, StatusCode::OK, "GET {key}");
                assert_eq!(body, value.as_bytes(), "GET {key}: a lost or stray update");
                Some(value.clone())
            }
            None => {
                assert_eq!(status, StatusCode::NOT_FOUND, "GET {key}: {body:?}");
                None
            }
        }
    }

    /// PUT: 201 for a new key, 204 for a replaced one.
    async fn put(&mut self, key: &str, value: String) {
        let (status, body) = self.send(Method::PUT, key, &value).await;
        let expected = match self.model.contains_key(key) {
            true => StatusCode::NO_CONTENT,
            false => StatusCode::CREATED,
        };
        assert_eq!(status, expected, "PUT {key}: {body:?}");
        self.model.insert(key.to_string(), value);
    }

    /// DELETE: 204 if the key was there, 404 if not.
    async fn delete(&mut self, key: &str) {
        let (status, body) = self.send(Method::DELETE, key, "").await;
        let expected = match self.model.remove(key) {
            Some(_) => StatusCode::NO_CONTENT,
            None => StatusCode::NOT_FOUND,
        };
        assert_eq!(status, expected, "DELETE {key}: {body:?}");
    }

    /// `requests` requests over this client's own keys, in rounds of five: read a counter,
    /// write it back plus one (a lost update would show at the next read), then set, delete
    /// and miss a scratch key.
    async fn run(mut self, id: usize, requests: usize) -> Client {
        let scratch = format!("c{id}-scratch");
        for i in 0..requests {
            let round = i / 5;
            let key = format!("c{id}-k{}", round % KEYS_PER_CLIENT);
            match i % 5 {
                0 => {
                    self.get(&key).await;
                }
                1 => {
                    let n: u64 = self
                        .model
                        .get(&key)
                        .map_or(0, |v| v.parse().expect("number"));
                    self.put(&key, (n + 1).to_string()).await;
                }
                2 => self.put(&scratch, format!("scratch {round}")).await,
                3 => self.delete(&scratch).await,
                _ => assert_eq!(self.get(&scratch).await, None),
            }
        }
        self
    }
}

/// Client `id`'s part of `requests`: 10,000 = 64 × 156 + 16, so the first 16 send one more.
fn share(id: usize, requests: usize) -> usize {
    requests / CLIENTS + usize::from(id < requests % CLIENTS)
}

/// `requests` requests from `CLIENTS` concurrent clients; returns what the server should now
/// hold and how many requests were sent.
async fn load(addr: SocketAddr, requests: usize) -> (HashMap<String, String>, usize) {
    let mut tasks = Vec::new();
    for id in 0..CLIENTS {
        let share = share(id, requests);
        tasks.push(tokio::spawn(async move {
            Client::new(addr).await.run(id, share).await
        }));
    }
    let mut model = HashMap::new();
    let mut sent = 0;
    for task in tasks {
        let client = task.await.expect("client");
        sent += client.sent;
        model.extend(client.model);
    }
    assert_eq!(sent, requests);
    (model, sent)
}

/// Requests that must be refused, each on a fresh connection (a refused body may close one), and
/// the status each must get. Returns how many were sent.
async fn send_malformed(addr: SocketAddr) -> usize {
    let long = format!("/kv/{}", "k".repeat(MAX_KEY_LEN + 1));
    let big = vec![b'a'; MAX_VALUE_LEN + 1];
    let (bad, missing) = (StatusCode::BAD_REQUEST, StatusCode::NOT_FOUND);
    let not_allowed = StatusCode::METHOD_NOT_ALLOWED;
    let cases: [(Method, &str, &[u8], StatusCode); 13] = [
        (Method::PUT, "/kv/", b"v", bad),
        (Method::GET, "/kv", b"", bad),
        (Method::DELETE, "/kv/", b"", bad),
        (Method::PUT, &long, b"v", bad),
        (Method::GET, &long, b"", bad),
        (Method::PUT, "/kv/bad", &[0xff, 0xfe], bad),
        (Method::PUT, "/kv/%FF", b"v", bad),
        (Method::PUT, "/kv/big", &big, StatusCode::PAYLOAD_TOO_LARGE),
        (Method::PATCH, "/kv/c0-k0", b"v", not_allowed),
        (Method::POST, "/kv/c0-k0", b"v", not_allowed),
        (Method::GET, "/nowhere", b"", missing),
        (Method::GET, "/kv/never-set", b"", missing),
        (Method::DELETE, "/kv/never-set", b"", missing),
    ];
    for (method, path, body, expected) in &cases {
        let mut conn = Connection::open(addr).await.expect("connect");
        let (status, text) = conn
            .send(method.clone(), path, Bytes::copy_from_slice(body))
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let shown = &path[..path.len().min(40)];
        assert_eq!(status, *expected, "{method} {shown}: {text:?}");
    }
    cases.len()
}

/// `GET /stats`, parsed.
async fn stats(addr: SocketAddr) -> (u64, usize) {
    let mut conn = Connection::open(addr).await.expect("connect");
    let (status, body) = conn.get("/stats").await.expect("stats");
    assert_eq!(status, StatusCode::OK);
    let text = std::str::from_utf8(&body).expect("utf-8");
    let number = |name: &str| -> u64 {
        let start = text.find(&format!("\"{name}\":")).expect(name) + name.len() + 3;
        let digits: String = text[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().expect("number")
    };
    (number("requests"), number("keys") as usize)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_requests_from_64_clients_lose_no_update() {
    let shards = 8;
    let (system, store, server) = start_actor_service(shards).await;
    let addr = server.addr;

    let start = Instant::now();
    let (mut model, mut sent) = load(addr, REQUESTS).await;
    let elapsed = start.elapsed();
    println!(
        "{REQUESTS} requests from {CLIENTS} clients in {elapsed:.2?} ({:.0} requests/s)",
        REQUESTS as f64 / elapsed.as_secs_f64()
    );
    // The counters add up to the increments made: request 1 of every 5 (indices 1, 6, 11, ...).
    let counted: usize = model
        .iter()
        .filter(|(key, _)| !key.contains("scratch"))
        .map(|(_, value)| value.parse::<usize>().expect("number"))
        .sum();
    let made: usize = (0..CLIENTS).map(|id| (share(id, REQUESTS) + 3) / 5).sum();
    assert_eq!(counted, made);

    // Bad input is refused and changes nothing; the largest value allowed is taken.
    let keys_before = stats(addr).await.1;
    sent += 1;
    assert_eq!(keys_before, model.len());
    sent += send_malformed(addr).await;
    let mut conn = Connection::open(addr).await.expect("connect");
    let largest = "v".repeat(MAX_VALUE_LEN);
    let (status, _) = conn.put("/kv/largest", largest.clone()).await.expect("put");
    assert_eq!(status, StatusCode::CREATED);
    sent += 1;
    model.insert("largest".to_string(), largest);

    // The shared counter saw every request, this one included; the shards hold every key.
    let (requests, keys) = stats(addr).await;
    sent += 1;
    assert_eq!(requests, sent as u64);
    assert_eq!(keys, model.len());

    server.stop().await;

    // The state, read from the actors directly: exactly what the clients were told.
    for (key, value) in &model {
        let stored = store.get(key.clone()).await.expect("ask");
        assert_eq!(stored.as_deref(), Some(value.as_bytes()), "{key}");
    }
    for key in ["bad", "big", "never-set", "c0-scratch"] {
        if !model.contains_key(key) {
            assert_eq!(
                store.get(key.to_string()).await.expect("ask"),
                None,
                "{key}"
            );
        }
    }
    // The keys are spread over every shard.
    let used: HashSet<_> = model.keys().map(|key| store.shard(key).id()).collect();
    assert_eq!(used.len(), shards);

    system.shutdown().await;
    assert_eq!(system.live_actors(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mutex_router_answers_the_same() {
    let server = serve(kv::mutex_app()).await;
    let addr = server.addr;
    let (model, mut sent) = load(addr, 2_000).await;
    sent += send_malformed(addr).await;
    let (requests, keys) = stats(addr).await;
    sent += 1;
    assert_eq!(requests, sent as u64);
    assert_eq!(keys, model.len());
    server.stop().await;
}

/// Polls `check` until it holds.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + PATIENCE;
    while !check().await {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_the_request_in_flight_then_stops_the_actors() {
    let (system, store, server) = start_actor_service(2).await;
    let addr = server.addr;

    // A request whose body is only half there when the shutdown begins.
    let mut raw = TcpStream::connect(addr).await.expect("connect");
    let head = "PUT /kv/in-flight HTTP/1.1\r\nhost: test\r\ncontent-length: 10\r\n\r\n";
    raw.write_all(format!("{head}half-").as_bytes())
        .await
        .expect("write");
    eventually("the request reached the service", || async {
        store.stats().await.expect("stats").requests == 1
    })
    .await;

    let _ = server.stop.send(());
    // New connections are refused from now on...
    eventually("the listener closed", || async {
        TcpStream::connect(addr).await.is_err()
    })
    .await;
    // ... but the server waits for the request it accepted.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        !server.task.is_finished(),
        "the server left a request unfinished"
    );

    raw.write_all(b"done!").await.expect("write");
    let mut response = Vec::new();
    tokio::time::timeout(PATIENCE, raw.read_to_end(&mut response))
        .await
        .expect("response in time")
        .expect("read");
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");

    tokio::time::timeout(PATIENCE, server.task)
        .await
        .expect("server stops")
        .expect("server task")
        .expect("server");
    let stored = store.get("in-flight".to_string()).await.expect("ask");
    assert_eq!(stored.as_deref(), Some(&b"half-done!"[..]));

    system.shutdown().await;
    assert_eq!(system.live_actors(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_actors_answer_503_and_bad_input_still_400() {
    let (system, _store, server) = start_actor_service(2).await;
    let mut conn = Connection::open(server.addr).await.expect("connect");
    assert_eq!(
        conn.put("/kv/a", "1").await.expect("put").0,
        StatusCode::CREATED
    );

    // The actors go while the server still runs.
    system.shutdown().await;
    let unavailable = StatusCode::SERVICE_UNAVAILABLE;
    assert_eq!(conn.get("/kv/a").await.expect("get").0, unavailable);
    assert_eq!(conn.put("/kv/a", "2").await.expect("put").0, unavailable);
    assert_eq!(conn.delete("/kv/a").await.expect("delete").0, unavailable);
    assert_eq!(conn.get("/stats").await.expect("stats").0, unavailable);
    // Input is checked before any actor is asked.
    assert_eq!(
        conn.put("/kv/", "2").await.expect("put").0,
        StatusCode::BAD_REQUEST
    );
    server.stop().await;
}

#[test]
fn ask_errors_map_to_status_codes() {
    let cases = [
        (
            AskError::Timeout(Duration::from_secs(2)),
            StatusCode::GATEWAY_TIMEOUT,
        ),
        (AskError::DeadActor, StatusCode::SERVICE_UNAVAILABLE),
        (
            AskError::Poisoned(Poison::Panicked("boom".into())),
            StatusCode::INTERNAL_SERVER_ERROR,
        ),
        (AskError::NoReply, StatusCode::INTERNAL_SERVER_ERROR),
    ];
    for (error, status) in cases {
        assert_eq!(kv::status_for(&error), status, "{error}");
        assert_eq!(ApiError::Ask(error).into_response().status(), status);
    }
    let bad = [
        ApiError::EmptyKey,
        ApiError::KeyTooLong(MAX_KEY_LEN + 1),
        ApiError::NotUtf8,
    ];
    for error in bad {
        assert_eq!(error.into_response().status(), StatusCode::BAD_REQUEST);
    }
    assert_eq!(
        ApiError::NotFound.into_response().status(),
        StatusCode::NOT_FOUND
    );
}

/// Reads until the server closes `stream` (at most `limit`); what it sent, and when it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<(Vec<u8>, Duration)> {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .ok()?;
    Some((got, started.elapsed()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stalls_is_disconnected_at_the_read_deadline() {
    const DEADLINE: Duration = Duration::from_millis(300);
    let system = ActorSystem::new();
    let store = ActorStore::start(&system, &Config::default())
        .await
        .expect("actors");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = oneshot::channel::<()>();
    let app = kv::router_with_body_timeout(store, DEADLINE);
    let shutdown = async move {
        let _ = stopped.await;
    };
    let task = tokio::spawn(kv::serve_with(listener, app, shutdown, PATIENCE, DEADLINE));

    // Half a request line, then nothing.
    let mut half = TcpStream::connect(addr).await.unwrap();
    half.write_all(b"GET /kv/gree").await.unwrap();
    let (_, took) = read_until_closed(&mut half, PATIENCE)
        .await
        .expect("disconnected");
    eprintln!("half a request line: disconnected after {took:?}");
    assert!(took >= DEADLINE - Duration::from_millis(50), "{took:?}");
    assert!(took < DEADLINE * 3, "{took:?}");

    // A body that announces 1,000 bytes and sends 10.
    let mut short = TcpStream::connect(addr).await.unwrap();
    short
        .write_all(b"PUT /kv/k HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
        .await
        .unwrap();
    let (answer, took) = read_until_closed(&mut short, PATIENCE)
        .await
        .expect("disconnected");
    let answer = String::from_utf8_lossy(&answer);
    eprintln!("a short body: disconnected after {took:?}");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(took < DEADLINE * 3, "{took:?}");

    // Nothing was stored, and the service goes on.
    let mut conn = Connection::open(addr).await.unwrap();
    let (status, _) = conn.get("/kv/k").await.unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);
    let _ = stop.send(());
    tokio::time::timeout(PATIENCE, task)
        .await
        .expect("server stops")
        .expect("server task")
        .expect("server");
    system.shutdown().await;
}
