//! The composition root of TimeTracker: settings, logging and wiring of the
//! library crates into a running server, shared by `main` and the tests.
//!
//! Only this crate names concrete implementations; the libraries it wires
//! know nothing about processes, files of settings or the environment.

pub mod installation;
pub mod log_format;
pub mod log_writer;
pub mod observability;
pub mod privacy;
pub mod private_fs;
pub mod settings;
pub mod settings_doc;
pub mod telemetry;

use std::net::{SocketAddr, TcpListener};

use anyhow::Context;
use tt_http::{AppState, HttpSettings};
use tt_persistence::Pool;

pub use observability::init_logging;
pub use settings::Settings;

/// The app version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Everything needed to serve, prepared before the server starts.
#[derive(Debug)]
pub struct Prepared {
    /// The bound listener (port 0 already resolved).
    pub listener: TcpListener,
    /// The address actually bound.
    pub addr: SocketAddr,
    /// The application state.
    pub state: AppState,
    /// Worker threads.
    pub workers: usize,
    /// After SIGTERM: how long `/readyz` answers 503 before the listener
    /// closes.
    pub drain: std::time::Duration,
    /// After the listener closed: how long requests in flight may take.
    pub shutdown_timeout: std::time::Duration,
}

/// Opens the database (migrating it), loads the secret and binds the port.
/// Fails with a clear message on any problem, before serving anything.
pub fn prepare(settings: &Settings) -> anyhow::Result<Prepared> {
    private_fs::create_dir(&settings.data_dir).with_context(|| {
        format!(
            "cannot create data directory {}",
            settings.data_dir.display()
        )
    })?;
    let secret_key = settings::load_or_create_secret(settings)?;
    let pool = open_database(settings)?;
    let telemetry_config = telemetry::telemetry_config(settings)?;
    let recipient = telemetry::recipient(&telemetry_config);
    let installation =
        installation::open_installation(settings, &pool, telemetry_config.sink_configured())?;
    installation::spawn_refresh(
        &installation,
        std::time::Duration::from_secs(settings.installation_refresh_seconds),
    );
    let listener = TcpListener::bind((settings.bind_addr.as_str(), settings.port))
        .with_context(|| format!("cannot listen on {}:{}", settings.bind_addr, settings.port))?;
    let addr = listener.local_addr()?;
    if settings.cookie_secure()? == tt_http::CookieSecure::Auto
        && settings.trusted_proxy_networks()?.is_empty()
    {
        tracing::info!(
            "COOKIE_SECURE=auto without TRUSTED_PROXIES: session cookies are marked Secure only \
             on HTTPS this server terminates itself; behind a TLS-terminating proxy, list the \
             proxy in TRUSTED_PROXIES (or set COOKIE_SECURE=true)"
        );
    }
    let http = HttpSettings {
        secret_key,
        cookie_secure: settings.cookie_secure()?,
        session_ttl: settings.session_ttl(),
        trusted_proxies: settings.trusted_proxy_networks()?,
        ..HttpSettings::default()
    };
    let workers = if settings.workers == 0 {
        std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(2)
    } else {
        settings.workers
    };
    let hostname = installation::hostname();
    let sink = telemetry::start_telemetry(
        telemetry_config,
        &installation,
        &hostname,
        Some(pool.clone()),
    )?;
    let privacy = tt_http::PrivacyFacts {
        official_build: Settings::official_build(),
        recipient,
        sentry_enabled: settings.sentry_dsn().is_some(),
        hostname,
    };
    let app = tt_app::App::new(pool, installation)
        .with_calendar(settings.calendar()?)
        .with_login_limits(settings.login_limits());
    // A deployment setting that changed a consent level since the last
    // start goes into the consent history.
    tt_app::consent::record_deployment_settings(&app)
        .context("cannot record the deployment's telemetry setting in the consent history")?;
    let state = AppState::new(app, http, privacy).with_telemetry(sink);
    Ok(Prepared {
        listener,
        addr,
        state,
        workers,
        drain: std::time::Duration::from_secs(settings.shutdown_drain_seconds),
        shutdown_timeout: std::time::Duration::from_secs(settings.shutdown_timeout_seconds),
    })
}

