#!/usr/bin/env python3
"""Proves the architecture guard fails on planted violations.

Copies the workspace (the files git knows or would add, without target/) to
a scratch directory and runs check.py on it: the unmodified copy must pass.
Then plants one violation at a time — each must fail with the expected
message — and puts the copy back. The copy runs `cargo metadata --offline`
instead of `--locked`, as a planted dependency changes Cargo.lock; planted
registry crates are ones Cargo.lock already has, so nothing is downloaded.
Last, the dependency closure check.py computes for each crate must equal
`cargo tree -e normal,build --target all --all-features` for that crate.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the repository
import check  # noqa: E402

RULES = "rules.toml"


def copy_workspace(dest):
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, check=True, stdout=subprocess.PIPE,
    ).stdout.decode().split("\0")
    for name in filter(None, files):
        source = REPO / name
        if source.is_file() and not name.startswith("target/"):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


class Scratch:
    """A scratch copy of the workspace and of the rules, with planting."""

    def __init__(self, root):
        self.workspace = root / "workspace"
        self.workspace.mkdir()
        copy_workspace(self.workspace)
        self.rules = root / RULES
        shutil.copy2(HERE / RULES, self.rules)
        self.root = root
        self._saved = {}

    def file(self, name):
        return self.rules if name == RULES else self.workspace / name

    def _save(self, path):
        self._saved.setdefault(path, path.read_text() if path.exists() else None)

    def replace(self, name, old, new):
        path = self.file(name)
        self._save(path)
        text = path.read_text()
        if old not in text:
            # The plant must happen, or the case would prove nothing.
            raise SystemExit(f"self-test: cannot plant: {old!r} is not in {name}")
        path.write_text(text.replace(old, new, 1))

    def append(self, name, text):
        path = self.file(name)
        self._save(path)
        path.write_text(path.read_text() + text)

    def create(self, name, text):
        path = self.file(name)
        self._save(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def restore(self):
        for path, text in self._saved.items():
            if text is None:
                path.unlink()
                for folder in path.parents:
                    if folder == self.workspace or any(folder.iterdir()):
                        break
                    folder.rmdir()
            else:
                path.write_text(text)
        self._saved.clear()

    def plant(self, edits):
        for action, *args in edits:
            getattr(self, action)(*args)

    def run(self):
        return run([sys.executable, str(HERE / "check.py"), "--workspace", str(self.workspace),
                    "--rules", str(self.rules), "--offline"])

    def run_cargo_deny(self):
        return run(["cargo", "deny", "--all-features", "--offline", "--manifest-path",
                    str(self.workspace / "Cargo.toml"), "--config", str(REPO / "deny.toml"),
                    "check", "--hide-inclusion-graph", "bans"])


def run(command):
    try:
        out = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except FileNotFoundError as e:
        return 127, str(e)
    return out.returncode, out.stdout


def stub_crate(root, name, version):
    """A crate with a banned crate's name, outside the workspace: bans go by
    name, and it needs no registry."""
    crate = root / "stubs" / name
    (crate / "src").mkdir(parents=True, exist_ok=True)
    (crate / "Cargo.toml").write_text(f'[package]\nname = "{name}"\nversion = "{version}"\nedition = "2021"\n')
    (crate / "src" / "lib.rs").write_text("")
    return crate


# An exception as rules.toml would spell one; the workspace has none today.
UREQ_EXCEPTION = '\n[[ban-exception]]\ndep = "ureq"\ndependents = ["sentry"]\nbecause = "planted"\n'


def cases(native_tls, ureq):
    """(what is planted, the edits that plant it, the line the checker must print)."""
    domain, documents = "crates/tt-domain/Cargo.toml", "crates/tt-documents/Cargo.toml"
    telemetry, http = "crates/tt-telemetry/Cargo.toml", "crates/tt-http/Cargo.toml"
    return [
        ("an optional dependency behind a feature: tt-domain gains diesel",
         [("replace", domain, "[dependencies]\n", "[dependencies]\ndiesel = { workspace = true, optional = true }\n"),
          ("append", domain, '\n[features]\nstorage = ["dep:diesel"]\n')],
         "VIOLATION: tt-domain depends on diesel: tt-domain -> diesel"),
        # On tt-documents: tt-domain -> tt-persistence would be a cycle, which
        # cargo itself refuses.
        ("a platform-specific edge between our crates: tt-documents gains tt-persistence on unix",
         [("append", documents, "\n[target.'cfg(unix)'.dependencies]\ntt-persistence = { path = \"../tt-persistence\" }\n")],
         "VIOLATION: tt-documents -> tt-persistence is not an allowed normal edge (only for cfg(unix))"),
        ("a dependency for another platform: tt-domain gains actix-web on windows",
         [("append", domain, "\n[target.'cfg(windows)'.dependencies]\nactix-web = { workspace = true }\n")],
         "VIOLATION: tt-domain depends on actix-web: tt-domain -> actix-web"),
        ("a build-dependency: tt-domain gains serde for its build script",
         [("append", domain, "\n[build-dependencies]\nserde = { workspace = true }\n")],
         "VIOLATION: tt-domain depends on serde: tt-domain -> serde"),
        ("a transitive dependency through a feature: tt-domain asks chrono for serde",
         [("replace", domain, "chrono = { workspace = true }", 'chrono = { workspace = true, features = ["serde"] }')],
         "VIOLATION: tt-domain depends on serde: tt-domain -> chrono -> serde"),
        ("an unlisted dev edge: tt-domain's tests gain tt-persistence",
         [("replace", domain, "[dev-dependencies]\n", "[dev-dependencies]\ntt-persistence = { workspace = true }\n")],
         "VIOLATION: tt-domain -> tt-persistence is not an allowed dev edge"),
        ("a listed edge that no longer exists: tt-http drops tt-documents",
         [("replace", http, "tt-documents = { workspace = true }\n", "")],
         "VIOLATION: tt-http -> tt-documents is listed as a normal edge in rules.toml, "
         "but tt-http does not depend on tt-documents"),
        ("a library that reads the environment: tt-telemetry reads OTEL_SERVICE_NAME",
         [("append", "crates/tt-telemetry/src/lib.rs",
           '\nfn name() -> Option<String> { std::env::var("OTEL_SERVICE_NAME").ok() }\n')],
         "VIOLATION: tt-telemetry reads the process environment at src/lib.rs:"),
        ("a misspelled crate in a rule: actix-sesion",
         [("replace", RULES, '"actix-session"', '"actix-sesion"')],
         "UNKNOWN: rules.toml names `actix-sesion` in [[forbid]] for tt-app"),
        ("a misspelled crate of ours in a rule: tt-domian",
         [("replace", RULES, 'crates = ["tt-domain"]', 'crates = ["tt-domian"]')],
         "UNKNOWN: rules.toml names `tt-domian` in [[forbid]], which is no crate of this workspace"),
        ("a misspelled key in a rule: crate instead of crates",
         [("replace", RULES, 'crates = ["tt-app"]', 'crate = ["tt-app"]')],
         "must have exactly the keys ['because', 'crates', 'deps'], has ['because', 'crate', 'deps']"),
        ("a crate of the workspace without rules: a new crates/tt-extra",
         [("create", "crates/tt-extra/Cargo.toml", '[package]\nname = "tt-extra"\nversion = "0.1.0"\nedition = "2024"\n'),
          ("create", "crates/tt-extra/src/lib.rs", "")],
         "VIOLATION: tt-extra has no [edges.tt-extra] entry in rules.toml"),
        ("a banned crate: tt-telemetry gains native-tls",
         [("replace", telemetry, "[dependencies]\n", f'[dependencies]\nnative-tls = {{ path = "{native_tls}" }}\n')],
         "VIOLATION: native-tls is banned (TLS is rustls, one stack); used by tt-telemetry"),
        ("a banned crate in tests only: tt-domain's tests gain native-tls",
         [("replace", domain, "[dev-dependencies]\n", f'[dev-dependencies]\nnative-tls = {{ path = "{native_tls}" }}\n')],
         "VIOLATION: native-tls is banned (TLS is rustls, one stack); used by tt-domain"),
        ("a second HTTP client: tt-telemetry gains ureq",
         [("replace", telemetry, "[dependencies]\n", f'[dependencies]\nureq = {{ path = "{ureq}" }}\n')],
         "VIOLATION: ureq is banned (outgoing HTTP is reqwest, one client); used by tt-telemetry"),
        ("a banned crate outside its exception: tt-telemetry gains ureq, excepted for sentry only",
         [("replace", telemetry, "[dependencies]\n", f'[dependencies]\nureq = {{ path = "{ureq}" }}\n'),
          ("append", RULES, UREQ_EXCEPTION)],
         "VIOLATION: ureq is banned (outgoing HTTP is reqwest, one client); allowed only through sentry; "
         "used by tt-telemetry"),
        ("a stale exception: an exception for ureq, which nothing builds",
         [("append", RULES, UREQ_EXCEPTION)],
         "VIOLATION: the exception for ureq is stale"),
    ]


def cargo_deny_refuses_native_tls(scratch):
    """deny.toml's bans hold too (cargo-deny is installed by .ci/check-architecture)."""
    native_tls = stub_crate(scratch.root, "native-tls", "0.2.14")
    scratch.replace("crates/tt-telemetry/Cargo.toml", "[dependencies]\n",
                    f'[dependencies]\nnative-tls = {{ path = "{native_tls}" }}\n')
    code, out = scratch.run_cargo_deny()
    scratch.restore()
    line = next((l for l in out.splitlines() if "error[banned]: crate 'native-tls" in l), None)
    if code != 0 and line:
        print(f"self-test ok: cargo-deny, a banned crate: tt-telemetry gains native-tls\n    -> {line}")
        return True
    print(out)
    print(f"FAILED: cargo-deny accepted native-tls (exit {code})")
    return False


