#!/usr/bin/env bash
# deploy/compose/compose.yaml as users copy it: Debian's docker-compose (1.29, which needs no
# container engine for this) validates it, and nginx's upstreams in deploy/nginx/sigd.conf, the
# file tests/e2e/cluster.test.mjs runs, are exactly the compose file's sigd services, each on
# sigd's default port. Starting the stack needs a container engine, which these machines lack.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
compose="$root/deploy/compose/compose.yaml"
conf="$root/deploy/nginx/sigd.conf"
fail() { echo "compose_test: $*" >&2; exit 1; }

# The resolved configuration, read whole (a grep -q on a pipe would end docker-compose early).
config="$(docker-compose -f "$compose" config)" || fail "docker-compose refuses $compose"
services="$(docker-compose -f "$compose" config --services | grep '^sigd-' | sort)"
upstreams="$(sed -n 's/^ *server \([^ ;]*\):8080 .*/\1/p' "$conf" | sort)"
[ -n "$services" ] || fail "no sigd services in $compose"
[ "$services" = "$upstreams" ] ||
  fail "nginx upstreams ($(echo $upstreams)) are not the sigd services ($(echo $services))"
# nginx mounts that very file, where nginx's http block includes it.
grep -qF -- "$conf:/etc/nginx/conf.d/sigd.conf:ro" <<<"$config" ||
  fail "nginx does not mount $conf into conf.d"
# Every node reaches Redis at the address the redis service has.
redis_ip="$(sed -n 's/^ *ipv4_address: *//p' <<<"$config" | head -1)"
[ "$(grep -c "REDIS_ADDR: $redis_ip:6379" <<<"$config")" = "$(wc -l <<<"$services")" ] ||
  fail "a sigd service does not point at redis ($redis_ip)"
echo "compose_test: ok ($(echo $services))"
