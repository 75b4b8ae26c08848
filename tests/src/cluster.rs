//! Replicas of the real binary behind real nginx (the shipped
//! `config/deploy/nginx/nginx.conf`) on one database, and the mixed
//! workload clients run against them: for the cluster test and the
//! `replicas` section of the load benchmark.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::process::{ServerEnv, ServerProcess};

pub use tt_testkit::free_port;

/// Where nginx is installed, if it is (Debian's `nginx-light` puts it in
/// `/usr/sbin`).
pub fn nginx_path() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// `config/deploy/nginx/nginx.conf` with its three upstream servers on
/// loopback `upstreams` (fewer replicas: the rest removed) and listening on
/// loopback `port`.
pub fn shipped_nginx_conf(upstreams: &[u16], port: u16) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut conf = std::fs::read_to_string(root.join("config/deploy/nginx/nginx.conf"))
        .expect("config/deploy/nginx/nginx.conf");
    for i in 0..3 {
        let from = format!("server app-{}:8080", i + 1);
        let line = conf
            .lines()
            .find(|l| l.contains(&from))
            .unwrap_or_else(|| panic!("the shipped config lacks `{from}`"))
            .to_owned();
        let to = match upstreams.get(i) {
            Some(p) => line.replace(&from, &format!("server 127.0.0.1:{p}")),
            None => String::new(),
        };
        conf = conf.replace(&line, &to);
    }
    assert!(conf.contains("listen 8080;"));
    conf.replace("listen 8080;", &format!("listen 127.0.0.1:{port};"))
}

/// nginx run as a plain process on the shipped configuration; stopped when
/// dropped.
pub struct Nginx {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    _dir: tempfile::TempDir,
}

