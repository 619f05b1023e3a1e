# Multi-stage build on Debian 12, the same packages tools/setup installs (tools/packages.txt).
FROM debian:bookworm AS build
COPY tools/packages.txt /tmp/packages.txt
RUN apt-get update \
 && grep -v '^\s*#' /tmp/packages.txt | sed '/^\s*$/d' \
    | xargs env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake --preset release -DBUILD_TESTING=OFF \
 && cmake --build --preset release --target sigd sigctl \
 && strip build/release/src/sigd/sigd build/release/tools/sigctl/sigctl

FROM debian:bookworm-slim
COPY tools/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && grep -v '^\s*#' /tmp/runtime-packages.txt | sed '/^\s*$/d' \
    | xargs env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin sigd
COPY --from=build /src/build/release/src/sigd/sigd /usr/local/bin/sigd
COPY --from=build /src/build/release/tools/sigctl/sigctl /usr/local/bin/sigctl
USER sigd
# 8080: WebSocket + HTTP. The admin API listens on 127.0.0.1:50051 inside the container; publish
# it only on a private network, with ADMIN_ADDR=0.0.0.0:50051 and ADMIN_TOKEN set.
EXPOSE 8080
STOPSIGNAL SIGTERM
# sigd --probe reads the configuration the server reads (PORT, HOST, TLS_CERT from the
# container's environment) and asks its /health over HTTP or TLS: 0 for 200, 1 otherwise
# (draining answers 503).
HEALTHCHECK --interval=10s --timeout=5s CMD ["/usr/local/bin/sigd", "--probe"]
ENTRYPOINT ["/usr/local/bin/sigd"]
