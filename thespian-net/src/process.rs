//! The process base: actors in child processes of their own, so that whatever one does — abort,
//! overflow its stack, crash in a C library, be killed — ends only that process.
//!
//! A program opts in twice. At the top of `main`, [`serve_if_child`] lets a child process
//! recognise itself: started by the process base, the same executable serves its one actor
//! instead of running `main`'s body, and exits when the actor ends. (A process cannot be made
//! from a closure: the only code a new process can run is an executable, and this program's own
//! is the one that knows the actor types.) Then a system with a process base ([`Processes`])
//! runs every actor created with
//! [`ActorOptions::in_own_process`](thespian::ActorOptions::in_own_process) in a process of its
//! own:
//!
//! ```no_run
//! use serde::{Deserialize, Serialize};
//! use thespian::prelude::*;
//! use thespian::ActorOptions;
//! use thespian_net::Processes;
//!
//! #[derive(Serialize, Deserialize, Default)]
//! struct Parser { parsed: u64 }
//!
//! #[actor]
//! impl Parser {
//!     async fn parse(&mut self, input: String) -> usize {
//!         self.parsed += 1;
//!         input.len() // a call into a crash-prone C library, say
//!     }
//! }
//!
//! fn main() {
//!     // In a child process of the process base, this serves and never returns.
//!     thespian_net::process::serve_if_child(|types| {
//!         types.register::<Parser>();
//!     });
//!     tokio::runtime::Runtime::new().unwrap().block_on(async {
//!         let system = ActorSystem::new();
//!         let _processes = Processes::start(&system).await.unwrap();
//!         let options = ActorOptions::new().in_own_process();
//!         let parser = system.create_actor_with(Parser::default(), options).await.unwrap();
//!         assert_eq!(parser.parse("text".into()).ask().await, Ok(4));
//!         system.shutdown().await;
//!     });
//! }
//! ```
//!
//! The parent reaches each child over loopback TCP with a secret made for the run (handed to the
//! child on its standard input, never in its environment or arguments). The address of an actor
//! in its own process is a local stand-in's: it stays the same across restarts of the process.
//! When a process ends without its actor exiting, the parent hears
//! [`ExitReason::ProcessEnded`] with the exit status or
//! signal, asks waiting on it fail at once, and a restart policy starts a fresh process. Every
//! child is reaped. A child never outlives its parent: it exits when its standard input (a pipe
//! from the parent, which the kernel closes when the parent ends however it ends) closes, and
//! when the parent's node is lost.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::future::Future;
use std::io::{BufRead, Read};
use std::net::SocketAddr;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use thespian::prelude::*;
use thespian::remote::{self, BoxFuture, ProcessOrder, StartedProcess};
use thespian::Supervision;
use tokio::io::AsyncWriteExt;
use tokio::sync::oneshot;

use crate::{NetConfig, NetError, NetSystem};

/// Set in a child process's environment: the parent's address.
const PARENT: &str = "THESPIAN_PROCESS_PARENT";
/// The global name of the parent's registry of starting children.
const REGISTRY: &str = "thespian.process.registry";
/// How long a child process may take to start and report.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// How child processes are started.
#[derive(Debug, Clone, Default)]
pub struct ProcessConfig {
    args: Vec<OsString>,
}

impl ProcessConfig {
    /// The defaults: the program's own executable, without arguments.
    pub fn new() -> Self {
        Self::default()
    }

    /// Arguments for the child processes (a test binary needs the name of the test that calls
    /// [`serve_if_child`], say). The child recognises itself by its environment, not by these.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args = args.into_iter().map(Into::into).collect();
        self
    }
}

/// A running child process, as [`Processes::running`] lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ProcessInfo {
    /// Its process id.
    pub pid: u32,
    /// The actor it runs (its address in the child process).
    pub actor: ActorAddress,
    /// The actor's type.
    pub actor_type: String,
}

struct Inner {
    net: NetSystem,
    config: ProcessConfig,
    /// Children that have started and not reported yet, by process id.
    starting: Mutex<HashMap<u32, oneshot::Sender<Addr<Agent>>>>,
    running: Mutex<BTreeMap<u32, ProcessInfo>>,
}

