//! A key-value store served over HTTP with [axum], its state held by actors.
//!
//! The keys are spread over N [`Shard`] actors by hash; a [`RequestCounter`] actor counts the
//! requests. An HTTP handler never touches the data: it *asks* the shard that owns the key, with
//! a timeout, and turns the answer (or the [`AskError`]) into a response. Each shard handles one
//! message at a time, so its `HashMap` needs no lock, and a slow shard holds up only its own keys.
//!
//! | route | does | answers |
//! |---|---|---|
//! | `GET /kv/{key}` | reads a value | 200 with the value, 404 if absent |
//! | `PUT /kv/{key}` | sets a value (the body, UTF-8, at most [`MAX_VALUE_LEN`] bytes) | 201 if new, 204 if replaced |
//! | `DELETE /kv/{key}` | removes a key | 204, 404 if absent |
//! | `GET /stats` | `{"requests":N,"keys":K}`: requests so far (this one included) and keys stored | 200 |
//!
//! Errors: bad input (empty key, key longer than [`MAX_KEY_LEN`] bytes, value not UTF-8) → 400,
//! value too large → 413 (axum's body limit), unknown path → 404, wrong method → 405; from the
//! actors ([`status_for`]): [`AskError::Timeout`] → 504, [`AskError::DeadActor`] → 503, any
//! other ask error → 500.
//!
//! Every request runs inside a `request` tracing span; the span travels in the message, so what a
//! shard logs while handling it appears inside the request's span.
//!
//! The same routes over an `Arc<Mutex<HashMap>>` ([`MutexStore`], [`mutex_app`]) are there for
//! comparison: the handlers are written once, against the [`Store`] trait.
//!
//! `examples/examples/kv_service.rs` runs the service; `tests/kv_service.rs` loads it;
//! `benches/benches/web.rs` measures both stores.

use std::collections::HashMap;
use std::future::Future;
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use thespian::prelude::*;
use thespian::CreateError;
use tokio::net::TcpListener;
use tracing::{Instrument, Span};

pub mod client;

/// The longest key accepted, in bytes (after percent-decoding).
pub const MAX_KEY_LEN: usize = 256;
/// The largest value accepted, in bytes: 64 KiB.
pub const MAX_VALUE_LEN: usize = 64 * 1024;

/// How the actor-backed store is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// How many shard actors hold the keys.
    pub shards: usize,
    /// How long a handler waits for an actor's answer before it gives up with 504.
    pub ask_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            shards: 8,
            ask_timeout: Duration::from_secs(2),
        }
    }
}

/// One shard of the store: the keys that hash to it, and nothing else.
#[derive(Debug, Default)]
pub struct Shard {
    index: usize,
    map: HashMap<String, Bytes>,
}

// The messages carry the request's span, so they are not serializable (`no_serde`). A handler that
// panics is not retried (the actor does not ask for `retry`): its ask fails at once with `Poisoned`.
#[actor(no_serde)]
impl Shard {
    /// The value of `key`, if there is one.
    pub async fn get(&self, key: String, span: Span) -> Option<Bytes> {
        span.in_scope(|| {
            let value = self.map.get(&key).cloned();
            tracing::debug!(shard = self.index, %key, found = value.is_some(), "get");
            value
        })
    }

    /// Sets `key` to `value`; `true` if the key is new.
    pub async fn put(&mut self, key: String, value: Bytes, span: Span) -> bool {
        span.in_scope(|| {
            tracing::debug!(shard = self.index, %key, len = value.len(), "put");
            self.map.insert(key, value).is_none()
        })
    }

    /// Removes `key`; `true` if it was there.
    pub async fn delete(&mut self, key: String, span: Span) -> bool {
        span.in_scope(|| {
            let removed = self.map.remove(&key).is_some();
            tracing::debug!(shard = self.index, %key, removed, "delete");
            removed
        })
    }

    /// How many keys this shard holds.
    pub async fn key_count(&self) -> usize {
        self.map.len()
    }
}

/// Counts the requests the service has received.
#[derive(Debug, Default)]
pub struct RequestCounter {
    requests: u64,
}

#[actor(no_serde)]
impl RequestCounter {
    /// One more request (told, not asked: nobody waits for it).
    pub async fn record(&mut self) {
        self.requests += 1;
    }

