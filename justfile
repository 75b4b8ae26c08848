# Task recipes: one-liners over cargo. `just ci` runs exactly what CI runs.

# Run the server on the embedded SQLite default (http://127.0.0.1:8080).
run:
    cargo run -p timetracker

# The test suite (PostgreSQL suites run when TEST_DATABASE_URL is set).
test:
    cargo test --workspace

# Telemetry micro-benchmarks, then the load harness (about 45 minutes; needs
# wrk, and TEST_DATABASE_URL for the PostgreSQL run; nginx for `replicas`).
# Sections may be named: `just bench overhead ceiling`, `just bench replicas`.
# Results: docs/reports/performance.md, docs/reports/replicas.md.
# Run the performance benchmarks.
bench *SECTIONS:
    cargo build --release --locked -p timetracker
    cargo bench --locked -p tt-telemetry
    cargo bench --locked -p tt-tests --bench load -- {{SECTIONS}}

# The fastest release binary, target/pgo/timetracker: built instrumented,
# trained on the load harness's workloads (SQLite, and PostgreSQL with
# TEST_DATABASE_URL), then built again with the profile (about 20 minutes;
# needs wrk and llvm-profdata of rustc's LLVM, Debian's llvm-22).
# Build the profile-guided release binary.
build-pgo *ARGS:
    bash .ci/pgo-build {{ARGS}}

# The load harness against the profile-guided binary (`just build-pgo` first).
# Benchmark the profile-guided binary.
bench-pgo *SECTIONS:
    TT_BENCH_BIN="$PWD/target/pgo/timetracker" cargo bench --locked -p tt-tests --bench load -- {{SECTIONS}}

# Every correctness check of the load harness in about two minutes on the
# debug build, as CI runs it; the numbers are indicative only.
# Smoke-run the load harness.
bench-quick:
    cargo build --locked -p timetracker
    cargo test --locked -p tt-tests --bench load -- --quick

# The real binary fuzzed against /api/v1/openapi.json with schemathesis, on
# SQLite and PostgreSQL (or the one named), as CI runs it.
fuzz-api *DBS:
    bash .ci/schemathesis {{DBS}}

# Everything CI checks.
ci:
    bash .ci/run

# Formatting and lints.
lint:
    cargo fmt --all -- --check && cargo clippy --workspace --all-targets -- -D warnings

# Architecture invariants only.
arch:
    bash .ci/check-architecture
