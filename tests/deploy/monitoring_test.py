#!/usr/bin/env python3
"""deploy/grafana/sigd.json and deploy/prometheus/alerts.yml against the real thing.

Starts Debian's redis-server, a sigd node on it and Debian's prometheus scraping sigd every
second with the alert rules loaded, all on free loopback ports; runs a little sigbench load
(td and PeerJS relays) meanwhile; then evaluates every query of the dashboard through
Prometheus's HTTP API, with Grafana's variables as Grafana would fill them in for "All". It
fails on a query that errors or returns no series, and on a rule that does not evaluate.

  monitoring_test.py SIGD SIGBENCH
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DASHBOARD = os.path.join(ROOT, "deploy", "grafana", "sigd.json")
ALERTS = os.path.join(ROOT, "deploy", "prometheus", "alerts.yml")
DEADLINE_S = 60


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, timeout=DEADLINE_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise SystemExit(f"monitoring_test: timed out waiting for {what}")


def query(prom_port, expr):
    url = f"http://127.0.0.1:{prom_port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return json.load(reply)
    except urllib.error.HTTPError as e:  # 400 for a query that does not parse
        return json.load(e)


def fill_variables(expr):
    # Grafana's "All" for a multi-value variable with allValue ".*", and a rate window of four
    # scrape intervals as $__rate_interval gives.
    return expr.replace("$__rate_interval", "4s").replace("$instance", ".*")


def main():
    sigd_bin, sigbench_bin = sys.argv[1], sys.argv[2]
    scratch = tempfile.mkdtemp(prefix="sigd-monitoring-")
    children = []

    def start(args, **kwargs):
        child = subprocess.Popen(args, **kwargs)
        children.append(child)
        return child

    try:
        redis_port = free_port()
        start(["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "",
               "--appendonly", "no", "--dir", scratch],
              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sigd_log = open(os.path.join(scratch, "sigd.log"), "w+")
        start([sigd_bin, "--host=127.0.0.1", "--port=0", "--admin_addr=",
               f"--redis_addr=127.0.0.1:{redis_port}"], stdout=sigd_log, stderr=sigd_log)

        def sigd_port():
            sigd_log.seek(0)
            m = re.search(r"^sigd listening on .*:(\d+)$", sigd_log.read(), re.M)
            return m and int(m.group(1))

        port = wait_for("sigd to listen", sigd_port)

        prom_port = free_port()
        config = os.path.join(scratch, "prometheus.yml")
        with open(config, "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - {ALERTS}
scrape_configs:
  - job_name: sigd
    static_configs:
      - targets: ['127.0.0.1:{port}']
""")
        start(["prometheus", f"--config.file={config}",
               f"--storage.tsdb.path={os.path.join(scratch, 'data')}",
               f"--web.listen-address=127.0.0.1:{prom_port}"],
              stdout=subprocess.DEVNULL, stderr=open(os.path.join(scratch, "prometheus.log"), "w"))

        def scraped_up():
            try:
                result = query(prom_port, 'up{job="sigd"} == 1')["data"]["result"]
            except OSError:
                return False
            return bool(result)

        wait_for("prometheus to scrape sigd", scraped_up)

        # A little load on both protocols for the rate windows, running while the queries are.
        load = [start([sigbench_bin, f"--server=127.0.0.1:{port}", "--scenario=relay",
                       "--pairs=5", "--rate=100", "--duration=12s", "--warmup=200ms",
                       f"--protocol={protocol}"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for protocol in ("td", "peerjs")]

        def enough_samples():
            result = query(prom_port, 'count_over_time(sig_logins_total{protocol="peerjs"}[30s])')
            samples = result["data"]["result"]
            return samples and float(samples[0]["value"][1]) >= 6

        wait_for("six scrapes under load", enough_samples)
        # Relayed messages in the rate window, so the latency quantiles are numbers.
        wait_for("relayed messages in the rate window", lambda: query(
            prom_port, 'sum(rate(sig_relay_latency_seconds_count[4s])) > 0')["data"]["result"])

        with open(DASHBOARD) as f:
            dashboard = json.load(f)
        failures = []
        checked = 0
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                expr = fill_variables(target["expr"])
                reply = query(prom_port, expr)
                checked += 1
                if reply.get("status") != "success":
                    failures.append(f"{panel['title']}: {expr}: {reply.get('error')}")
                elif not reply["data"]["result"]:
                    failures.append(f"{panel['title']}: {expr}: no series")
        for variable in dashboard["templating"]["list"]:
            if variable["type"] == "query":
                # label_values(metric, label) is Grafana's; the series behind it must exist.
                metric = re.match(r"label_values\((.*), *\w+\)", variable["definition"]).group(1)
                if not query(prom_port, metric)["data"]["result"]:
                    failures.append(f"variable {variable['name']}: {metric}: no series")

        with urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/api/v1/rules", timeout=10) as r:
            groups = json.load(r)["data"]["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        if len(rules) < 6:
            failures.append(f"only {len(rules)} alert rules loaded")
        for rule in rules:
            if rule.get("health") not in ("ok",):
                failures.append(f"rule {rule['name']}: {rule.get('health')} {rule.get('lastError', '')}")
            if rule.get("state") == "firing":
                failures.append(f"rule {rule['name']} fires on a healthy node")

        for child in load:
            child.wait(timeout=DEADLINE_S)
        if failures:
            print("monitoring_test: FAILED\n  " + "\n  ".join(failures))
            return 1
        print(f"monitoring_test: ok ({checked} dashboard queries, {len(rules)} rules)")
        return 0
    finally:
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
