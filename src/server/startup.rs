//! Building the application from settings: database, migrations, first admin, adapters, the
//! periodic tasks, router, listener. `build` binds before it returns, so tests can ask for port 0
//! and read the real port.

pub mod routes;
pub mod state;

use crate::model::payment::Provider;
use crate::server::accounts::passwords::Hasher;
use crate::server::accounts::service as accounts;
use crate::server::accounts::session_cache::SessionCache;
use crate::server::accounts::sessions::SessionKey;
use crate::server::accounts::setup::SetupCode;
use crate::server::archive::fonts::FontFiles;
use crate::server::archive::transcript::TranscriptJobs;
use crate::server::chat::notify::UnreadMail;
use crate::server::chat::polling::PollSeats;
use crate::server::chat::routing::{self, Router};
use crate::server::chat::sessions::IdleClose;
use crate::server::chat::writer::MessageWriter;
use crate::server::crm::port::CrmError;
use crate::server::crm::switch::Crms;
use crate::server::crm::sync::CrmJobs;
use crate::server::crm::zoho::api::ZohoApi;
use crate::server::crm::zoho::connection::ZohoConnector;
use crate::server::crm::zoho::workdrive::WorkDriveStore;
use crate::server::files::uploads::{self, UploadArea};
use crate::server::jobs::supervisor::Supervisor;
use crate::server::jobs::{DataDirId, JobKind, Runner};
use crate::server::mail::folder::FolderMailer;
use crate::server::mail::smtp::SmtpMailer;
use crate::server::mail::{MailJobs, Mailer};
use crate::server::payments::providers::{
    PaymentProvider, stripe::StripeProvider, test_mode::TestProvider,
};
use crate::server::platform::config::{FileStoreKind, MailTransport, Settings};
use crate::server::platform::rate_limit::{AbuseLimits, RateLimit};
use crate::server::platform::secret_box::SecretBox;
use crate::server::platform::{db, http_server};
use crate::server::realtime::changes;
use crate::server::realtime::{Hub, pg_listener};
use crate::server::startup::state::AppState;
use crate::server::storage::{FileStore, local::LocalStore, s3::S3Store};
use chrono::Utc;
use leptos::config::{Env, LeptosOptions};
use migration::{Migrator, MigratorTrait};
use rand::RngCore;
use secrecy::ExposeSecret;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("first admin: {0}")]
    Bootstrap(crate::model::AppError),
    #[error("server: {0}")]
    Serve(std::io::Error),
    #[error("file store: {0}")]
    FileStore(String),
    #[error("payment provider: {0}")]
    Payments(String),
    #[error("mail: {0}")]
    Mail(String),
}

