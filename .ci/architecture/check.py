#!/usr/bin/env python3
"""The architecture guard: the rules of rules.toml against `cargo metadata`.

Reads `cargo metadata --format-version 1 --all-features`: every target,
every dependency kind (normal, build, dev), optional and platform-specific
dependencies, and the resolved graph. Checks

  - the edges between the workspace's crates against an exact list,
  - crates that must stay out of a crate's dependency closure,
  - crates that must not be a crate's direct dependencies,
  - crates that have no dependencies at all,
  - crates banned from the whole workspace, with temporary exceptions that
    are printed as warnings on every run.

Every crate a rule names must exist, so a misspelled name fails instead of
matching nothing. Prints "ok: ..." for each rule that holds and
"VIOLATION: ..." for each that does not; exits 1 on any violation.

    python3 .ci/architecture/check.py [--workspace DIR] [--rules FILE] [--offline]

`--offline` runs `cargo metadata --offline` instead of `--locked`, for a
scratch copy whose Cargo.lock a planted dependency changes (the self-test).
"""

import argparse
import json
import re
import subprocess
import sys
import tomllib
from collections import deque
from pathlib import Path

RULES = Path(__file__).with_name("rules.toml")
NORMAL_KINDS = (None, "build")  # `kind` is null for [dependencies]

# The shape of rules.toml: an unknown or missing key is an error, so a
# misspelled key cannot switch a rule off.
RULE_KEYS = {
    "forbid": {"crates", "deps", "because"},
    "forbid-direct": {"crates", "deps", "because"},
    "no-dependencies": {"crates", "because"},
    "no-environment": {"crates", "because"},
    "ban": {"deps", "because"},
    "ban-exception": {"dep", "dependents", "because"},
}
EDGE_GROUPS = {"normal", "dev"}


class RulesError(Exception):
    pass


class Report:
    def __init__(self):
        self.violations = 0

    def ok(self, message):
        print(f"ok: {message}", flush=True)

    def violation(self, message):
        self.violations += 1
        print(f"VIOLATION: {message}", flush=True)

    def unknown(self, message):
        self.violations += 1
        print(f"UNKNOWN: {message}", flush=True)

    def warning(self, message):
        print(f"WARNING: {message}", flush=True)


def load_rules(path):
    with open(path, "rb") as f:
        rules = tomllib.load(f)
    unknown = set(rules) - set(RULE_KEYS) - {"edges"}
    if unknown:
        raise RulesError(f"unknown section(s) {sorted(unknown)}")
    if not isinstance(rules.get("edges"), dict):
        raise RulesError("the [edges] table is missing")
    for crate, groups in rules["edges"].items():
        if not isinstance(groups, dict) or set(groups) != EDGE_GROUPS:
            raise RulesError(f"[edges.{crate}] must have exactly the keys {sorted(EDGE_GROUPS)}")
        for group in EDGE_GROUPS:
            string_list(groups[group], f"edges.{crate}.{group}")
    for section, keys in RULE_KEYS.items():
        entries = rules.setdefault(section, [])
        if not isinstance(entries, list):
            raise RulesError(f"{section} must be an array of tables ([[{section}]])")
        for i, entry in enumerate(entries):
            where = f"[[{section}]] #{i + 1}"
            if set(entry) != keys:
                raise RulesError(f"{where} must have exactly the keys {sorted(keys)}, has {sorted(entry)}")
            for key in keys - {"because", "dep"}:
                string_list(entry[key], f"{where}.{key}")
            if not isinstance(entry["because"], str) or not entry["because"].strip():
                raise RulesError(f"{where}.because must say why")
    return rules


def string_list(value, where):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RulesError(f"{where} must be a list of crate names")


def cargo_metadata(workspace, offline):
    command = ["cargo", "metadata", "--format-version", "1", "--all-features"]
    command.append("--offline" if offline else "--locked")
    out = subprocess.run(command, cwd=workspace, check=True, stdout=subprocess.PIPE)
    return json.loads(out.stdout)


