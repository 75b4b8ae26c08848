//! `timetracker`: the server and its command-line tools.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use timetracker::{Settings, VERSION};
use tt_domain::{Password, Role, Username};

/// mimalloc instead of the C library's allocator: a request allocates and
/// frees a few hundred small blocks, often on another thread than the one
/// that allocated them (`docs/reports/performance.md`, tenth round). Built
/// not to ask for transparent huge pages; where the kernel gives them
/// anyway (setting `always`), `MIMALLOC_ALLOW_THP=0` turns them off for the
/// process (the Docker image sets it; see the deployment guide).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "timetracker",
    version,
    about = "Self-hosted time tracking with privacy-first telemetry"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Bring the database to the current schema and exit.
    Migrate,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Inspect the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Complete first-run setup without a browser: create the first admin
    /// and record the consent choices (both off unless given).
    Setup {
        /// The first administrator's login name.
        #[arg(long)]
        admin_username: String,
        /// File whose first line is the administrator's password (else the
        /// first line of standard input).
        #[arg(long)]
        admin_password_file: Option<PathBuf>,
        /// Consent to the anonymous installation heartbeat.
        #[arg(long)]
        base_telemetry: bool,
        /// Consent to detailed product analytics.
        #[arg(long)]
        detailed_analytics: bool,
    },
    /// Telemetry: state and reasons.
    Telemetry {
        #[command(subcommand)]
        command: TelemetryCommand,
    },
    /// Privacy rights: data export, erasing local logs.
    Privacy {
        #[command(subcommand)]
        command: PrivacyCommand,
    },
    /// The installation identity (`installation.json`).
    Installation {
        #[command(subcommand)]
        command: InstallationCommand,
    },
    /// Print the version and the kind of build.
    Version,
}

#[derive(Subcommand)]
enum InstallationCommand {
    /// After `installation.json` was lost: a new install id, setup complete,
    /// both telemetry levels off.
    Recover,
}

