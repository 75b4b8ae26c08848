# Task recipes: one-liners over cargo. `just ci` runs exactly what CI runs.

# Run the server on the embedded SQLite default (http://127.0.0.1:8080).
run:
    cargo run -p timetracker

# The test suite (PostgreSQL suites run when TEST_DATABASE_URL is set).
test:
    cargo test --workspace

# Everything CI checks.
ci:
    bash .ci/run

# Formatting and lints.
lint:
    cargo fmt --all -- --check && cargo clippy --workspace --all-targets -- -D warnings

# Architecture invariants only.
arch:
    bash .ci/check-architecture