class Graph:
    """The packages and the resolved graph of one `cargo metadata`."""

    def __init__(self, metadata):
        self.packages = {p["id"]: p for p in metadata["packages"]}
        self.nodes = {n["id"]: n for n in metadata["resolve"]["nodes"]}
        self.members = {self.packages[i]["name"]: i for i in metadata["workspace_members"]}
        self.names = {p["name"] for p in self.packages.values()}
        self._closures = {}

    def name(self, pid):
        return self.packages[pid]["name"]

    def declared(self, crate, kinds):
        """The dependencies CRATE's manifest declares with one of KINDS."""
        return [d for d in self.packages[self.members[crate]]["dependencies"] if d["kind"] in kinds]

    def resolved(self, pid, decl):
        """The package ids the declared dependency DECL of PID resolved to."""
        candidates = [
            d for d in self.nodes[pid]["deps"]
            if self.name(d["pkg"]) == decl["name"] and any(k["kind"] == decl["kind"] for k in d["dep_kinds"])
        ]
        renames = {
            x["rename"].replace("-", "_")
            for x in self.packages[pid]["dependencies"] if x["name"] == decl["name"] and x.get("rename")
        }
        if decl.get("rename"):
            candidates = [d for d in candidates if d["name"] == decl["rename"].replace("-", "_")]
        else:
            candidates = [d for d in candidates if d["name"] not in renames]
        if not candidates:
            # Features enabled for one crate are a subset of the workspace's;
            # a dependency the workspace never resolved means this resolution
            # is wrong, and a wrong closure must not pass quietly.
            raise RuntimeError(f"{self.name(pid)}: dependency {decl['name']} is not in the resolved graph")
        return [d["pkg"] for d in candidates]

    def closure(self, crate, dev=False):
        """What building CRATE with all its features compiles, for every target.

        Its [dependencies] and [build-dependencies] (with DEV, its own
        [dev-dependencies] too), transitively, each with the features this
        build turns on: cargo's feature resolution as for `cargo build -p
        CRATE --all-features`. The resolved graph of `cargo metadata` is no
        substitute: it unifies the whole workspace's features, and like
        Cargo.lock it keeps optional dependencies that only a weak feature
        (`dep?/feature`) names and nothing builds.
        Returns ({package id: the id that pulled it in}, {(id, dependency id)}).
        """
        if (crate, dev) in self._closures:
            return self._closures[crate, dev]
        root = self.members[crate]
        features = {root: set(self.packages[root]["features"])}
        parent, edges = {root: None}, set()
        queue = deque([root])
        while queue:
            pid = queue.popleft()
            kinds = NORMAL_KINDS + ("dev",) if dev and pid == root else NORMAL_KINDS
            for decl, wanted in self._enabled(pid, features[pid], kinds):
                for dep in self.resolved(pid, decl):
                    edges.add((pid, dep))
                    if dep not in features:
                        features[dep] = set()
                        parent[dep] = pid
                    elif wanted <= features[dep]:
                        continue
                    features[dep] |= wanted
                    queue.append(dep)
        self._closures[crate, dev] = parent, edges
        return parent, edges

    def _enabled(self, pid, enabled_features, kinds):
        """PID's dependencies of KINDS that ENABLED_FEATURES switch on, each
        with the features asked of it."""
        package = self.packages[pid]
        table = package["features"]
        decls = [d for d in package["dependencies"] if d["kind"] in kinds]
        optional = {dep_name(d) for d in decls if d["optional"]}
        switched_on, asked = set(), []
        seen, stack = set(), list(enabled_features)
        while stack:
            value = stack.pop()
            if value in seen:
                continue
            seen.add(value)
            if value.startswith("dep:"):
                switched_on.add(value[4:])
            elif "/" in value:
                name, feature = value.split("/", 1)
                weak = name.endswith("?")
                name = name.rstrip("?")
                if not weak:
                    stack.append(name)  # "x/f" also enables x itself
                asked.append((name, feature))
            elif value in table:
                stack.extend(table[value])
            elif value in optional:
                switched_on.add(value)  # the implicit feature of an optional dependency
        result = []
        for d in decls:
            name = dep_name(d)
            if d["optional"] and name not in switched_on:
                continue
            wanted = set(d["features"]) | {f for n, f in asked if n == name}
            if d["uses_default_features"]:
                wanted.add("default")
            result.append((d, wanted))
        return result

    def path(self, parent, pid):
        chain = []
        while pid is not None:
            chain.append(self.name(pid))
            pid = parent[pid]
        return " -> ".join(reversed(chain))


def dep_name(decl):
    return decl.get("rename") or decl["name"]


def describe(decl):
    notes = []
    if decl["kind"] == "build":
        notes.append("build-dependency")
    if decl["optional"]:
        notes.append("optional, behind a feature")
    if decl["target"]:
        notes.append(f"only for {decl['target']}")
    return notes