/// A system's process base: starts, watches and reaps the child processes of the actors that
/// run in processes of their own (see the [module](self) documentation).
#[derive(Clone)]
pub struct Processes {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Processes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Processes")
            .field("node", &self.inner.net.node())
            .field("running", &self.running().len())
            .finish_non_exhaustive()
    }
}

impl Processes {
    /// Gives `system` a process base: networks it on 127.0.0.1 (a free port, a secret made for
    /// this run) and installs the base. For a system networked already, see
    /// [`install`](Self::install).
    pub async fn start(system: &ActorSystem) -> Result<Processes, NetError> {
        Self::start_with(system, ProcessConfig::new()).await
    }

    /// [`start`](Self::start), with settings for the child processes.
    pub async fn start_with(
        system: &ActorSystem,
        config: ProcessConfig,
    ) -> Result<Processes, NetError> {
        let secret = crate::Secret::generate()
            .map_err(|e| NetError::Io(std::io::Error::other(e.to_string())))?;
        let listen = SocketAddr::from(([127, 0, 0, 1], 0));
        let net = NetSystem::start(system, NetConfig::new(listen, secret)).await?;
        Self::install_with(&net, config).await
    }

    /// Installs a process base on a networked system; its children join with its secret.
    pub async fn install(net: &NetSystem) -> Result<Processes, NetError> {
        Self::install_with(net, ProcessConfig::new()).await
    }

    /// [`install`](Self::install), with settings for the child processes.
    pub async fn install_with(
        net: &NetSystem,
        config: ProcessConfig,
    ) -> Result<Processes, NetError> {
        let inner = Arc::new(Inner {
            net: net.clone(),
            config,
            starting: Mutex::new(HashMap::new()),
            running: Mutex::new(BTreeMap::new()),
        });
        let registry = Registry {
            inner: Arc::downgrade(&inner),
        };
        net.system()
            .create_actor_with(registry, ActorOptions::new().name(REGISTRY))
            .await
            .map_err(NetError::Create)?;
        remote::install_processes(net.system(), Arc::new(Launcher(inner.clone())))
            .map_err(NetError::Install)?;
        Ok(Processes { inner })
    }

    /// The child processes running now, by process id.
    pub fn running(&self) -> Vec<ProcessInfo> {
        lock(&self.inner.running).values().cloned().collect()
    }

    /// The node the children connect to.
    pub fn net(&self) -> &NetSystem {
        &self.inner.net
    }