def closures_agree_with_cargo_tree():
    graph = check.Graph(check.cargo_metadata(REPO, offline=False))
    failed = False
    for crate in sorted(graph.members):
        parent, _ = graph.closure(crate)
        ours = {(graph.name(p), graph.packages[p]["version"]) for p in parent}
        tree = subprocess.run(
            ["cargo", "tree", "-p", crate, "-e", "normal,build", "--target", "all", "--all-features",
             "--prefix", "none", "--locked"],
            cwd=REPO, check=True, stdout=subprocess.PIPE, text=True,
        ).stdout
        cargo = {(line.split()[0], line.split()[1].lstrip("v")) for line in tree.splitlines() if line.strip()}
        if ours != cargo:
            failed = True
            print(f"FAILED: {crate}'s closure differs from cargo tree: "
                  f"missing {sorted(cargo - ours)}, extra {sorted(ours - cargo)}")
    if not failed:
        print(f"self-test ok: the closures of all {len(graph.members)} crates equal cargo tree's")
    return not failed


def main():
    failed = False
    with tempfile.TemporaryDirectory(prefix="tt-architecture-") as tmp:
        scratch = Scratch(Path(tmp))
        code, out = scratch.run()
        if code != 0:
            print(out)
            print("FAILED: the unmodified copy does not pass")
            return 1
        print("self-test ok: the unmodified copy passes")
        native_tls = stub_crate(scratch.root, "native-tls", "0.2.14")
        ureq = stub_crate(scratch.root, "ureq", "3.0.0")
        for what, edits, expected in cases(native_tls, ureq):
            scratch.plant(edits)
            code, out = scratch.run()
            scratch.restore()
            line = next((l for l in out.splitlines() if expected in l), None)
            if code != 0 and line:
                print(f"self-test ok: {what}\n    -> {line}")
            else:
                failed = True
                print(out)
                print(f"FAILED: {what}: expected exit 1 and a line with {expected!r}, got exit {code}")
        code, out = scratch.run()
        if code != 0:
            print(out)
            print("FAILED: the copy does not pass after the plants were removed")
            failed = True
        failed |= not cargo_deny_refuses_native_tls(scratch)
    failed |= not closures_agree_with_cargo_tree()
    print("self-test: FAILED" if failed else "self-test: the guard refuses every planted violation")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