    /// The requests recorded so far.
    pub async fn requests(&self) -> u64 {
        self.requests
    }
}

/// What `GET /stats` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Requests received so far, the `/stats` request itself included.
    pub requests: u64,
    /// Keys stored.
    pub keys: usize,
}

/// Why a request failed; each turns into an HTTP status and a one-line text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The key is empty (`/kv/`).
    EmptyKey,
    /// The key is longer than [`MAX_KEY_LEN`] bytes.
    KeyTooLong(usize),
    /// The value is not UTF-8.
    NotUtf8,
    /// No such key.
    NotFound,
    /// The actor holding the data did not answer.
    Ask(AskError),
}

impl From<AskError> for ApiError {
    fn from(error: AskError) -> Self {
        ApiError::Ask(error)
    }
}

/// The HTTP status for an ask that got no answer: the actor was too slow (504 Gateway Timeout,
/// as for an upstream server), is gone (503 Service Unavailable: the service is shutting down or
/// lost a part), or failed on the request (500).
pub fn status_for(error: &AskError) -> StatusCode {
    match error {
        AskError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
        AskError::DeadActor => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, text) = match self {
            ApiError::EmptyKey => (StatusCode::BAD_REQUEST, "empty key".to_string()),
            ApiError::KeyTooLong(len) => (
                StatusCode::BAD_REQUEST,
                format!("key of {len} bytes; at most {MAX_KEY_LEN}"),
            ),
            ApiError::NotUtf8 => (StatusCode::BAD_REQUEST, "value is not UTF-8".to_string()),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "no such key".to_string()),
            ApiError::Ask(error) => {
                tracing::warn!(%error, "ask failed");
                (status_for(&error), error.to_string())
            }
        };
        (status, text + "\n").into_response()
    }
}

/// Where the routes keep their data: the actors ([`ActorStore`]) or a mutex ([`MutexStore`]).
pub trait Store: Clone + Send + Sync + 'static {
    /// The value of `key`, if there is one.
    fn get(&self, key: String) -> impl Future<Output = Result<Option<Bytes>, ApiError>> + Send;
    /// Sets `key` to `value`; `true` if the key is new.
    fn put(&self, key: String, value: Bytes)
        -> impl Future<Output = Result<bool, ApiError>> + Send;
    /// Removes `key`; `true` if it was there.
    fn delete(&self, key: String) -> impl Future<Output = Result<bool, ApiError>> + Send;
    /// Counts one request.
    fn count_request(&self) -> impl Future<Output = ()> + Send;
    /// The figures of `GET /stats`.
    fn stats(&self) -> impl Future<Output = Result<Stats, ApiError>> + Send;
}

/// The actor-backed store: the addresses of the shards and of the counter. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ActorStore {
    inner: Arc<ActorStoreInner>,
}

#[derive(Debug)]
struct ActorStoreInner {
    shards: Vec<Addr<Shard>>,
    counter: Addr<RequestCounter>,
    ask_timeout: Duration,
    /// Fixed keys, so a key maps to the same shard in every run.
    hasher: BuildHasherDefault<DefaultHasher>,
}

impl ActorStore {
    /// Creates the shard actors and the counter in `system`.
    pub async fn start(system: &ActorSystem, config: &Config) -> Result<Self, CreateError> {
        let mut shards = Vec::with_capacity(config.shards.max(1));
        for index in 0..config.shards.max(1) {
            let shard = Shard {
                index,
                map: HashMap::new(),
            };
            shards.push(system.create_actor(shard).await?);
        }
        let counter = system.create_actor(RequestCounter::default()).await?;
        Ok(ActorStore {
            inner: Arc::new(ActorStoreInner {
                shards,
                counter,
                ask_timeout: config.ask_timeout,
                hasher: BuildHasherDefault::default(),
            }),
        })
    }

    /// The shard that owns `key`.
    pub fn shard(&self, key: &str) -> &Addr<Shard> {
        let shards = &self.inner.shards;
        &shards[(self.inner.hasher.hash_one(key) % shards.len() as u64) as usize]
    }
}

impl Store for ActorStore {
    async fn get(&self, key: String) -> Result<Option<Bytes>, ApiError> {
        let shard = self.shard(&key);
        Ok(shard
            .get(key, Span::current())
            .timeout(self.inner.ask_timeout)
            .ask()
            .await?)
    }

