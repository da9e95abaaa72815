#!/usr/bin/env bash
# Runs scripts/local-stack for real on free loopback ports in a throwaway data directory:
# start, idempotent second start, status (all up, Prometheus scraping node_exporter), stop,
# status (down). The trap stops the stack on any failure.
# Usage: local_stack_test.sh <repo root>
set -euo pipefail
repo=${1:?repo root}
dir=$(mktemp -d "${TMPDIR:-/tmp}/dai-stack-XXXXXX")
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export NODE_PORT=$(free_port) AM_PORT=$(free_port) PROM_PORT=$(free_port)
receiver_port=$(free_port)
export DEVOPS_AI_ADDR=127.0.0.1:$receiver_port SCRAPE_INTERVAL=1s EVAL_INTERVAL=1s
export GROUP_WAIT=1s GROUP_INTERVAL=1s
# get <url> [form fields...]: prints the body (POST form when fields are given); python3 only.
get() {
  python3 - "$@" <<'PY'
import sys, urllib.parse, urllib.request
url, fields = sys.argv[1], sys.argv[2:]
data = urllib.parse.urlencode([tuple(f.split("=", 1)) for f in fields]).encode() if fields else None
print(urllib.request.urlopen(url, data=data, timeout=5).read().decode())
PY
}
stack() { "$repo/scripts/local-stack" "$@" --data-dir "$dir"; }
cleanup() {
  stack stop >/dev/null 2>&1 || true
  if [[ -n ${receiver_pid:-} ]]; then kill "$receiver_pid" 2>/dev/null || true; wait "$receiver_pid" 2>/dev/null || true; fi
  if [[ ${ok:-0} != 1 ]]; then
    for f in "$dir"/stack/logs/*.log; do echo "--- $f"; tail -n 30 "$f"; done
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# A token written beforehand (as the server does) is kept.
mkdir -p "$dir/stack"
printf 'preset-token' >"$dir/stack/webhook-token"

stack start
out=$(stack start)
grep -q "already running" <<<"$out" || fail "second start did not report running components: $out"
[[ $(<"$dir/stack/webhook-token") == preset-token ]] || fail "existing webhook token was replaced"
[[ $(stat -c %a "$dir/stack/webhook-token") == 600 ]] || fail "webhook token is not mode 0600"

status=$(stack status) || fail "status after start exited non-zero: $status"
echo "$status"
for c in node_exporter alertmanager prometheus; do
  grep -qE "^$c +http://127.0.0.1:[0-9]+ +up" <<<"$status" || fail "$c not up in status"
done

# Prometheus scrapes node_exporter (bounded wait).
deadline=$((SECONDS + 30))
until get "http://127.0.0.1:$PROM_PORT/api/v1/query" 'query=up{job="node"} == 1' 2>/dev/null |
      grep -q '"job":"node"'; do
  ((SECONDS < deadline)) || fail "Prometheus never scraped node_exporter"
  sleep 0.5
done
# Its rules are loaded and Alertmanager is discovered.
get "http://127.0.0.1:$PROM_PORT/api/v1/rules" | grep -q '"name":"InstanceDown"' || fail "rules not loaded"
deadline=$((SECONDS + 30))
until get "http://127.0.0.1:$PROM_PORT/api/v1/alertmanagers" 2>/dev/null | grep -q "127.0.0.1:$AM_PORT"; do
  ((SECONDS < deadline)) || fail "Prometheus never discovered Alertmanager"
  sleep 0.5
done

# Alertmanager delivers to devops-ai's webhook path with the bearer token from the token file:
# a stand-in receiver on the devops-ai address records what arrives.
python3 - "$receiver_port" "$dir/webhooks" <<'PY' &
import http.server, json, sys
port, out = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "a") as f:
            f.write(json.dumps({"path": self.path, "auth": self.headers.get("Authorization"),
                                "body": json.loads(body)}) + "\n")
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
receiver_pid=$!
python3 - "http://127.0.0.1:$AM_PORT/api/v2/alerts" <<'PY'
import json, sys, urllib.request
alert = [{"labels": {"alertname": "LocalStackTest", "instance": "test"}, "annotations": {"summary": "x"}}]
req = urllib.request.Request(sys.argv[1], data=json.dumps(alert).encode(),
                             headers={"Content-Type": "application/json"})
urllib.request.urlopen(req, timeout=5).read()
PY
deadline=$((SECONDS + 30))
until [[ -s $dir/webhooks ]] && grep -q LocalStackTest "$dir/webhooks"; do
  ((SECONDS < deadline)) || fail "Alertmanager never delivered the webhook"
  sleep 0.3
done
python3 - "$dir/webhooks" <<'PY' || fail "webhook delivery is not as configured"
import json, sys
hook = [json.loads(l) for l in open(sys.argv[1]) if "LocalStackTest" in l][0]
assert hook["path"] == "/api/alertmanager/webhook", hook["path"]
assert hook["auth"] == "Bearer preset-token", hook["auth"]
assert hook["body"]["version"] == "4" and hook["body"]["status"] == "firing", hook["body"]
print("webhook delivered to", hook["path"], "with the token from the token file")
PY
# A rotated token (the server rewrites the file) is used without restarting Alertmanager.
printf 'rotated-token' >"$dir/stack/webhook-token"
python3 - "http://127.0.0.1:$AM_PORT/api/v2/alerts" <<'PY'
import json, sys, urllib.request
alert = [{"labels": {"alertname": "LocalStackRotated", "instance": "test"}}]
req = urllib.request.Request(sys.argv[1], data=json.dumps(alert).encode(),
                             headers={"Content-Type": "application/json"})
urllib.request.urlopen(req, timeout=5).read()
PY
deadline=$((SECONDS + 30))
until grep -q LocalStackRotated "$dir/webhooks"; do
  ((SECONDS < deadline)) || fail "Alertmanager never delivered the second webhook"
  sleep 0.3
done
grep LocalStackRotated "$dir/webhooks" | grep -q '"auth": "Bearer rotated-token"' ||
  fail "the rotated token was not used: $(grep LocalStackRotated "$dir/webhooks")"

pids=$(cat "$dir"/stack/run/*.pid)
stack stop
for pid in $pids; do
  if kill -0 "$pid" 2>/dev/null; then fail "pid $pid still running after stop"; fi
done
if stack status; then fail "status exited 0 with the stack stopped"; fi
ok=1
echo "local-stack: OK"
