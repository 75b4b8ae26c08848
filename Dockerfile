# syntax=docker/dockerfile:1
# TimeTracker: multi-stage build. Dependencies are compiled in their own
# cached layer (cargo-chef), the release binary in the next, and the runtime
# image holds only the binary and the libraries it links.

FROM rust:1.95-slim-bookworm AS chef
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev pkg-config \
    && rm -rf /var/lib/apt/lists/* \
    && cargo install cargo-chef --locked --version 0.1.71
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json -p timetracker
COPY . .
# Official builds embed the telemetry endpoint, token and Sentry DSN, passed
# as build secrets (never build args, which image history would keep):
#   docker build --secret id=otlp_endpoint,env=TT_EMBEDDED_OTLP_ENDPOINT \
#                --secret id=otlp_token,env=TT_EMBEDDED_OTLP_TOKEN \
#                --secret id=sentry_dsn,env=TT_EMBEDDED_SENTRY_DSN .
# Without them this is a self-hosted build with nothing embedded. Who runs
# that endpoint and how long it keeps data are public, so plain build args:
# every surface names them as the recipient of what is sent.
ARG TT_EMBEDDED_TELEMETRY_VENDOR=""
ARG TT_EMBEDDED_TELEMETRY_RETENTION_DAYS=""
RUN --mount=type=secret,id=otlp_endpoint,env=TT_EMBEDDED_OTLP_ENDPOINT \
    --mount=type=secret,id=otlp_token,env=TT_EMBEDDED_OTLP_TOKEN \
    --mount=type=secret,id=sentry_dsn,env=TT_EMBEDDED_SENTRY_DSN \
    cargo build --release --locked -p timetracker \
    && cp target/release/timetracker /usr/local/bin/timetracker

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin timetracker \
    && mkdir -p /data /logs \
    && chown timetracker:timetracker /data /logs
COPY --from=build /usr/local/bin/timetracker /usr/local/bin/timetracker
# MIMALLOC_ALLOW_THP=0: no transparent huge pages for the allocator even on
# a host whose setting is `always` (they add about 15 MiB at idle).
ENV DATA_DIR=/data \
    LOG_DIR=/logs \
    MIMALLOC_ALLOW_THP=0 \
    BIND_ADDR=0.0.0.0 \
    PORT=8080 \
    LOG_FORMAT=json
VOLUME ["/data", "/logs"]
EXPOSE 8080
USER 10001:10001
WORKDIR /data
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["curl", "-fsS", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/local/bin/timetracker"]
CMD ["serve"]
