#!/usr/bin/env bash
# Renders the local stack's configs (scripts/local-stack render) into a throwaway directory and
# validates them with the real tools: promtool check config / check rules / test rules, and
# amtool check-config. Usage: check_local_stack_configs.sh <repo root>
set -euo pipefail
repo=${1:?repo root}
for tool in promtool amtool; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (Debian packages prometheus, prometheus-alertmanager; scripts/bootstrap)"; exit 1; }
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/dai-stack-check-XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$repo/scripts/local-stack" render --data-dir "$dir"
conf=$dir/stack/config
promtool check config "$conf/prometheus.yml"
promtool check rules "$repo"/deploy/local/rules/*.rules.yml
(cd "$repo/tests/integration" && promtool test rules rules_test.yml)
amtool check-config "$conf/alertmanager.yml"
# The webhook token file exists, is private, and is what Alertmanager is told to read.
token=$dir/stack/webhook-token
[[ -s $token ]] || { echo "FAIL: $token missing"; exit 1; }
[[ $(stat -c %a "$token") == 600 ]] || { echo "FAIL: $token mode is $(stat -c %a "$token"), want 600"; exit 1; }
grep -q "credentials_file: $token" "$conf/alertmanager.yml" || { echo "FAIL: alertmanager.yml does not read $token"; exit 1; }
grep -q "/api/alertmanager/webhook" "$conf/alertmanager.yml" || { echo "FAIL: webhook URL missing"; exit 1; }
echo "local stack configs: OK"
