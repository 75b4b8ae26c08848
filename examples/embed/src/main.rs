//! A notes app embedding tt-consent, tt-installation and tt-telemetry: two
//! events of its own, sent to the OTLP/HTTP receiver given as the argument
//! only after consent. `cargo run -p embed-example -- http://127.0.0.1:4318`

use std::sync::Arc;

use tt_consent::{ConsentLevel, DeployerPolicy};
use tt_installation::Installation;
use tt_telemetry::values::DeploymentType;
use tt_telemetry::{
    AppVersion, Catalog, Category, Count, Fingerprint, HostFacts, IdentitySnapshot,
    InMemoryIdentity, InstallId, Outcome, Telemetry, TelemetryConfig, UserId,
};

const NOTES: Category = Category::new("notes", "Notes");

tt_telemetry::closed_enum! {
    /// How a note is written.
    pub enum Format { Plain = "plain", Markdown = "markdown" }
}

tt_telemetry::events! {
    /// What happens in the notes app.
    pub enum Event {
        /// A note was saved.
        NoteSaved = "note.saved", NOTES, Detailed {
            /// Its length.
            words: Count,
            /// How it is written.
            format: Format,
        }
        /// A note was shared.
        NoteShared = "note.shared", NOTES, Detailed {
            /// With how many people.
            people: Count,
        }
    }
}

static CATALOG: Catalog = Catalog::new("Notes", "notes", 1, &[NOTES], Event::EVENTS);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoint = std::env::args().nth(1).ok_or("usage: embed-example URL")?;
    let dir = std::env::temp_dir().join(format!("notes-{}", std::process::id()));
    let installation = Installation::open_in_dir(&dir, DeployerPolicy::Unset, true)?;
    let installation = Arc::new(installation);
    let identity = InMemoryIdentity::new(IdentitySnapshot::fresh(
        InstallId::new(installation.install_id()),
        Fingerprint::from_hex(&installation.fingerprint("notes-host"))?,
        HostFacts::detect(DeploymentType::Native),
    ));
    let mut config = TelemetryConfig::new(&CATALOG, AppVersion::parse("0.1.0")?);
    config.endpoint = Some(endpoint);
    let telemetry = Telemetry::new(config, installation.clone(), Arc::new(identity))?;

    let (user, words) = (Some(UserId::new(1)), Count::new(120));
    let saved = Event::NoteSaved {
        words,
        format: Format::Markdown,
    };
    telemetry.track(saved, user); // no consent yet: never sent
    installation.set_consent(ConsentLevel::Detailed, true, "user:1")?;
    telemetry.consent_changed();
    telemetry.track(saved, user);
    telemetry.track(
        Event::NoteShared {
            people: Count::new(2),
        },
        user,
    );

    telemetry.shutdown();
    let count = |outcome| telemetry.status().count(ConsentLevel::Detailed, outcome);
    let (sent, dropped) = (count(Outcome::Sent), count(Outcome::DroppedNoConsent));
    println!("sent {sent}, dropped without consent {dropped}");
    Ok(std::fs::remove_dir_all(&dir)?)
}