    /// Asks the node at `node` (with the secret) for the child processes its process base runs
    /// (what the `thespian-status` tool prints).
    pub async fn query(
        net: &NetSystem,
        node: SocketAddr,
        timeout: Duration,
    ) -> Result<Vec<ProcessInfo>, NetError> {
        net.ask_named(
            node,
            REGISTRY,
            timeout,
            |registry: Addr<Registry>| async move { registry.running().timeout(timeout).ask().await },
        )
        .await
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // No user code runs under these locks: the data stays consistent.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts child processes for the core (the [`remote::Processes`] it calls).
struct Launcher(Arc<Inner>);

impl remote::Processes for Launcher {
    fn start(&self, order: ProcessOrder) -> BoxFuture<Result<StartedProcess, String>> {
        Box::pin(launch(self.0.clone(), order))
    }
}

/// Removes a child from the running list when its process ends (or is killed).
struct Listed {
    inner: Weak<Inner>,
    pid: u32,
}

impl Drop for Listed {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.upgrade() {
            lock(&inner.running).remove(&self.pid);
        }
    }
}

async fn launch(inner: Arc<Inner>, order: ProcessOrder) -> Result<StartedProcess, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let mut child = tokio::process::Command::new(exe)
        .args(&inner.config.args)
        .env(PARENT, inner.net.local_addr().to_string())
        .stdin(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start a process: {e}"))?;
    let pid = child.id().ok_or("the process ended at once")?;
    let (ready, reported) = oneshot::channel();
    lock(&inner.starting).insert(pid, ready);
    let started = async {
        let mut stdin = child.stdin.take().ok_or("no pipe to the process")?;
        let secret = inner.net.inner_config().secret.to_hex();
        stdin
            .write_all(format!("{secret}\n").as_bytes())
            .await
            .map_err(|e| format!("cannot reach the process: {e}"))?;
        let agent = reported
            .await
            .map_err(|_| "the process did not report".to_owned())?;
        let actor = agent
            .create(
                order.type_name.to_owned(),
                order.value,
                order.stop_on_failure,
            )
            .timeout(START_TIMEOUT)
            .ask()
            .await
            .map_err(|e| match e {
                AskError::Handler(why) => why,
                e => format!("the process did not answer: {e}"),
            })?;
        Ok::<_, String>((stdin, actor))
    };
    let started = tokio::time::timeout(START_TIMEOUT, started).await;
    lock(&inner.starting).remove(&pid);
    // On failure `child` is dropped here, which kills the process (and tokio reaps it).
    let (stdin, actor) = started.map_err(|_| "the process did not start in time".to_owned())??;
    let info = ProcessInfo {
        pid,
        actor: actor.clone(),
        actor_type: order.type_name.to_owned(),
    };
    lock(&inner.running).insert(pid, info);
    let listed = Listed {
        inner: Arc::downgrade(&inner),
        pid,
    };
    let ended = async move {
        // Held until the process ends: closing it tells the child its parent is gone.
        let _stdin = stdin;
        let _listed = listed;
        describe(child.wait().await)
    };
    Ok(StartedProcess::new(actor, pid, Box::pin(ended)))
}

/// How a process ended, in words.
fn describe(status: std::io::Result<std::process::ExitStatus>) -> String {
    let status = match status {
        Ok(status) => status,
        Err(e) => return format!("could not be waited for: {e}"),
    };
    if let Some(code) = status.code() {
        return format!("exited with status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal} ({})", signal_name(signal));
        }
    }
    format!("ended: {status}")
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        _ => "another signal",
    }
}

/// The parent's side of a starting child: the child reports its agent here.
pub(crate) struct Registry {
    inner: Weak<Inner>,
}

#[actor(name = "thespian_net::process::Registry")]
impl Registry {
    /// Child process `pid` is ready; its agent creates its actor.
    async fn ready(&mut self, pid: u32, agent: Addr<Agent>) -> bool {
        let Some(inner) = self.inner.upgrade() else {
            return false;
        };
        let waiting = lock(&inner.starting).remove(&pid);
        waiting.is_some_and(|ready| ready.send(agent).is_ok())
    }

    /// The child processes running now.
    async fn running(&self) -> Vec<ProcessInfo> {
        self.inner
            .upgrade()
            .map(|inner| lock(&inner.running).values().cloned().collect())
            .unwrap_or_default()
    }
}

/// Makes one registered actor type in a child process, from its encoded value.
type Factory = fn(
    NetSystem,
    Vec<u8>,
    bool,
) -> Pin<Box<dyn Future<Output = Result<ActorAddress, String>> + Send>>;

/// The actor types a child process can run (see [`serve_if_child`]).
#[derive(Default)]
pub struct ProcessTypes {
    factories: HashMap<&'static str, Factory>,
}

impl std::fmt::Debug for ProcessTypes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.factories.keys()).finish()
    }
}

impl ProcessTypes {
    /// Lets child processes run actors of type `A`.
    pub fn register<A>(&mut self) -> &mut Self
    where
        A: Actor + Serialize + DeserializeOwned,
    {
        fn make<A: Actor + DeserializeOwned>(
            net: NetSystem,
            value: Vec<u8>,
            stop_on_failure: bool,
        ) -> Pin<Box<dyn Future<Output = Result<ActorAddress, String>> + Send>> {
            Box::pin(async move {
                let actor: A = net.decode(&value).map_err(|e| e.to_string())?;
                // A failure ends the actor (and its process) when the parent restarts or stops
                // it; its restart is a fresh process.
                let options = match stop_on_failure {
                    true => ActorOptions::new().supervision(Supervision::Stop),
                    false => ActorOptions::new(),
                };
                net.system()
                    .create_actor_with(actor, options)
                    .await
                    .map(|addr| addr.address())
                    .map_err(|e| e.to_string())
            })
        }
        self.factories.insert(A::type_name(), make::<A>);
        self
    }
}