def check_names(rules, graph, report):
    """Every crate a rule names exists; returns False if one does not."""
    before = report.violations
    ours = []
    for crate, groups in rules["edges"].items():
        ours.append((crate, "[edges]"))
        ours += [(c, f"[edges.{crate}]") for g in sorted(EDGE_GROUPS) for c in groups[g]]
    for section in ("forbid", "forbid-direct", "no-dependencies", "no-environment"):
        ours += [(c, f"[[{section}]]") for rule in rules[section] for c in rule["crates"]]
    for crate, where in ours:
        if crate not in graph.members:
            report.unknown(f"rules.toml names `{crate}` in {where}, which is no crate of this workspace "
                           f"(ours: {', '.join(sorted(graph.members))})")
    for section in ("forbid", "forbid-direct"):
        for rule in rules[section]:
            for dep in rule["deps"]:
                if dep not in graph.names:
                    report.unknown(f"rules.toml names `{dep}` in [[{section}]] for {', '.join(rule['crates'])}, "
                                   "which is in no dependency graph of this workspace: misspelled, "
                                   "or no longer used (then drop it from the rule)")
    banned = {dep for rule in rules["ban"] for dep in rule["deps"]}
    for dep in sorted(banned):
        if not re.fullmatch(r"[A-Za-z0-9_-]+", dep):
            report.unknown(f"rules.toml bans `{dep}`, which is not a crate name")
    for exception in rules["ban-exception"]:
        if exception["dep"] not in banned:
            report.unknown(f"[[ban-exception]] for `{exception['dep']}`, which no [[ban]] names")
        for dependent in exception["dependents"]:
            if dependent not in graph.names:
                report.unknown(f"[[ban-exception]] for {exception['dep']} names `{dependent}`, "
                               "which is in no dependency graph of this workspace")
    for crate in sorted(set(graph.members) - set(rules["edges"])):
        report.violation(f"{crate} has no [edges.{crate}] entry in rules.toml: list the crates of ours it may use")
    return report.violations == before


def check_edges(rules, graph, report):
    actual = {group: {} for group in EDGE_GROUPS}
    for crate, pid in graph.members.items():
        for decl in graph.packages[pid]["dependencies"]:
            if decl["name"] in graph.members:
                group = "dev" if decl["kind"] == "dev" else "normal"
                actual[group].setdefault((crate, decl["name"]), []).extend(describe(decl))
        for dep in graph.nodes[pid]["deps"]:
            if graph.name(dep["pkg"]) in graph.members:
                for kind in dep["dep_kinds"]:
                    group = "dev" if kind["kind"] == "dev" else "normal"
                    actual[group].setdefault((crate, graph.name(dep["pkg"])), [])
    for crate in sorted(rules["edges"]):
        before = report.violations
        for group in sorted(EDGE_GROUPS):
            allowed = set(rules["edges"][crate][group])
            present = {to: notes for (frm, to), notes in actual[group].items() if frm == crate}
            for to in sorted(set(present) - allowed):
                notes = f" ({', '.join(sorted(set(present[to])))})" if present[to] else ""
                report.violation(f"{crate} -> {to} is not an allowed {group} edge{notes}")
            for to in sorted(allowed - set(present)):
                report.violation(f"{crate} -> {to} is listed as a {group} edge in rules.toml, "
                                 f"but {crate} does not depend on {to}: update the list")
        if report.violations == before:
            groups = rules["edges"][crate]
            listed = ", ".join(sorted(groups["normal"])) or "none"
            dev = f"; dev: {', '.join(sorted(groups['dev']))}" if groups["dev"] else ""
            report.ok(f"{crate} uses exactly these crates of ours: {listed}{dev}")


def check_forbid(rules, graph, report):
    for rule in rules["forbid"]:
        for crate in rule["crates"]:
            parent, _ = graph.closure(crate)
            found = {graph.name(pid): pid for pid in parent if parent[pid] is not None}
            hits = [dep for dep in rule["deps"] if dep in found]
            for dep in hits:
                report.violation(f"{crate} depends on {dep}: {graph.path(parent, found[dep])} "
                                 f"({rule['because']})")
            if not hits:
                report.ok(f"{crate} does not depend on {', '.join(rule['deps'])}")