/// How often expired uploads are swept away.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    port: u16,
    state: AppState,
    tasks: Supervisor,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        std::fs::create_dir_all(&settings.data_dir).map_err(|source| StartupError::DataDir {
            path: settings.data_dir.display().to_string(),
            source,
        })?;
        let session_key = SessionKey::new(&session_secret(&settings)?);
        let secrets = SecretBox::new(&secrets_key(&settings)?);
        // Migrations run on a pool of their own, closed before the app's pool opens: a SQLite
        // connection that loaded the schema before an `ALTER TABLE` may compile a statement against
        // the old one (seen once: a new account read back with `notify_by_email` missing).
        let migrating = db::connect(&settings.database).await?;
        Migrator::up(&migrating, None).await?;
        migrating.close().await?;
        let db = db::connect(&settings.database).await?;
        let hasher = Hasher::new(
            settings.hash_permits(),
            std::time::Duration::from_millis(settings.auth.hash_wait_ms),
        );
        if let Some((email, password, name)) = settings.bootstrap_admin() {
            let created = accounts::bootstrap_admin(
                &db,
                &hasher,
                email,
                password,
                name,
                settings.auth.min_password_len,
            )
            .await
            .map_err(StartupError::Bootstrap)?;
            if created {
                tracing::info!(email, "created the first admin account");
            }
        }
        let setup = Arc::new(SetupCode::new(
            !accounts::admin_exists(&db)
                .await
                .map_err(StartupError::Bootstrap)?,
        ));
        if let Some(code) = setup.code() {
            tracing::warn!(
                "no administrator exists yet: open {}/setup and enter the setup code {code} to \
                 create the first one (or set bootstrap.admin_email and bootstrap.admin_password)",
                settings.public_base()
            );
        }
        let addr = settings.bind_addr();
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind {
                addr: addr.to_string(),
                source,
            })?;
        let local = listener.local_addr().map_err(StartupError::Serve)?;
        let leptos_options = LeptosOptions::builder()
            .output_name("dealchat")
            .site_root(settings.server.site_root.clone())
            .site_pkg_dir("pkg")
            .site_addr(local)
            .env(if cfg!(debug_assertions) {
                Env::DEV
            } else {
                Env::PROD
            })
            .build();
        crate::ui::lazy_page::load_manifest(
            &std::path::Path::new(&settings.server.site_root).join("pkg"),
        );
        let hub = Arc::new(Hub::new());
        if db.get_database_backend() == sea_orm::DbBackend::Postgres {
            // Other instances commit too; the listener tells the hub once it hears them all.
            pg_listener::spawn(db.clone(), hub.clone());
        } else {
            // SQLite has one server process, and every later commit goes through this hub.
            hub.hear_everything_after(changes::current(&db).await?);
        }
        let router = Arc::new(Router::new(chrono::Duration::seconds(
            i64::try_from(settings.routing.operator_gone_secs).unwrap_or(90),
        )));
        let writer = MessageWriter::spawn(
            db.clone(),
            hub.clone(),
            router.clone(),
            settings.chat.write_batch_max,
            chrono::Duration::seconds(
                i64::try_from(settings.mail.notify_delay_secs).unwrap_or(120),
            ),
        );
        let send_rate = Arc::new(RateLimit::new(
            settings.chat.sends_per_second,
            settings.chat.send_burst,
        ));
        let zoho_api = Arc::new(ZohoApi::new(db.clone(), secrets, settings.crm.zoho.clone()));
        let crm = Arc::new(Crms::new(
            db.clone(),
            zoho_api.clone(),
            std::time::Duration::from_secs(settings.crm.panel_cache_secs),
        ));
        let here = DataDirId::of(&settings.data_dir).map_err(|source| StartupError::DataDir {
            path: settings.data_dir.display().to_string(),
            source,
        })?;
        let Stores { files, workdrive } = file_store(&settings, &db, &zoho_api, &here)?;
        let zoho = Arc::new(ZohoConnector::new(
            db.clone(),
            zoho_api,
            &settings.public_base(),
        ));
        let mut tasks = Supervisor::new();
        if settings.jobs.run {
            let runner = job_runner(
                &settings,
                JobDeps {
                    crm: &crm,
                    store: &files,
                    key: session_key.clone(),
                    hub: &hub,
                    router: &router,
                },
            )?;
            if let Some(workdrive) = &workdrive {
                workdrive_pushes(&mut tasks, &settings, &db, workdrive, here);
            }
            let (poll_db, poll_hub, poll_crm) = (db.clone(), hub.clone(), crm.clone());
            tasks.every(
                "CRM deal poll",
                std::time::Duration::from_secs(settings.crm.poll_secs),
                move || {
                    let (db, hub, crm) = (poll_db.clone(), poll_hub.clone(), poll_crm.clone());
                    async move {
                        match crate::server::crm::poll::poll_deals(&db, &hub, &crm).await {
                            // Told on the CRM page; the poll goes on once it is reconnected.
                            Ok(_) | Err(CrmError::Waiting(_)) => {}
                            Err(e) => tracing::warn!(error = %e, "CRM deal poll failed"),
                        }
                    }
                },
            );
            let job_db = db.clone();
            tasks.every(
                "jobs",
                std::time::Duration::from_millis(settings.jobs.poll_ms),
                move || {
                    let (db, runner) = (job_db.clone(), runner.clone());
                    async move {
                        if let Err(e) = runner.run_due(&db, Utc::now()).await {
                            tracing::warn!(error = %e, "job pass failed");
                        }
                    }
                },
            );
        }
        let (route_db, route_hub, route_router) = (db.clone(), hub.clone(), router.clone());
        tasks.every(
            "routing sweep",
            std::time::Duration::from_secs(settings.routing.sweep_secs),
            move || {
                let (db, hub, router) = (route_db.clone(), route_hub.clone(), route_router.clone());
                async move {
                    match routing::drain_all(&db, &hub, &router).await {
                        Ok(0) => {}
                        Ok(n) => {
                            tracing::info!(assigned = n, "routing sweep assigned waiting chats")
                        }
                        Err(e) => tracing::warn!(error = %e, "routing sweep failed"),
                    }
                }
            },
        );
        let payments = payment_provider(&settings)?;
        let staging = settings.data_dir.join("staging");
        let upload_area =
            Arc::new(
                UploadArea::new(staging.clone()).map_err(|source| StartupError::DataDir {
                    path: staging.display().to_string(),
                    source,
                })?,
            );
        let (sweep_db, area, store) = (db.clone(), upload_area.clone(), files.clone());
        tasks.every("upload sweeper", SWEEP_EVERY, move || {
            let (db, area, store) = (sweep_db.clone(), area.clone(), store.clone());
            async move {
                match uploads::sweep(&db, &area, store.as_ref()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(removed = n, "swept abandoned uploads"),
                    Err(e) => tracing::warn!(error = %e, "upload sweep failed"),
                }
            }
        });
        let max_polls = settings.chat.max_polls_per_user;
        let limits = Arc::new(AbuseLimits::new(
            &settings.rate_limits,
            settings.trusted_proxies(),
        ));
        let session_cache = Arc::new(SessionCache::new(
            hub.clone(),
            std::time::Duration::from_secs(settings.session.cache_secs),
            settings.session.cache_entries,
        ));
        let state = AppState {
            leptos_options,
            db,
            settings: Arc::new(settings),
            session_key,
            hasher,
            setup,
            hub,
            session_cache,
            writer,
            router,
            send_rate,
            poll_seats: Arc::new(PollSeats::new(max_polls)),
            poll_reads: Arc::default(),
            limits,
            crm,
            zoho,
            files,
            uploads: upload_area,
            payments,
        };
        crate::api::register_server_functions();
        let router = routes::router(state.clone());
        Ok(Application {
            listener,
            router,
            port: local.port(),
            state,
            tasks,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        tracing::info!(port = self.port, "dealchat listening");
        // Waiting polls answer at once, so draining does not wait out their timeout.
        let hub = self.state.hub.clone();
        let shutdown = async move {
            shutdown.await;
            hub.stop();
        };
        let limits = &self.state.settings.limits;
        let connection_limits = http_server::ConnectionLimits {
            max_total: limits.max_connections,
            max_per_ip: limits.max_connections_per_ip,
            body_idle: std::time::Duration::from_secs(limits.body_idle_secs),
            trusted_proxies: self.state.settings.trusted_proxies().into(),
        };
        http_server::serve(self.listener, self.router, connection_limits, shutdown).await;
        // Periodic tasks finish the pass they are in (a job delivery is not cut in half).
        self.tasks.shutdown().await;
        self.state.db.close_by_ref().await?;
        tracing::info!("dealchat stopped");
        Ok(())
    }
}