#[derive(Subcommand)]
enum PrivacyCommand {
    /// Export everything stored about a user (JSON, or CSV of time entries).
    Export {
        /// The user's login name.
        #[arg(long)]
        user: String,
        /// `json` (default) or `csv`.
        #[arg(long, default_value = "json", value_parser = ["json", "csv"])]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Remove the local log files (app.jsonl and its rotations).
    EraseLogs {
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand)]
enum TelemetryCommand {
    /// Each consent level's effective state and the reason for it.
    Status,
    /// The exact next heartbeat, decoded to JSON (nothing is sent).
    Preview,
    /// Write the next heartbeat to a file, exactly as it would be sent
    /// (OTLP/HTTP request body), for manual submission from a server that
    /// cannot reach the receiver. Nothing is sent. Refused, writing
    /// nothing, while base telemetry is not allowed.
    Export {
        /// The file to write (replaced if it exists).
        #[arg(long)]
        out: PathBuf,
    },
    /// Ask the receiver to delete everything sent under the current install
    /// id: sends one deletion_request record (whatever the consent levels
    /// say), then gives the installation a new install id.
    DeleteRequest {
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Every event that can be sent, with its properties and consent level.
    Events {
        /// Print the Markdown of docs/all_tracked_events.md.
        #[arg(long, conflicts_with = "json")]
        markdown: bool,
        /// Print the machine-readable catalog, docs/telemetry/catalog.json
        /// (schema version, fingerprint, every event and property).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. The password comes from --password-file or, if not
    /// given, from the first line of standard input.
    Create {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Make the user an administrator.
        #[arg(long)]
        admin: bool,
        /// Optional e-mail address.
        #[arg(long)]
        email: Option<String>,
        /// File whose first line is the password.
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// Set a user's password (the password comes from --password-file or
    /// the first line of standard input). Every browser session and API
    /// token of theirs ends.
    SetPassword {
        /// Login name.
        #[arg(long)]
        username: String,
        /// File whose first line is the new password.
        #[arg(long)]
        password_file: Option<PathBuf>,
        /// Make the user choose a new password at their next sign-in.
        #[arg(long)]
        temporary: bool,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the effective settings, secrets redacted.
    Show,
    /// Print the settings reference (Markdown) that docs/ keeps.
    Docs,
}

fn main() -> ExitCode {
    // Every TLS client (Sentry, the telemetry exporter) needs a process-level
    // crypto provider; an error only means one is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Version = command {
        let build = if Settings::official_build() {
            "official build"
        } else {
            "self-hosted build"
        };
        println!("timetracker {VERSION} ({build})");
        return Ok(());
    }
    let settings = Settings::from_process_env()?;
    match command {
        Command::Serve => {
            let mut observability =
                timetracker::observability::Observability::for_process(&settings)?;
            let prepared = timetracker::prepare(&settings)?;
            let prepared = observability.attach(&settings, prepared)?;
            actix_web::rt::System::new().block_on(timetracker::serve(prepared))
        }
        Command::Migrate => {
            let url = timetracker::ensure_database_dir(&settings)?;
            let mut conn = tt_persistence::establish(&url)
                .with_context(|| format!("cannot open {}", settings.database_url_redacted()))?;
            let n = tt_persistence::run_migrations(&mut conn)?;
            println!("{n} migration(s) applied; the schema is current");
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Create {
                    username,
                    admin,
                    email,
                    password_file,
                },
        } => {
            let password = read_password(password_file.as_deref())?;
            let user =
                timetracker::create_user(&settings, &username, email.as_deref(), &password, admin)?;
            let role = user.role;
            println!("created {} user {} (id {})", role, user.username, user.id);
            Ok(())
        }
        Command::User {
            command:
                UserCommand::SetPassword {
                    username,
                    password_file,
                    temporary,
                },
        } => {
            let password = read_password(password_file.as_deref())?;
            let user = timetracker::set_password(&settings, &username, &password, temporary)?;
            println!(
                "password of {} set{}; their sessions and API tokens were ended",
                user.username,
                if temporary {
                    " (they choose a new one at their next sign-in)"
                } else {
                    ""
                }
            );
            Ok(())
        }
        Command::Setup {
            admin_username,
            admin_password_file,
            base_telemetry,
            detailed_analytics,
        } => {
            let account = tt_app::users::NewAccount {
                username: Username::parse(&admin_username)?,
                email: None,
                password: Password::parse(
                    &read_password(admin_password_file.as_deref())?,
                    &[&admin_username],
                )?,
                role: Role::Admin,
            };
            let app = timetracker::open_app(&settings)?;
            let installation = app.installation().clone();
            let user = tt_app::consent::setup_with_first_admin(
                &app,
                account,
                base_telemetry,
                detailed_analytics,
                tt_app::consent::ConsentSurface::Cli,
            )
            .map_err(|e| anyhow::anyhow!("cannot complete setup: {e}"))?;
            println!(
                "setup complete: administrator {} (id {})",
                user.username, user.id
            );
            print_consent(&installation);
            Ok(())
        }
        Command::Telemetry {
            command: TelemetryCommand::Status,
        } => {
            let pool = timetracker::open_database(&settings)?;
            let config = timetracker::telemetry::telemetry_config(&settings)?;
            let installation = timetracker::installation::open_installation(
                &settings,
                &pool,
                config.sink_configured(),
            )?;
            let build = if Settings::official_build() {
                "official"
            } else {
                "self-hosted"
            };
            println!("build: {build}");
            println!("install id: {}", installation.install_id());
            let recipient = timetracker::telemetry::recipient(&config);
            println!("recipient: {recipient}");
            println!("retention: {}", recipient.retention());
            print_consent(&installation);
            if config.debug {
                println!("TELEMETRY_DEBUG: payloads are logged, never sent");
            }
            // Send results live in the server process, not in the database.
            println!("last send: shown on the admin page of the running server (/admin/telemetry)");
            Ok(())
        }
        Command::Telemetry {
            command: TelemetryCommand::Preview,
        } => {
            let pool = timetracker::open_database(&settings)?;
            let config = timetracker::telemetry::telemetry_config(&settings)?;
            let installation = timetracker::installation::open_installation(
                &settings,
                &pool,
                config.sink_configured(),
            )?;
            let preview = timetracker::telemetry::preview(&settings, &installation)?;
            eprintln!(
                "Content-Type: {} ({} bytes); not sent",
                preview.content_type,
                preview.body.len()
            );
            println!("{}", preview.json);
            Ok(())
        }
        Command::Telemetry {
            command: TelemetryCommand::Export { out },
        } => {
            let pool = timetracker::open_database(&settings)?;
            let config = timetracker::telemetry::telemetry_config(&settings)?;
            let installation = timetracker::installation::open_installation(
                &settings,
                &pool,
                config.sink_configured(),
            )?;
            tt_app::consent::manual_submission_allowed(&installation)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let payload = timetracker::telemetry::preview(&settings, &installation)?;
            std::fs::write(&out, &payload.body)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "wrote the next heartbeat to {} ({} bytes, Content-Type: {}); nothing was sent",
                out.display(),
                payload.body.len(),
                payload.content_type
            );
            println!(
                "submit it with: curl --data-binary @{} -H 'Content-Type: {}' RECEIVER/v1/logs",
                out.display(),
                payload.content_type
            );
            Ok(())
        }
        Command::Telemetry {
            command: TelemetryCommand::DeleteRequest { yes },
        } => {
            let app = timetracker::open_app(&settings)?;
            let config = timetracker::telemetry::telemetry_config(&settings)?;
            let installation = app.installation().clone();
            let recipient = timetracker::telemetry::recipient(&config);
            if !yes {
                confirm(&format!(
                    "ask {recipient} to delete everything sent under install id {}, then replace the id?",
                    installation.install_id()
                ))?;
            }
            let identity = timetracker::telemetry::AppIdentity::new(
                installation,
                timetracker::installation::hostname(),
                None,
            );
            let done = tt_app::consent::request_deletion_as_operator(&app, || {
                tt_telemetry::send_deletion_request(&config, &identity)
            })
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "deletion requested from {recipient} for install id {}",
                done.deleted_id
            );
            println!("new install id: {}", done.new_id);
            Ok(())
        }
        Command::Telemetry {
            command: TelemetryCommand::Events { markdown, json },
        } => {
            if json {
                print!("{}", tt_events::CATALOG.json());
            } else if markdown {
                print!("{}", tt_events::CATALOG.markdown());
            } else {
                print!("{}", timetracker::telemetry::catalog_text());
            }
            Ok(())
        }
        Command::Config {
            command: ConfigCommand::Docs,
        } => {
            print!("{}", timetracker::settings_doc::settings_markdown());
            Ok(())
        }
        Command::Config {
            command: ConfigCommand::Show,
        } => {
            print!("{}", settings.to_redacted_toml()?);
            Ok(())
        }
        Command::Privacy {
            command:
                PrivacyCommand::Export {
                    user,
                    format,
                    output,
                },
        } => timetracker::privacy::export(&settings, &user, format == "csv", output.as_deref()),
        Command::Privacy {
            command: PrivacyCommand::EraseLogs { yes },
        } => timetracker::privacy::erase_logs(&settings, yes),
        Command::Installation {
            command: InstallationCommand::Recover,
        } => {
            let installation = timetracker::installation::recover(&settings)?;
            // Both levels are off now: the consent history says so.
            tt_app::consent::record_recovery(&timetracker::open_app(&settings)?).map_err(|e| {
                anyhow::anyhow!("cannot record the change in the consent history: {e}")
            })?;
            println!(
                "installation recovered: new install id {}; setup complete",
                installation.install_id()
            );
            print_consent(&installation);
            Ok(())
        }
        Command::Version => Ok(()),
    }
}

fn print_consent(installation: &tt_installation::Installation) {
    use tt_consent::{ConsentLevel, ConsentSource};
    for level in ConsentLevel::ALL {
        let e = installation.effective(level);
        let state = if e.enabled { "on" } else { "off" };
        println!("{level}: {state} — {}", e.reason);
    }
}

/// Asks on the terminal; without one, refuses (use `--yes`).
fn confirm(question: &str) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("refusing without --yes (no terminal to confirm on)");
    }
    eprint!("{question} type 'yes' to confirm: ");
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        bail!("not confirmed; nothing sent");
    }
    Ok(())
}

fn read_password(file: Option<&std::path::Path>) -> anyhow::Result<String> {
    let text = match file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read password file {}", path.display()))?,
        None => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprint!("password (input is shown; prefer --password-file): ");
            }
            let mut line = String::new();
            stdin
                .lock()
                .read_line(&mut line)
                .context("cannot read password from stdin")?;
            line
        }
    };
    let password = text.lines().next().unwrap_or("").to_owned();
    if password.is_empty() {
        bail!("no password given (first line of the file or of standard input)");
    }
    Ok(password)
}
