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

docker-compose -f "$compose" config -q || fail "docker-compose refuses $compose"
services="$(docker-compose -f "$compose" config --services | grep '^sigd-' | sort)"
upstreams="$(sed -n 's/^ *server \([^ ;]*\):8080 .*/\1/p' "$conf" | sort)"
[ -n "$services" ] || fail "no sigd services in $compose"
[ "$services" = "$upstreams" ] ||
  fail "nginx upstreams ($(echo $upstreams)) are not the sigd services ($(echo $services))"
# nginx mounts that very file, where nginx's http block includes it.
docker-compose -f "$compose" config | grep -q "$conf:/etc/nginx/conf.d/sigd.conf:ro" ||
  fail "nginx does not mount $conf into conf.d"
# Every node reaches Redis at the address the redis service has.
redis_ip="$(docker-compose -f "$compose" config | sed -n 's/^ *ipv4_address: *//p' | head -1)"
[ "$(docker-compose -f "$compose" config | grep -c "REDIS_ADDR: $redis_ip:6379")" = \
  "$(echo "$services" | wc -l)" ] || fail "a sigd service does not point at redis ($redis_ip)"
echo "compose_test: ok ($(echo $services))"