/// What the job handlers are built from.
pub struct JobDeps<'a> {
    pub crm: &'a Arc<Crms>,
    pub store: &'a Arc<dyn FileStore>,
    pub key: SessionKey,
    pub hub: &'a Arc<Hub>,
    pub router: &'a Arc<Router>,
}

/// The transcript jobs; a missing font directory is told at start-up (the jobs wait for it).
fn transcript_jobs(settings: &Settings, deps: &JobDeps<'_>) -> TranscriptJobs {
    if let Err(e) = FontFiles::check(&settings.transcripts.font_dir) {
        tracing::warn!(error = %e, "transcripts cannot be made until the fonts are there");
    }
    TranscriptJobs::new(
        deps.store.clone(),
        deps.hub.clone(),
        settings.data_dir.join("staging"),
        settings.transcripts.clone(),
    )
}

/// The job runner with every feature's handlers.
pub fn job_runner(settings: &Settings, deps: JobDeps<'_>) -> Result<Runner, StartupError> {
    let transcripts = transcript_jobs(settings, &deps);
    let JobDeps {
        crm,
        store,
        key,
        hub,
        router,
    } = deps;
    let idle = IdleClose {
        hub: hub.clone(),
        router: router.clone(),
        timeout_override: settings
            .chat
            .idle_close_secs
            .map(|s| chrono::Duration::seconds(i64::try_from(s).unwrap_or(7200))),
    };
    let unread = UnreadMail {
        key,
        base: settings.public_base(),
        interval: chrono::Duration::minutes(
            i64::try_from(settings.mail.notify_interval_mins).unwrap_or(30),
        ),
    };
    Ok(Runner::new(
        settings.jobs.max_attempts,
        std::time::Duration::from_secs(settings.jobs.wait_recheck_secs),
    )
    .register(
        &[
            JobKind::SyncDeal,
            JobKind::OfferNote,
            JobKind::PaymentNote,
            JobKind::TranscriptToCrm,
            JobKind::CrmPerson,
            JobKind::CrmSession,
            JobKind::CrmManual,
        ],
        Arc::new(CrmJobs::new(
            crm.clone(),
            store.clone(),
            usize::try_from(settings.crm.max_attachment_mb << 20).unwrap_or(usize::MAX),
        )),
    )
    .register(&[JobKind::RenderTranscript], Arc::new(transcripts))
    .register(&[JobKind::SendMail], Arc::new(mail_jobs(settings)?))
    .register(&[JobKind::NotifyUnread], Arc::new(unread))
    .register(&[JobKind::IdleClose], Arc::new(idle)))
}

