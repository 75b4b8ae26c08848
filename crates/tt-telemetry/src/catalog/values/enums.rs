//! The closed enumerations event properties and base telemetry use.

use std::fmt;

use super::{PropertyKind, PropertyType, PropertyValue, private};

closed_enums! {
    /// The workflow state of a task.
    TaskStatus {
        /// Not started.
        Todo = "todo",
        /// Being worked on.
        InProgress = "in_progress",
        /// Waiting for review.
        Review = "review",
        /// Finished.
        Done = "done",
    }

    /// The state of an invoice.
    InvoiceStatus {
        /// Being prepared.
        Draft = "draft",
        /// Sent to the client.
        Sent = "sent",
        /// Paid.
        Paid = "paid",
        /// Cancelled.
        Cancelled = "cancelled",
    }

    /// How a summary report is grouped.
    ReportGroupBy {
        /// One row per project.
        Project = "project",
        /// One row per user.
        User = "user",
        /// One row per day.
        Day = "day",
        /// One row per week (the reader's first weekday).
        Week = "week",
    }

    /// A user's role.
    UserRole {
        /// Administrator.
        Admin = "admin",
        /// Regular user.
        User = "user",
    }

    /// Why a login attempt failed.
    LoginFailureReason {
        /// Unknown user or wrong password (never says which).
        BadCredentials = "bad_credentials",
        /// The account is deactivated.
        InactiveUser = "inactive_user",
        /// Too many attempts; rate limited.
        RateLimited = "rate_limited",
    }

    /// How a user authenticated.
    AuthMethod {
        /// Username and password on the login form.
        Password = "password",
        /// Username and password exchanged for an API token
        /// (`POST /api/v1/auth/login`).
        ApiToken = "api_token",
    }

    /// Where an action came from.
    Surface {
        /// The server-rendered web UI.
        Web = "web",
        /// The JSON API under `/api/v1`.
        Api = "api",
    }

    /// What a comment is attached to.
    CommentTarget {
        /// A project.
        Project = "project",
        /// A task.
        Task = "task",
    }

    /// How an invoice was looked at.
    InvoiceView {
        /// The HTML page.
        Html = "html",
        /// The printable page.
        Print = "print",
        /// The PDF, downloaded.
        Pdf = "pdf",
    }

    /// A file format for exports.
    ExportFormat {
        /// JSON.
        Json = "json",
        /// CSV.
        Csv = "csv",
    }

    /// What happens to a deleted user's time entries.
    EntryDisposition {
        /// Kept, detached from the user.
        Anonymised = "anonymised",
        /// Deleted with the user.
        Deleted = "deleted",
    }

    /// A telemetry consent level, as a property value.
    TelemetryLevel {
        /// Base telemetry (install heartbeat).
        Base = "base",
        /// Detailed analytics (product events, page views).
        Detailed = "detailed",
    }

    /// How an installation is deployed.
    DeploymentType {
        /// In a Docker (or OCI) container.
        Docker = "docker",
        /// A binary run directly on the host.
        Native = "native",
        /// On Kubernetes.
        Kubernetes = "kubernetes",
    }

    /// The operating system family.
    Platform {
        /// Linux.
        Linux = "linux",
        /// macOS.
        Macos = "macos",
        /// Windows.
        Windows = "windows",
        /// FreeBSD.
        Freebsd = "freebsd",
        /// Anything else.
        Other = "other",
    }

    /// The CPU architecture.
    Architecture {
        /// 64-bit x86.
        X86_64 = "x86_64",
        /// 64-bit ARM.
        Aarch64 = "aarch64",
        /// 32-bit ARM.
        Arm = "arm",
        /// 32-bit x86.
        X86 = "x86",
        /// 64-bit RISC-V.
        Riscv64 = "riscv64",
        /// Anything else.
        Other = "other",
    }

    /// Which release line a build belongs to.
    ReleaseChannel {
        /// A tagged release.
        Stable = "stable",
        /// A pre-release.
        Beta = "beta",
        /// A nightly build.
        Nightly = "nightly",
        /// A local or development build.
        Development = "development",
    }

}

impl Platform {
    /// The platform this binary was built for.
    pub fn current() -> Platform {
        match std::env::consts::OS {
            "linux" => Platform::Linux,
            "macos" => Platform::Macos,
            "windows" => Platform::Windows,
            "freebsd" => Platform::Freebsd,
            _ => Platform::Other,
        }
    }
}

impl Architecture {
    /// The architecture this binary was built for.
    pub fn current() -> Architecture {
        match std::env::consts::ARCH {
            "x86_64" => Architecture::X86_64,
            "aarch64" => Architecture::Aarch64,
            "arm" => Architecture::Arm,
            "x86" => Architecture::X86,
            "riscv64" => Architecture::Riscv64,
            _ => Architecture::Other,
        }
    }
}

impl From<tt_consent::ConsentLevel> for TelemetryLevel {
    fn from(level: tt_consent::ConsentLevel) -> Self {
        match level {
            tt_consent::ConsentLevel::Base => TelemetryLevel::Base,
            tt_consent::ConsentLevel::Detailed => TelemetryLevel::Detailed,
        }
    }
}