    async fn put(&self, key: String, value: Bytes) -> Result<bool, ApiError> {
        let shard = self.shard(&key);
        Ok(shard
            .put(key, value, Span::current())
            .timeout(self.inner.ask_timeout)
            .ask()
            .await?)
    }

    async fn delete(&self, key: String) -> Result<bool, ApiError> {
        let shard = self.shard(&key);
        Ok(shard
            .delete(key, Span::current())
            .timeout(self.inner.ask_timeout)
            .ask()
            .await?)
    }

    async fn count_request(&self) {
        // A tell: the request goes on at once. Only a dead counter refuses it (at shutdown).
        let _ = self.inner.counter.record().tell().await;
    }

    async fn stats(&self) -> Result<Stats, ApiError> {
        let timeout = self.inner.ask_timeout;
        // An ask is sent when it is made: all of these are in flight together before the first
        // is awaited.
        let requests = self.inner.counter.requests().timeout(timeout).ask();
        let counts: Vec<_> = self
            .inner
            .shards
            .iter()
            .map(|shard| shard.key_count().timeout(timeout).ask())
            .collect();
        let requests = requests.await?;
        let mut keys = 0;
        for count in counts {
            keys += count.await?;
        }
        Ok(Stats { requests, keys })
    }
}

/// The comparison: the same data in one `HashMap` behind a `Mutex`, the count in an atomic.
#[derive(Debug, Clone, Default)]
pub struct MutexStore {
    map: Arc<Mutex<HashMap<String, Bytes>>>,
    requests: Arc<AtomicU64>,
}

impl MutexStore {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Bytes>> {
        // Nothing panics while holding the lock; if something did, the map is still consistent.
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Store for MutexStore {
    async fn get(&self, key: String) -> Result<Option<Bytes>, ApiError> {
        Ok(self.map().get(&key).cloned())
    }

    async fn put(&self, key: String, value: Bytes) -> Result<bool, ApiError> {
        Ok(self.map().insert(key, value).is_none())
    }

    async fn delete(&self, key: String) -> Result<bool, ApiError> {
        Ok(self.map().remove(&key).is_some())
    }

    async fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    async fn stats(&self) -> Result<Stats, ApiError> {
        let keys = self.map().len();
        Ok(Stats {
            requests: self.requests.load(Ordering::Relaxed),
            keys,
        })
    }
}

/// The routes over any [`Store`]; a body must arrive within [`BODY_READ_TIMEOUT`].
pub fn router<S: Store>(store: S) -> Router {
    router_with_body_timeout(store, BODY_READ_TIMEOUT)
}

/// [`router`], with the deadline for a request's body.
pub fn router_with_body_timeout<S: Store>(store: S, body_timeout: Duration) -> Router {
    Router::new()
        .route(
            "/kv/{key}",
            get(get_key::<S>).put(put_key::<S>).delete(delete_key::<S>),
        )
        .route("/kv", any(empty_key))
        .route("/kv/", any(empty_key))
        .route("/stats", get(stats::<S>))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_VALUE_LEN))
        .layer(middleware::from_fn(move |request, next| {
            read_body(body_timeout, request, next)
        }))
        .layer(middleware::from_fn_with_state(store.clone(), count::<S>))
        .layer(middleware::from_fn(request_span))
        .with_state(store)
}

/// The actor-backed service: creates its actors in `system` (8 shards, 2 s ask timeout).
pub async fn app(system: &ActorSystem) -> Result<Router, CreateError> {
    app_with(system, &Config::default()).await
}

/// The actor-backed service, set up by `config`.
pub async fn app_with(system: &ActorSystem, config: &Config) -> Result<Router, CreateError> {
    Ok(router(ActorStore::start(system, config).await?))
}

/// The same service over an `Arc<Mutex<HashMap>>`.
pub fn mutex_app() -> Router {
    router(MutexStore::default())
}

/// How long a client may take to send a request's head (request line and headers) once it has
/// begun: a client that sends half a request line is disconnected after this.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a client may take to send a request's body: a client that announces 1,000 bytes and
/// sends 10 gets 408 and is disconnected after this.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting connections and
/// lets the requests in flight finish, for at most `grace`. Returns when no request is left (or
/// the grace period is over); the caller then shuts its actor system down. A request's head must
/// arrive within [`HEADER_READ_TIMEOUT`] (its body's deadline is the router's).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> io::Result<()> {
    serve_with(listener, app, shutdown, grace, HEADER_READ_TIMEOUT).await
}