/// The configured mail transport, as the handler of `SendMail` jobs.
fn mail_jobs(settings: &Settings) -> Result<MailJobs, StartupError> {
    let mailer: Arc<dyn Mailer> = match settings.mail.transport {
        MailTransport::Smtp => {
            Arc::new(SmtpMailer::new(&settings.mail.smtp).map_err(StartupError::Mail)?)
        }
        MailTransport::Folder => Arc::new(FolderMailer::new(settings.data_dir.join("mail"))),
    };
    let from = settings
        .mail
        .from
        .parse()
        .map_err(|e| StartupError::Mail(format!("mail.from: {e}")))?;
    Ok(MailJobs::new(mailer, from))
}

/// WorkDrive's pushes run in a runner of their own, so a file taking minutes to go up never
/// holds up the CRM's or the mail's jobs; it takes the pushes of this data directory only (the
/// files are on its disk). Shutdown cuts a push short: its job is taken again once its claim
/// runs out. A sweep removes outbox files a crash left without a push.
fn workdrive_pushes(
    tasks: &mut Supervisor,
    settings: &Settings,
    db: &sea_orm::DatabaseConnection,
    workdrive: &Arc<WorkDriveStore>,
    here: DataDirId,
) {
    let pushes = Runner::new(
        settings.jobs.max_attempts,
        std::time::Duration::from_secs(settings.jobs.wait_recheck_secs),
    )
    .here(here)
    .register(&[JobKind::WorkDrivePush], workdrive.clone());
    let push_db = db.clone();
    tasks.every_cut_at_shutdown(
        "WorkDrive pushes",
        std::time::Duration::from_millis(settings.jobs.poll_ms),
        move || {
            let (db, pushes) = (push_db.clone(), pushes.clone());
            async move {
                if let Err(e) = pushes.run_due(&db, Utc::now()).await {
                    tracing::warn!(error = %e, "WorkDrive push pass failed");
                }
            }
        },
    );
    let store = workdrive.clone();
    tasks.every("WorkDrive outbox sweep", SWEEP_EVERY, move || {
        let store = store.clone();
        async move {
            match store.sweep_outbox().await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(removed = n, "swept WorkDrive outbox files left by a crash")
                }
                Err(e) => tracing::warn!(error = %e, "WorkDrive outbox sweep failed"),
            }
        }
    });
}