impl Nginx {
    /// Checks (`nginx -t`) and starts the shipped configuration in front of
    /// the replicas on `upstreams`.
    pub fn start(binary: &Path, upstreams: &[u16]) -> Nginx {
        let dir = tempfile::tempdir().expect("nginx dir");
        std::fs::create_dir_all(dir.path().join("tmp")).expect("nginx tmp");
        let port = free_port();
        let path = dir.path().join("nginx.conf");
        std::fs::write(&path, shipped_nginx_conf(upstreams, port)).expect("write nginx.conf");
        let prefix = format!("{}/", dir.path().display());
        let mut globals = "daemon off;".to_owned();
        if is_root() {
            // Workers stay root so they may use the private temp directory.
            globals.push_str(" user root;");
        }
        let test = Command::new(binary)
            .args(["-t", "-p", &prefix, "-c"])
            .arg(&path)
            .args(["-g", &globals])
            .output()
            .expect("nginx -t");
        assert!(
            test.status.success(),
            "nginx -t: {}",
            String::from_utf8_lossy(&test.stderr)
        );
        let child = Command::new(binary)
            .args(["-p", &prefix, "-c"])
            .arg(&path)
            .args(["-g", &globals])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "nginx did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Nginx {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// One replica: its settings and, while it runs, its process.
pub struct Replica {
    /// Its settings (its port among them, kept across restarts).
    pub env: ServerEnv,
    /// The running process, if any.
    pub process: Option<ServerProcess>,
}

impl Replica {
    /// `http://127.0.0.1:PORT` of the running process.
    pub fn base(&self) -> String {
        self.process.as_ref().expect("running").base()
    }

    /// Sends SIGTERM, waits for a clean exit, starts it again.
    pub fn restart_gracefully(&mut self) {
        let mut p = self.process.take().expect("running");
        p.signal("TERM");
        let exit = p
            .wait_exit(Duration::from_secs(30))
            .expect("the replica stops");
        assert!(exit.success(), "{exit:?}: {}", p.stderr());
        self.process = Some(self.env.serve());
    }

    /// Sends SIGKILL and starts it again at once.
    pub fn kill_and_restart(&mut self) {
        let mut p = self.process.take().expect("running");
        p.signal("KILL");
        p.wait_exit(Duration::from_secs(10)).expect("killed");
        self.process = Some(self.env.serve());
    }
}

/// `n` replicas of `binary` under `root` on `database_url`, each on its own
/// fixed loopback port, sharing `SECRET_KEY` and trusting the balancer on
/// loopback; `adjust` adds settings. Not started yet.
pub fn replicas(
    binary: Option<&Path>,
    root: &Path,
    database_url: &str,
    n: usize,
    adjust: impl Fn(ServerEnv) -> ServerEnv,
) -> Vec<Replica> {
    (0..n)
        .map(|i| {
            let mut env = ServerEnv::new(&root.join(format!("replica-{i}")))
                .var("DATABASE_URL", database_url)
                .var("PORT", free_port().to_string())
                .var("SECRET_KEY", "5ec7e7".repeat(11))
                .var("TRUSTED_PROXIES", "127.0.0.1")
                .var("DB_POOL_SIZE", "8");
            if let Some(b) = binary {
                env = env.binary(b);
            }
            Replica {
                env: adjust(env),
                process: None,
            }
        })
        .collect()
}

/// The ports of `replicas`, for the balancer.
pub fn ports(replicas: &[Replica]) -> Vec<u16> {
    replicas
        .iter()
        .map(|r| {
            r.env
                .vars
                .iter()
                .find(|(k, _)| k == "PORT")
                .and_then(|(_, v)| v.parse().ok())
                .expect("PORT")
        })
        .collect()
}

/// What one client saw of one request.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// When the answer (or the error) came.
    pub at: Instant,
    /// A write (`POST` of an entry) or a read.
    pub write: bool,
    /// The entry's notes (writes only), unique per entry.
    pub notes: String,
    /// The stored id, when the server acknowledged with 2xx.
    pub acked: Option<i64>,
    /// Why it failed, if it did.
    pub failure: Option<String>,
}

/// An HTTP client with a generous timeout.
pub fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

/// Signs in through the API: status and body.
pub fn login(http: &Client, base: &str, user: &str, password: &str) -> (u16, Value) {
    let resp = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .expect("login");
    (resp.status().as_u16(), resp.json().unwrap_or(Value::Null))
}

/// An API token for `user`.
pub fn token(base: &str, user: &str, password: &str) -> String {
    let (status, body) = login(&client(), base, user, password);
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().expect("token").to_owned()
}

/// One client of the mixed workload: writes entries in its own time slots
/// (note `client-N-entry-SEQ`) and, every second write, reads its list and
/// profile, until `stop`.
pub fn run_client(
    base: &str,
    token: &str,
    project: i64,
    n: usize,
    stop: &AtomicBool,
) -> Vec<Outcome> {
    let http = client();
    let origin = chrono::Utc::now() - chrono::Duration::days(300);
    let mut out = Vec::new();
    let mut seq = 0i64;
    while !stop.load(Ordering::SeqCst) {
        let start = origin + chrono::Duration::minutes(seq * 20);
        let notes = format!("client-{n}-entry-{seq}");
        let sent = http
            .post(format!("{base}/api/v1/time-entries"))
            .bearer_auth(token)
            .json(&json!({
                "project_id": project,
                "start": start,
                "end": start + chrono::Duration::minutes(10),
                "notes": notes,
            }))
            .send();
        let at = Instant::now();
        let (acked, failure) = match sent {
            Ok(r) if r.status().is_success() => {
                let v: Value = r.json().unwrap_or(Value::Null);
                (v["id"].as_i64(), None)
            }
            Ok(r) => (None, Some(format!("POST {}", r.status()))),
            Err(e) => (None, Some(format!("POST {e}"))),
        };
        assert!(
            failure.is_some() || acked.is_some(),
            "a 2xx without an id for {notes}"
        );
        out.push(Outcome {
            at,
            write: true,
            notes,
            acked,
            failure,
        });
        seq += 1;
        if seq % 2 == 0 {
            for path in ["/api/v1/time-entries?limit=20", "/api/v1/me"] {
                let r = http.get(format!("{base}{path}")).bearer_auth(token).send();
                let failure = match r {
                    Ok(r) if r.status().is_success() => None,
                    Ok(r) => Some(format!("GET {path} {}", r.status())),
                    Err(e) => Some(format!("GET {path} {e}")),
                };
                out.push(Outcome {
                    at: Instant::now(),
                    write: false,
                    notes: String::new(),
                    acked: None,
                    failure,
                });
            }
        }
    }
    out
}
