//! The real `timetracker` binary as a child process: its CLI, and `serve`
//! on a port of its own, stopped with real signals.
//!
//! The binary is the one `cargo test --workspace` builds next to this test
//! (`target/<profile>/timetracker`), or `TT_SERVER_BIN`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The server binary built alongside the tests; panics with what to do
/// when it is missing.
pub fn server_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("TT_SERVER_BIN") {
        return PathBuf::from(bin);
    }
    // `target/<profile>/deps/<test>-<hash>` → `target/<profile>/timetracker`.
    let exe = std::env::current_exe().expect("test executable");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|profile| profile.join("timetracker"))
        .expect("target directory");
    assert!(
        bin.is_file(),
        "no server binary at {} — build it first (`cargo build -p timetracker`; \
         `cargo test --workspace` does) or set TT_SERVER_BIN",
        bin.display()
    );
    bin
}

/// Settings of one server process, as environment variables, in a
/// directory of its own.
#[derive(Debug, Clone)]
pub struct ServerEnv {
    /// The working directory (data and logs below it unless overridden).
    pub dir: PathBuf,
    /// Every variable the process gets (besides `PATH`).
    pub vars: Vec<(String, String)>,
    /// The binary; [`server_binary`] unless set.
    pub binary: Option<PathBuf>,
}

impl ServerEnv {
    /// A process working in `dir`: data in `dir/data`, logs in `dir/logs`,
    /// no configuration files, port 0 on loopback, quiet console.
    pub fn new(dir: &Path) -> Self {
        let vars = [
            ("DATA_DIR", dir.join("data").display().to_string()),
            ("LOG_DIR", dir.join("logs").display().to_string()),
            ("CONFIG_DIR", dir.join("config").display().to_string()),
            ("BIND_ADDR", "127.0.0.1".to_owned()),
            ("PORT", "0".to_owned()),
            ("WORKERS", "2".to_owned()),
            ("LOG_FORMAT", "off".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        ServerEnv {
            dir: dir.to_owned(),
            vars,
            binary: None,
        }
    }

    /// Runs `binary` instead of the one built with the tests (the release
    /// binary, for benchmarks).
    #[must_use]
    pub fn binary(mut self, binary: &Path) -> Self {
        self.binary = Some(binary.to_owned());
        self
    }

    /// Sets (or replaces) a variable.
    #[must_use]
    pub fn var(mut self, name: &str, value: impl Into<String>) -> Self {
        self.vars.retain(|(k, _)| k != name);
        self.vars.push((name.to_owned(), value.into()));
        self
    }

    /// The directory of the JSON log files.
    pub fn log_dir(&self) -> PathBuf {
        self.vars
            .iter()
            .find(|(k, _)| k == "LOG_DIR")
            .map(|(_, v)| PathBuf::from(v))
            .unwrap_or_else(|| self.dir.join("logs"))
    }

    fn command(&self) -> Command {
        std::fs::create_dir_all(&self.dir).expect("server directory");
        let mut c = Command::new(self.binary.clone().unwrap_or_else(server_binary));
        c.current_dir(&self.dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        c
    }

    /// Runs a CLI command to completion; panics with its output on failure.
    pub fn run(&self, args: &[&str]) -> String {
        let out = self.command().args(args).output().expect("run timetracker");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "timetracker {args:?} failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    /// First-run setup from the command line: `admin` with `password`,
    /// consent as given.
    pub fn setup(&self, admin: &str, password: &str, base: bool, detailed: bool) {
        let file = self.dir.join("admin-password");
        std::fs::create_dir_all(&self.dir).expect("server directory");
        std::fs::write(&file, password).expect("password file");
        let file = file.display().to_string();
        let mut args = vec![
            "setup",
            "--admin-username",
            admin,
            "--admin-password-file",
            &file,
        ];
        if base {
            args.push("--base-telemetry");
        }
        if detailed {
            args.push("--detailed-analytics");
        }
        self.run(&args);
    }

    /// Starts `timetracker serve` and waits until it listens.
    pub fn serve(&self) -> ServerProcess {
        let mut child = self
            .command()
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start timetracker serve");
        let stderr = child.stderr.take().expect("stderr");
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let out = Arc::clone(&output);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.split("listening on http://").nth(1) {
                    let _ = tx.send(addr.trim().to_owned());
                }
                let mut out = out
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                out.push_str(&line);
                out.push('\n');
            }
        });
        let Ok(addr) = rx.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "timetracker serve did not start: {}",
                output.lock().map(|o| o.clone()).unwrap_or_default()
            );
        };
        ServerProcess {
            child,
            addr,
            output,
            log_dir: self.log_dir(),
        }
    }
}

/// A running `timetracker serve`; killed when dropped.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    output: Arc<Mutex<String>>,
    log_dir: PathBuf,
}

impl ServerProcess {
    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal by name (`TERM`, `KILL`, `INT`).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} {} failed", self.pid());
    }

    /// The exit status if the process has ended.
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("wait for timetracker")
    }

    /// Waits up to `timeout` for the process to end.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_exit() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything it wrote to standard error so far.
    pub fn stderr(&self) -> String {
        self.output
            .lock()
            .map(|o| o.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// The text of its JSON log files.
    pub fn log_text(&self) -> String {
        let mut text = String::new();
        if let Ok(dir) = std::fs::read_dir(&self.log_dir) {
            for entry in dir.flatten() {
                let is_file = entry.file_type().is_ok_and(|t| t.is_file());
                if is_file && entry.file_name().to_string_lossy().starts_with("app.") {
                    text.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
                }
            }
        }
        text
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if self.try_exit().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