/// The configured file store, and WorkDrive's as itself when it is the one (its pushes are jobs
/// of its own).
struct Stores {
    files: Arc<dyn FileStore>,
    workdrive: Option<Arc<WorkDriveStore>>,
}

/// The configured file store. WorkDrive's goes through the Zoho connection and keeps files on
/// their way there in the data directory's `workdrive-outbox`.
fn file_store(
    settings: &Settings,
    db: &sea_orm::DatabaseConnection,
    zoho: &Arc<ZohoApi>,
    here: &DataDirId,
) -> Result<Stores, StartupError> {
    let files: Arc<dyn FileStore> = match settings.files.store {
        FileStoreKind::WorkDrive => {
            let workdrive = Arc::new(WorkDriveStore::new(
                db.clone(),
                zoho.clone(),
                settings.files.workdrive.clone(),
                settings.data_dir.join("workdrive-outbox"),
                here.clone(),
            ));
            return Ok(Stores {
                files: workdrive.clone(),
                workdrive: Some(workdrive),
            });
        }
        FileStoreKind::S3 => Arc::new(
            S3Store::new(&settings.files.s3).map_err(|e| StartupError::FileStore(e.to_string()))?,
        ),
        FileStoreKind::Local => Arc::new(LocalStore::new(settings.data_dir.join("files"))),
    };
    Ok(Stores {
        files,
        workdrive: None,
    })
}

/// The configured payment provider.
fn payment_provider(settings: &Settings) -> Result<Arc<dyn PaymentProvider>, StartupError> {
    match settings.payments.provider {
        Provider::Stripe => Ok(Arc::new(
            StripeProvider::new(&settings.payments.stripe)
                .map_err(|e| StartupError::Payments(e.to_string()))?,
        )),
        Provider::Test => {
            if settings.secure_cookies() {
                tracing::warn!(
                    "payments.provider is test on an https site: no money moves, every payment \
                     shows TEST (payments.allow_test_mode is set)"
                );
            }
            Ok(Arc::new(TestProvider))
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal received; draining requests");
}

/// The configured secret, or one generated on first start and kept in the data dir.
fn session_secret(settings: &Settings) -> Result<Vec<u8>, StartupError> {
    let configured = settings.session.secret.expose_secret();
    if !configured.is_empty() {
        return Ok(configured.as_bytes().to_vec());
    }
    let path = settings.data_dir.join("session_secret");
    let io_err = |source| StartupError::DataDir {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read(&path) {
        Ok(bytes) if bytes.len() >= 32 => Ok(bytes),
        _ => {
            let mut bytes = vec![0u8; 48];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            write_private(&path, &bytes).map_err(io_err)?;
            Ok(bytes)
        }
    }
}

/// The key that seals CRM credentials: configured, or generated on first start into the data dir.
fn secrets_key(settings: &Settings) -> Result<[u8; 32], StartupError> {
    let configured = settings.secrets.key.expose_secret();
    if let Some(key) = SecretBox::parse_key(configured) {
        return Ok(key);
    }
    let path = settings.data_dir.join("secrets_key");
    let io_err = |source| StartupError::DataDir {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read(&path) {
        Ok(bytes) if bytes.len() == 32 => Ok(bytes.try_into().unwrap_or([0; 32])),
        Ok(_) => Err(io_err(std::io::Error::other(
            "not 32 bytes: restore it from a backup, or remove it and connect the CRM again",
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SecretBox::generate_key();
            write_private(&path, &key).map_err(io_err)?;
            Ok(key)
        }
        Err(e) => Err(io_err(e)),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(bytes)
}