/// Connects to the configured database and brings it to the current schema.
/// `timetracker user create`: the operator creates an account, validated
/// by the same readers and the same action as the API and the admin page.
pub fn create_user(
    settings: &Settings,
    username: &str,
    email: Option<&str>,
    password: &str,
    admin: bool,
) -> anyhow::Result<tt_domain::User> {
    let account = tt_app::users::NewAccount {
        username: tt_domain::Username::parse(username)?,
        email: tt_app::input::email(email).map_err(|e| anyhow::anyhow!("{e}"))?,
        password: tt_domain::Password::parse(password, &[username, email.unwrap_or_default()])?,
        role: if admin {
            tt_domain::Role::Admin
        } else {
            tt_domain::Role::User
        },
    };
    let app = open_app(settings)?;
    tt_app::users::create_by_operator(&app, account).map_err(|e| anyhow::anyhow!("{e}"))
}

/// `timetracker user set-password`: the operator sets a user's password;
/// the same strength rule as everywhere, and every session and token ends.
pub fn set_password(
    settings: &Settings,
    username: &str,
    password: &str,
    temporary: bool,
) -> anyhow::Result<tt_domain::User> {
    let username = tt_domain::Username::parse(username)?;
    let app = open_app(settings)?;
    tt_app::users::set_password_by_operator(&app, &username, password, temporary).map_err(|e| {
        match e {
            tt_app::AppError::NotFound => anyhow::anyhow!("no user named {username}"),
            other => anyhow::anyhow!("{other}"),
        }
    })
}

/// The application layer on this installation's database and store, for
/// CLI commands (no telemetry sink: the CLI tracks nothing).
pub fn open_app(settings: &Settings) -> anyhow::Result<tt_app::App> {
    let pool = open_database(settings)?;
    let sink = telemetry::telemetry_config(settings)?.sink_configured();
    let installation = installation::open_installation(settings, &pool, sink)?;
    Ok(tt_app::App::new(pool, installation).with_calendar(settings.calendar()?))
}

pub fn open_database(settings: &Settings) -> anyhow::Result<Pool> {
    let url = ensure_database_dir(settings)?;
    Pool::connect_and_migrate(&url, settings.db_pool_size)
        .with_context(|| format!("cannot open database {}", settings.database_url_redacted()))
}

/// Creates the directory (`0700`) and the file (`0600`) of a SQLite
/// database; returns the URL.
pub fn ensure_database_dir(settings: &Settings) -> anyhow::Result<String> {
    let url = settings.database_url();
    if tt_persistence::Backend::from_url(&url) == tt_persistence::Backend::Sqlite {
        let file = std::path::Path::new(url.strip_prefix("sqlite://").unwrap_or(&url));
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            private_fs::create_dir(dir)
                .with_context(|| format!("cannot create database directory {}", dir.display()))?;
        }
        // A plain file path (not `:memory:` nor a `file:` URI with options).
        let plain = !url.contains('?') && !url.starts_with("file:") && !url.contains(":memory:");
        if plain {
            private_fs::create_file(file)
                .with_context(|| format!("cannot create database file {}", file.display()))?;
        }
    }
    Ok(url)
}

