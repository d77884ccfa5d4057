# syntax=docker/dockerfile:1
# Build: the usergate binary, release. The PostgreSQL and SQLite client libraries are bundled
# (compiled from source by their -sys crates); at run time only libssl (TLS to PostgreSQL) is needed.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p usergate-server \
 && cp target/release/usergate /usergate

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/usergate --create-home usergate
COPY --from=build /usergate /usr/local/bin/usergate
USER usergate
WORKDIR /var/lib/usergate
ENV USERGATE_LISTEN=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["usergate"]
CMD ["serve"]