/// [`serve`], with the deadline for a request's head.
///
/// (hyper's connection builder, not `axum::serve`: axum 0.8's `serve` sets no read deadline, and
/// a client that stops half-way through a request would hold its connection for ever.)
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
    header_timeout: Duration,
) -> io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors, say: wait a little rather than spin.
                    tracing::debug!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small responses go out at once rather than waiting for the previous one's ACK.
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        let connection =
            http.serve_connection(TokioIo::new(tcp), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "connection ended");
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: no new connections; finishing the requests in flight");
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(?grace, "requests still in flight after the grace period");
    }
    Ok(())
}

/// Reads a request's body within `timeout` (at most [`MAX_VALUE_LEN`] bytes of it) before the
/// handler runs: 408 and the connection closed when it does not arrive in time, 413 when it is too
/// large.
async fn read_body(timeout: Duration, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let read = http_body_util::BodyExt::collect(http_body_util::Limited::new(body, MAX_VALUE_LEN));
    match tokio::time::timeout(timeout, read).await {
        Ok(Ok(body)) => {
            let request = Request::from_parts(parts, axum::body::Body::from(body.to_bytes()));
            next.run(request).await
        }
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => {
            (StatusCode::PAYLOAD_TOO_LARGE, "the value is too large\n").into_response()
        }
        Ok(Err(error)) => {
            tracing::debug!(%error, "the body could not be read");
            close((StatusCode::BAD_REQUEST, "the body could not be read\n"))
        }
        Err(_) => {
            tracing::debug!(?timeout, "the body did not arrive in time");
            close((
                StatusCode::REQUEST_TIMEOUT,
                "the body did not arrive in time\n",
            ))
        }
    }
}

/// A response after which the connection closes.
fn close(response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    response.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}

/// Gives every request a span: the handler runs in it, and so does the actor's handling of it.
async fn request_span(request: Request, next: Next) -> Response {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    // At debug level: a busy service's log holds what went wrong, not a line per request.
    let span = tracing::debug_span!(
        "request",
        id = NEXT_ID.fetch_add(1, Ordering::Relaxed),
        method = %request.method(),
        path = %request.uri().path(),
    );
    async move {
        let start = Instant::now();
        let response = next.run(request).await;
        tracing::debug!(
            status = response.status().as_u16(),
            micros = start.elapsed().as_micros() as u64,
            "done"
        );
        response
    }
    .instrument(span)
    .await
}

async fn count<S: Store>(State(store): State<S>, request: Request, next: Next) -> Response {
    store.count_request().await;
    next.run(request).await
}

fn check_key(key: String) -> Result<String, ApiError> {
    match key.len() {
        0 => Err(ApiError::EmptyKey),
        len if len > MAX_KEY_LEN => Err(ApiError::KeyTooLong(len)),
        _ => Ok(key),
    }
}

async fn get_key<S: Store>(
    State(store): State<S>,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let key = check_key(key)?;
    match store.get(key).await? {
        Some(value) => {
            Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], value).into_response())
        }
        None => Err(ApiError::NotFound),
    }
}

async fn put_key<S: Store>(
    State(store): State<S>,
    Path(key): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let key = check_key(key)?;
    if std::str::from_utf8(&body).is_err() {
        return Err(ApiError::NotUtf8);
    }
    // A copy of its own: the body may be a slice of a larger read buffer, which a stored value
    // would otherwise keep alive for as long as the key exists.
    let value = Bytes::copy_from_slice(&body);
    match store.put(key, value).await? {
        true => Ok(StatusCode::CREATED),
        false => Ok(StatusCode::NO_CONTENT),
    }
}

async fn delete_key<S: Store>(
    State(store): State<S>,
    Path(key): Path<String>,
) -> Result<StatusCode, ApiError> {
    let key = check_key(key)?;
    match store.delete(key).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(ApiError::NotFound),
    }
}

async fn empty_key() -> ApiError {
    ApiError::EmptyKey
}

async fn stats<S: Store>(State(store): State<S>) -> Result<Response, ApiError> {
    let Stats { requests, keys } = store.stats().await?;
    let json = format!("{{\"requests\":{requests},\"keys\":{keys}}}\n");
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "no such route\n")
}