def check_forbid_direct(rules, graph, report):
    for rule in rules["forbid-direct"]:
        for crate in rule["crates"]:
            direct = {d["name"]: describe(d) for d in graph.declared(crate, NORMAL_KINDS)}
            hits = [dep for dep in rule["deps"] if dep in direct]
            for dep in hits:
                notes = f" ({', '.join(direct[dep])})" if direct[dep] else ""
                report.violation(f"{crate} depends on {dep} directly{notes} ({rule['because']})")
            if not hits:
                report.ok(f"{crate} has none of {', '.join(rule['deps'])} as a direct dependency")


def check_no_dependencies(rules, graph, report):
    for rule in rules["no-dependencies"]:
        for crate in rule["crates"]:
            pid = graph.members[crate]
            declared = sorted({d["name"] for d in graph.packages[pid]["dependencies"]})
            resolved = sorted({graph.name(d["pkg"]) for d in graph.nodes[pid]["deps"]})
            if declared or resolved:
                report.violation(f"{crate} has dependencies: {', '.join(sorted(set(declared + resolved)))} "
                                 f"({rule['because']})")
            else:
                report.ok(f"{crate} has no dependencies at all")


# Reading the process environment, in Rust source.
ENV_READ = re.compile(r"\benv::(var|var_os|vars|vars_os)\b|\bdotenv")


def check_no_environment(rules, graph, report):
    """The crate's own sources (src/, every target but tests and benches)
    never read the process environment: settings come from the app."""
    for rule in rules["no-environment"]:
        for crate in rule["crates"]:
            pid = graph.members[crate]
            root = Path(graph.packages[pid]["manifest_path"]).parent / "src"
            found = [
                f"{path.relative_to(root.parent)}:{n}"
                for path in sorted(root.rglob("*.rs"))
                for n, line in enumerate(path.read_text().splitlines(), 1)
                if ENV_READ.search(line.split("//")[0])
            ]
            if found:
                report.violation(f"{crate} reads the process environment at {', '.join(found)} "
                                 f"({rule['because']})")
            else:
                report.ok(f"{crate} reads no environment variable")


def check_bans(rules, graph, report):
    """Banned crates, anywhere a crate of the workspace is built (all
    features, targets and kinds), unless an exception allows the crates
    pulling it in."""
    dependents = {}
    for crate in graph.members:
        _, edges = graph.closure(crate, dev=True)
        for pid, dep in edges:
            dependents.setdefault(graph.name(dep), set()).add(graph.name(pid))
    present = set(dependents)
    exceptions = {e["dep"]: e for e in rules["ban-exception"]}
    for rule in rules["ban"]:
        hits = [dep for dep in rule["deps"] if dep in present]
        failed = False
        for dep in hits:
            users = dependents[dep]
            exception = exceptions.get(dep)
            if exception and users <= set(exception["dependents"]):
                report.warning(f"{dep} is banned ({rule['because']}) but allowed for now, only through "
                               f"{', '.join(exception['dependents'])}: {exception['because']}")
            else:
                allowed = f"; allowed only through {', '.join(exception['dependents'])}" if exception else ""
                report.violation(f"{dep} is banned ({rule['because']}){allowed}; "
                                 f"used by {', '.join(sorted(users))}")
                failed = True
        if not failed:
            absent = [dep for dep in rule["deps"] if dep not in hits]
            excepted = f" (allowed for now: {', '.join(hits)})" if hits else ""
            report.ok(f"none of {', '.join(absent)} in the workspace{excepted}")
    for dep in sorted(set(exceptions) - present):
        report.violation(f"the exception for {dep} is stale: no crate of the workspace builds {dep} any more, "
                         "remove its [[ban-exception]]")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", default=Path(__file__).resolve().parents[2])
    parser.add_argument("--rules", default=RULES)
    parser.add_argument("--offline", action="store_true")
    args = parser.parse_args(argv)
    report = Report()
    try:
        rules = load_rules(args.rules)
    except (RulesError, tomllib.TOMLDecodeError) as e:
        report.unknown(f"{args.rules}: {e}")
        return 1
    try:
        graph = Graph(cargo_metadata(args.workspace, args.offline))
    except subprocess.CalledProcessError:
        report.violation("`cargo metadata` failed (see above)")
        return 1
    if check_names(rules, graph, report):
        check_edges(rules, graph, report)
        check_forbid(rules, graph, report)
        check_forbid_direct(rules, graph, report)
        check_no_dependencies(rules, graph, report)
        check_no_environment(rules, graph, report)
        check_bans(rules, graph, report)
    if report.violations:
        print(f"architecture: {report.violations} violation(s)", flush=True)
        return 1
    print("architecture: every rule holds", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