/// A child process's agent: creates its one actor, and ends the process when the actor ends.
pub(crate) struct Agent {
    types: ProcessTypes,
    net: NetSystem,
    actor: Option<ActorAddress>,
    ended: Option<oneshot::Sender<()>>,
}

#[actor(name = "thespian_net::process::Agent")]
impl Agent {
    /// Creates the process's actor.
    async fn create(
        &mut self,
        type_name: String,
        value: Vec<u8>,
        stop_on_failure: bool,
        ctx: &mut Context<Self>,
    ) -> Result<ActorAddress, String> {
        if self.actor.is_some() {
            return Err("this process runs its actor already".into());
        }
        let Some(make) = self.types.factories.get(type_name.as_str()) else {
            return Err(format!(
                "{type_name} is not registered for child processes (serve_if_child)"
            ));
        };
        let actor = make(self.net.clone(), value, stop_on_failure).await?;
        ctx.watch(&actor);
        self.actor = Some(actor.clone());
        Ok(actor)
    }

    #[watched_exited]
    async fn actor_ended(&mut self, _exited: WatchedActorExited) {
        if let Some(ended) = self.ended.take() {
            let _ = ended.send(());
        }
    }
}

/// At the top of `main`: in a child process started by a process base, serves its one actor
/// (of a type that `register` registers) and exits the process when the actor ends, or when
/// the parent is gone; never returns there. In the program itself, returns at once.
pub fn serve_if_child(register: impl FnOnce(&mut ProcessTypes)) {
    let Some(parent) = std::env::var_os(PARENT) else {
        return;
    };
    let mut types = ProcessTypes::default();
    register(&mut types);
    // A thread of its own, so that this works whether or not the caller is inside a runtime.
    let served = std::thread::spawn(move || serve(parent, types)).join();
    std::process::exit(match served {
        Ok(Ok(())) => 0,
        Ok(Err(why)) => {
            tracing::error!(target: "thespian_net::process", %why, "child process failed");
            2
        }
        Err(_) => 101,
    });
}

/// A child process's life: joins the parent, runs the actor, ends with it.
fn serve(parent: OsString, types: ProcessTypes) -> Result<(), String> {
    let parent: SocketAddr = parent
        .to_str()
        .and_then(|p| p.parse().ok())
        .ok_or("the parent's address is not an address")?;
    let mut secret = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut secret)
        .map_err(|e| format!("no secret: {e}"))?;
    let secret = crate::Secret::from_hex(&secret).map_err(|e| e.to_string())?;

    // The parent holds the other end of standard input: it closes when the parent ends, however
    // it ends, and so does this process.
    std::thread::spawn(|| {
        let _ = std::io::stdin().lock().read_to_end(&mut Vec::new());
        std::process::exit(0);
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let system = ActorSystem::new();
        let listen = SocketAddr::from(([127, 0, 0, 1], 0));
        let net = NetSystem::start(&system, NetConfig::new(listen, secret))
            .await
            .map_err(|e| e.to_string())?;
        net.on_node_down(Box::new(move |node| {
            if node.addr == parent {
                std::process::exit(0);
            }
        }));
        let (ended, actor_ended) = oneshot::channel();
        let agent = Agent {
            types,
            net: net.clone(),
            actor: None,
            ended: Some(ended),
        };
        let agent = system
            .create_actor(agent)
            .await
            .map_err(|e| e.to_string())?;
        let registry: Addr<Registry> = net
            .lookup(parent, REGISTRY, START_TIMEOUT)
            .await
            .map_err(|e| e.to_string())?;
        let ready = registry
            .ready(std::process::id(), agent)
            .timeout(START_TIMEOUT)
            .ask();
        if ready.await != Ok(true) {
            return Err("the parent does not expect this process".into());
        }
        let _ = actor_ended.await;
        // The notice of the actor's end is on its way to the parent: let it leave.
        net.flush(Duration::from_secs(1)).await;
        Ok(())
    })
}