/// Serves until the process is told to stop (SIGTERM or SIGINT), then
/// drains: `/readyz` answers 503 at once; after the drain delay new
/// connection attempts are held back, the ones already established are
/// accepted, and the listener closes (the held-back attempts are then
/// refused); the requests in flight get the shutdown timeout to finish;
/// queued telemetry is sent within its own bound. The caller flushes the
/// logs by dropping its observability.
pub async fn serve(prepared: Prepared) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    // Registered before serving, so a signal is never missed.
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    // Announced only now: a signal sent as soon as a supervisor (or a test)
    // reads this line is handled as a stop, not by the default action.
    eprintln!(
        "TimeTracker {VERSION} listening on http://{}",
        prepared.addr
    );
    let readiness = prepared.state.readiness().clone();
    let telemetry = prepared.state.telemetry().cloned();
    let drain = prepared.drain;
    // The same listening socket as the server's, to close it without
    // losing a connection: see `refuse_new_connections`.
    let listening = prepared
        .listener
        .try_clone()
        .context("cannot share the listening socket")?;
    let stop = async move {
        let received = tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        };
        readiness.begin_draining();
        tracing::info!(
            signal = received,
            drain_seconds = drain.as_secs(),
            "stopping: /readyz answers 503"
        );
        tokio::time::sleep(drain).await;
        refuse_new_connections(&listening);
        // The server accepts what had already connected...
        tokio::time::sleep(ACCEPT_SETTLE).await;
        // ...then the socket closes (this handle, then the server's).
        drop(listening);
        tracing::info!("no longer accepting connections; finishing the requests in flight");
    };
    let stopping = tt_http::Stopping {
        signal: Some(Box::pin(stop)),
        timeout: prepared.shutdown_timeout,
    };
    tracing::info!(addr = %prepared.addr, "listening");
    tt_http::serve_until(
        prepared.state,
        prepared.listener,
        prepared.workers,
        stopping,
    )?
    .await?;
    if let Some(telemetry) = telemetry {
        let report = telemetry.shutdown();
        tracing::info!(
            completed = report.completed,
            unsent = report.unsent,
            elapsed_ms = u64::try_from(report.elapsed.as_millis()).unwrap_or(u64::MAX),
            "telemetry flushed"
        );
    }
    tracing::info!("stopped");
    Ok(())
}

/// How long a stopping server keeps accepting the connections that were
/// already established when it began to refuse new ones.
const ACCEPT_SETTLE: std::time::Duration = std::time::Duration::from_millis(150);

/// Makes the listening socket ignore new connection attempts (a socket
/// filter that drops every incoming SYN) while the connections the kernel
/// has already established stay queued for the server to accept. Closing
/// the listener straight away would reset those queued connections, and a
/// balancer that already sent a request on one (a POST, say) could not
/// safely send it elsewhere. An ignored attempt is retried by the client's
/// kernel after about a second, finds the port closed and is refused, which
/// a balancer answers by trying another replica.
fn refuse_new_connections(listener: &TcpListener) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // Classic BPF `ret #0`: keep no byte of any packet.
        const DROP_ALL: [socket2::SockFilter; 1] = [socket2::SockFilter::new(0x06, 0, 0, 0)];
        if let Err(e) = socket2::SockRef::from(listener).attach_filter(&DROP_ALL) {
            tracing::warn!(error = %e, "cannot hold new connections back while stopping");
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = listener;
}

/// A server running on its own thread, for tests and embedding.
#[derive(Debug)]
pub struct Background {
    /// Where it listens.
    pub addr: SocketAddr,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
    observability: Option<observability::Observability>,
}

impl Background {
    /// Starts the server from `settings` on a new thread with its own runtime.
    /// Its logs go to its own `log_dir`, whatever else runs in the process.
    pub fn start(settings: &Settings) -> anyhow::Result<Self> {
        let mut observability = observability::Observability::for_app(settings)?;
        let prepared = observability.in_scope(|| prepare(settings))?;
        let prepared = observability.attach(settings, prepared)?;
        let dispatch = observability.dispatch().clone();
        let addr = prepared.addr;
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("tt-server".into())
            .spawn(move || {
                let _log = tracing::dispatcher::set_default(&dispatch);
                let sys = actix_web::rt::System::new();
                sys.block_on(async move {
                    match tt_http::serve(prepared.state, prepared.listener, prepared.workers) {
                        Ok(server) => {
                            let _ = tx.send(Ok(server.handle()));
                            let _ = server.await;
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e));
                        }
                    }
                });
            })?;
        let handle = rx.recv().context("server thread ended early")??;
        Ok(Background {
            addr,
            handle,
            thread: Some(thread),
            observability: Some(observability),
        })
    }

    /// Stops the server gracefully and waits for its thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(thread) = self.thread.take() {
            let handle = self.handle.clone();
            let _ = std::thread::spawn(move || {
                actix_web::rt::System::new().block_on(handle.stop(true));
            })
            .join();
            let _ = thread.join();
        }
        // After the server: flushes its last log lines and Sentry events.
        self.observability.take();
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.shutdown();
    }
}
