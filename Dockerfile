# syntax=docker/dockerfile:1
#
# Kindred's container image: `docker build -t kindred .` (README, Deployment).
# Build stage: cgo is on because SQLite is compiled in, so the binary links
# glibc and the runtime stage is a glibc Debian of the same release.
FROM golang:1.26-bookworm AS build
ENV CGO_ENABLED=1
WORKDIR /src
# The modules change far less often than the code: their own layer keeps
# them cached across code changes.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The build cache survives between builds (go-sqlite3's C takes a minute).
RUN --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags='-s -w' -o /out/kindred .

FROM debian:bookworm-slim
# ca-certificates for TLS to Discord and to a remote PostgreSQL; timezones
# are compiled into the binary (time/tzdata).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# A fixed uid and gid, so a bind-mounted data directory can be chowned to
# them before the first start (chown 10001:10001 DIR).
RUN groupadd --system --gid 10001 kindred \
    && useradd --system --uid 10001 --gid kindred --home-dir /var/lib/kindred \
       --no-create-home --shell /usr/sbin/nologin kindred \
    && mkdir -p /var/lib/kindred /etc/kindred \
    && chown kindred:kindred /var/lib/kindred
COPY --from=build /out/kindred /usr/local/bin/kindred
COPY config.example.yaml /etc/kindred/config.example.yaml
# The working directory holds the SQLite database (database.path is
# relative to it, kindred.db by default); with PostgreSQL nothing is
# written here.
WORKDIR /var/lib/kindred
VOLUME /var/lib/kindred
USER kindred
# http.listen must be 0.0.0.0:8080 in the mounted config for anything
# outside the container to reach /healthz, /metrics or the interactions
# endpoint; the health check below runs inside and asks on loopback.
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/usr/local/bin/kindred","healthcheck","--config","/etc/kindred/config.yaml"]
# The config is mounted at /etc/kindred/config.yaml, read-only; the token
# comes from KINDRED_DISCORD_TOKEN. Kindred stops gracefully on SIGTERM.
ENTRYPOINT ["/usr/local/bin/kindred"]
CMD ["--config","/etc/kindred/config.yaml"]
