//! The closed enumerations base telemetry uses: how and where the
//! application runs.

crate::closed_enum! {
    /// How an installation is deployed.
    pub enum DeploymentType {
        /// In a Docker (or OCI) container.
        Docker = "docker",
        /// A binary run directly on the host.
        Native = "native",
        /// On Kubernetes.
        Kubernetes = "kubernetes",
    }

    /// The operating system family.
    pub enum Platform {
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
    pub enum Architecture {
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
    pub enum ReleaseChannel {
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
