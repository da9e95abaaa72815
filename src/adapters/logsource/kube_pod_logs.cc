#include "adapters/logsource/kube_pod_logs.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <set>

#include "core/clock.h"

namespace dai::logsource {

Json KubeLogPosition::ToJson() const {
  Json s = Json::object();
  for (const auto& [key, p] : streams) {
    s[key] = {{"ns", p.last_ns}, {"n", p.same_count}, {"seen", p.seen_ms}};
  }
  return Json{{"streams", std::move(s)}};
}

KubeLogPosition KubeLogPosition::FromJson(const Json& j) {
  KubeLogPosition out;
  if (!j.is_object() || !j.contains("streams") || !j["streams"].is_object()) return out;
  for (const auto& [key, v] : j["streams"].items()) {
    if (!v.is_object()) continue;
    const auto ns = v.find("ns");
    const auto n = v.find("n");
    const auto seen = v.find("seen");
    if (ns == v.end() || !ns->is_number_integer() || n == v.end() || !n->is_number_integer())
      continue;
    KubeStreamPosition p;
    p.last_ns = ns->get<int64_t>();
    p.same_count = std::max<int64_t>(0, n->get<int64_t>());
    p.seen_ms = seen != v.end() && seen->is_number_integer() ? seen->get<int64_t>() : 0;
    out.streams[key] = p;
  }
  return out;
}

namespace {

// "2026-11-29T15:32:01.123456789Z" (the kubelet's RFC3339Nano, always UTC) → Unix nanoseconds,
// keeping every fractional digit (ParseIso8601 keeps milliseconds; lines of one millisecond
// must stay apart). Other offsets go through ParseIso8601 as they are.
bool ParseTimestampNs(std::string_view text, int64_t& out) {
  const size_t dot = text.find('.');
  std::string seconds(text);
  int64_t frac_ns = 0;
  if (dot != std::string_view::npos && !text.empty() && text.back() == 'Z') {
    const std::string_view digits = text.substr(dot + 1, text.size() - dot - 2);
    if (digits.empty() || digits.size() > 9) return false;
    int64_t scale = 100'000'000;
    for (char ch : digits) {
      if (ch < '0' || ch > '9') return false;
      frac_ns += (ch - '0') * scale;
      scale /= 10;
    }
    seconds = std::string(text.substr(0, dot)) + "Z";
  }
  auto t = ParseIso8601(seconds);
  if (!t.ok()) return false;
  out = std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count() *
            1'000'000'000 +
        (seconds.size() == text.size()
             ? std::chrono::duration_cast<std::chrono::nanoseconds>(t->time_since_epoch()).count() %
                   1'000'000'000
             : frac_ns);
  return true;
}

std::string SinceTimeSeconds(int64_t unix_ns) {
  const auto secs = static_cast<std::time_t>(unix_ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

TakeStats TakeNewLines(std::string_view body, KubeStreamPosition& pos,
                       std::vector<KubeTimedLine>& out) {
  TakeStats stats;
  size_t start = 0;
  // Lines at exactly pos.last_ns seen in this answer; the first pos.same_count were taken before.
  int64_t at_last = 0;
  while (start < body.size()) {
    const size_t nl = body.find('\n', start);
    if (nl == std::string_view::npos) {
      stats.partial_tail = true;  // cut by limitBytes: read again next time
      break;
    }
    std::string_view line = body.substr(start, nl - start);
    start = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const size_t sp = line.find(' ');
    int64_t ns = 0;
    if (sp == std::string_view::npos || !ParseTimestampNs(line.substr(0, sp), ns)) {
      ++stats.malformed;
      continue;
    }
    const std::string_view text = line.substr(sp + 1);
    if (ns < pos.last_ns) {
      ++stats.duplicates;
      continue;
    }
    if (ns == pos.last_ns) {
      if (++at_last <= pos.same_count) {
        ++stats.duplicates;
        continue;
      }
      pos.same_count = at_last;
    } else {
      pos.last_ns = ns;
      pos.same_count = 1;
      at_last = 1;
    }
    out.push_back({ns, text});
    ++stats.taken;
  }
  return stats;
}

KubePodLogReader::KubePodLogReader(std::shared_ptr<const kube::KubeClient> client,
                                   KubeLogSelector selector, KubeLogReaderOptions options)
    : client_(std::move(client)), selector_(std::move(selector)), options_(options) {}

Result<KubePollStats> KubePodLogReader::Poll(const KubeLogPosition& position, int64_t now_ms,
                                             const KubeStreamCallback& on_stream) const {
  if (!client_)
    return Status::FailedPrecondition("no Kubernetes cluster is configured (setting kubeconfig)");
  kube::ListOptions lo;
  lo.namespace_ = selector_.namespace_;
  lo.label_selector = selector_.label_selector;
  lo.max_items = 5000;
  DAI_ASSIGN_OR_RETURN(kube::ListResult pods, client_->List(*kube::FindResource("pods"), lo));
  KubePollStats stats;
  std::vector<std::string> errors;
  std::vector<KubeTimedLine> lines;
  bool capped = false;
  std::set<std::string> listed;
  for (const Json& pod : pods.items) {
    if (capped) break;
    const std::string name = pod.value("/metadata/name"_json_pointer, "");
    const std::string phase = pod.value("/status/phase"_json_pointer, "");
    if (name.empty() || phase == "Pending") continue;  // a pending pod has no log yet
    ++stats.pods;
    const Json containers = pod.value("/spec/containers"_json_pointer, Json::array());
    if (!containers.is_array()) continue;
    for (const Json& c : containers) {
      const std::string container = c.is_object() ? c.value("name", "") : "";
      if (container.empty()) continue;
      if (!selector_.container.empty() && container != selector_.container) continue;
      if (stats.streams >= options_.max_streams) {
        errors.push_back("more than " + std::to_string(options_.max_streams) +
                         " containers selected; the rest are not read (narrow the selector)");
        capped = true;
        break;
      }
      ++stats.streams;
      const std::string key = name + "/" + container;
      listed.insert(key);
      auto it = position.streams.find(key);
      const bool first = it == position.streams.end();
      KubeStreamPosition pos = first ? KubeStreamPosition{} : it->second;
      kube::LogOptions opts;
      opts.container = container;
      opts.timestamps = true;
      opts.limit_bytes = options_.limit_bytes;
      if (first || pos.last_ns == 0) {
        opts.tail_lines = options_.initial_tail_lines;
      } else {
        opts.since_time = SinceTimeSeconds(pos.last_ns);
      }
      auto body = client_->PodLogs(selector_.namespace_, name, opts);
      if (!body.ok()) {
        errors.push_back(key + ": " + body.status().message());
        continue;
      }
      stats.bytes += body->size();
      lines.clear();
      const TakeStats taken = TakeNewLines(*body, pos, lines);
      stats.malformed += taken.malformed;
      stats.lines += lines.size();
      pos.seen_ms = now_ms;
      on_stream(key, lines, pos);
    }
  }
  // Containers not listed for a while (deleted pods) are forgotten.
  if (!capped) {
    for (const auto& [key, p] : position.streams) {
      if (listed.count(key) == 0 && now_ms - p.seen_ms > options_.forget_after.count())
        stats.forget.push_back(key);
    }
  }
  for (const auto& e : errors) {
    if (!stats.errors.empty()) stats.errors += "; ";
    stats.errors += e;
  }
  return stats;
}

}  // namespace dai::logsource
