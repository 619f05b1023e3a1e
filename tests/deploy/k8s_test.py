#!/usr/bin/env python3
"""deploy/k8s/sigd.yaml against sigd itself (no Kubernetes API server runs here).

Checks what would break a rollout silently: every environment variable a container sets is a
setting sigd has (read from `sigd --help`); the gRPC probes reach the admin listener ADMIN_ADDR
opens and ask the health services sigd registers; the preStop drain fits in the termination
grace period; Services select the pods and name ports they expose; the Redis Service comes
before the pods that read its address; every container has resource requests.

  k8s_test.py SIGD
"""

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "deploy" / "k8s" / "sigd.yaml"
HEALTH_SERVICES = {"", "sig.admin.v1.SignalAdmin"}  # as src/admin/admin_server.cc registers


def seconds(text):
    m = re.fullmatch(r"(\d+)s", text)
    return int(m.group(1)) if m else None


def main():
    help_text = subprocess.run([sys.argv[1], "--help"], capture_output=True, text=True,
                               check=True).stdout
    settings = set(re.findall(r"^  --\w+ \((\w+)\)", help_text, re.M))
    docs = [d for d in yaml.safe_load_all(MANIFEST.read_text()) if d]
    failures = []
    services = [d for d in docs if d["kind"] == "Service"]
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    sigd = next(d for d in deployments if d["metadata"]["name"] == "sigd")

    for deployment in deployments:
        name = deployment["metadata"]["name"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        if deployment["spec"]["selector"]["matchLabels"].items() - labels.items():
            failures.append(f"{name}: the selector does not match the pod labels")
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            if not container.get("resources", {}).get("requests"):
                failures.append(f"{name}/{container['name']}: no resource requests")

    pod = sigd["spec"]["template"]["spec"]
    container = pod["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    for variable in env:
        if variable not in settings and not variable.startswith("SIGCTL_"):
            failures.append(f"env {variable} is no sigd setting")
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    admin_port = int(env["ADMIN_ADDR"].rsplit(":", 1)[1])
    if ports.get("admin") != admin_port or not env["ADMIN_ADDR"].startswith("0.0.0.0:"):
        failures.append("the admin port is not what ADMIN_ADDR opens on the pod's addresses")
    if ports.get("ws") != 8080:
        failures.append("the ws port is not sigd's default 8080")
    if ports.get("metrics") != int(env["METRICS_ADDR"].rsplit(":", 1)[1]):
        failures.append("the metrics port is not METRICS_ADDR's")
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        grpc = container[probe].get("grpc")
        if not grpc or grpc["port"] != admin_port or grpc.get("service", "") not in HEALTH_SERVICES:
            failures.append(f"{probe} does not ask sigd's gRPC health on the admin port")
    if container["readinessProbe"]["grpc"].get("service", "") != "":
        failures.append("readiness must follow the overall health (draining, Redis)")
    command = " ".join(container["lifecycle"]["preStop"]["exec"]["command"])
    grace = re.search(r"sigctl drain --grace=(\d+s)", command)
    if not grace:
        failures.append("preStop does not drain with sigctl")
    elif seconds(grace.group(1)) + 5 >= pod["terminationGracePeriodSeconds"]:
        failures.append("the drain and the shutdown do not fit in terminationGracePeriodSeconds")

    for service in services:
        name = service["metadata"]["name"]
        target = next((d for d in deployments
                       if service["spec"]["selector"].items()
                       <= d["spec"]["template"]["metadata"]["labels"].items()), None)
        if target is None:
            failures.append(f"Service {name} selects no Deployment")
            continue
        named = {p["name"] for c in target["spec"]["template"]["spec"]["containers"]
                 for p in c["ports"]}
        for port in service["spec"]["ports"]:
            if port["targetPort"] not in named:
                failures.append(f"Service {name}: no container port {port['targetPort']}")
    order = [d["metadata"]["name"] + "/" + d["kind"] for d in docs]
    if "$(SIGD_REDIS_SERVICE_HOST)" in env.get("REDIS_ADDR", "") and \
            order.index("sigd-redis/Service") > order.index("sigd/Deployment"):
        failures.append("the sigd-redis Service must come before the sigd pods that read it")

    if failures:
        print("k8s_test: FAILED\n  " + "\n  ".join(failures))
        return 1
    print(f"k8s_test: ok ({len(docs)} objects)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
