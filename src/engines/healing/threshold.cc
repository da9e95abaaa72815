#include "engines/healing/threshold.h"

#include <cmath>
#include <cstdlib>
#include <set>

namespace dai::healing {

Result<ThresholdCondition> ThresholdFromConfig(const Json& cfg) {
  if (!cfg.is_object()) return Status::InvalidArgument("conditionConfig: expected an object");
  ThresholdCondition c;
  if (!cfg.contains("query") || !cfg["query"].is_string() ||
      cfg["query"].get<std::string>().empty()) {
    return Status::InvalidArgument("conditionConfig.query: required PromQL string");
  }
  c.query = cfg["query"].get<std::string>();
  if (cfg.contains("op")) {
    if (!cfg["op"].is_string())
      return Status::InvalidArgument("conditionConfig.op: expected a string");
    c.op = cfg["op"].get<std::string>();
    static const std::set<std::string> kOps = {"", ">", ">=", "<", "<=", "==", "!="};
    if (!kOps.count(c.op))
      return Status::InvalidArgument("conditionConfig.op: one of >, >=, <, <=, ==, !=");
  }
  if (!cfg.contains("threshold") || !cfg["threshold"].is_number())
    return Status::InvalidArgument("conditionConfig.threshold: required number");
  c.threshold = cfg["threshold"].get<double>();
  if (cfg.contains("forSeconds")) {
    if (!cfg["forSeconds"].is_number_integer() || cfg["forSeconds"].get<int64_t>() < 0 ||
        cfg["forSeconds"].get<int64_t>() > 86400)
      return Status::InvalidArgument("conditionConfig.forSeconds: an integer from 0 to 86400");
    c.for_seconds = cfg["forSeconds"].get<int>();
  }
  return c;
}

bool Breaches(const ThresholdCondition& c, double v) {
  if (std::isnan(v)) return false;
  const double t = c.threshold;
  if (c.op.empty()) return true;
  if (c.op == ">") return v > t;
  if (c.op == ">=") return v >= t;
  if (c.op == "<") return v < t;
  if (c.op == "<=") return v <= t;
  if (c.op == "==") return v == t;
  if (c.op == "!=") return v != t;
  return false;
}

namespace {

Result<double> ParseValue(const Json& pair, const std::string& where) {
  // [ <unix seconds>, "<value>" ]: Prometheus encodes sample values as strings.
  if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number() || !pair[1].is_string()) {
    return Status::InvalidArgument(where + ": expected [<time>, \"<value>\"]");
  }
  const std::string text = pair[1].get<std::string>();
  if (text == "NaN") return std::nan("");
  if (text == "+Inf") return HUGE_VAL;
  if (text == "-Inf") return -HUGE_VAL;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size())
    return Status::InvalidArgument(where + ": \"" + text.substr(0, 40) + "\" is not a number");
  return v;
}

}  // namespace

Result<std::vector<Sample>> ParseInstantData(const Json& data) {
  if (!data.is_object() || !data.contains("resultType") || !data["resultType"].is_string() ||
      !data.contains("result")) {
    return Status::InvalidArgument("query data: expected {resultType, result}");
  }
  const std::string type = data["resultType"].get<std::string>();
  std::vector<Sample> out;
  if (type == "scalar") {
    DAI_ASSIGN_OR_RETURN(double v, ParseValue(data["result"], "query data.result"));
    out.push_back({{}, v});
    return out;
  }
  if (type != "vector") {
    return Status::InvalidArgument("query data.resultType: \"" + type.substr(0, 20) +
                                   "\" (a threshold needs an instant vector or a scalar)");
  }
  const Json& result = data["result"];
  if (!result.is_array()) return Status::InvalidArgument("query data.result: expected a list");
  out.reserve(result.size());
  for (size_t i = 0; i < result.size(); ++i) {
    const std::string where = "query data.result[" + std::to_string(i) + "]";
    const Json& s = result[i];
    if (!s.is_object() || !s.contains("value"))
      return Status::InvalidArgument(where + ": expected {metric, value}");
    Sample sample;
    if (s.contains("metric")) {
      if (!s["metric"].is_object())
        return Status::InvalidArgument(where + ".metric: expected an object");
      for (auto it = s["metric"].begin(); it != s["metric"].end(); ++it) {
        if (!it.value().is_string())
          return Status::InvalidArgument(where + ".metric." + it.key().substr(0, 64) +
                                         ": expected a string");
        if (it.key() == "__name__") continue;
        sample.labels[it.key()] = it.value().get<std::string>();
      }
    }
    DAI_ASSIGN_OR_RETURN(sample.value, ParseValue(s["value"], where + ".value"));
    out.push_back(std::move(sample));
  }
  return out;
}

std::string SeriesKey(const std::map<std::string, std::string>& labels) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"";
    for (char ch : v) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += "\"";
  }
  return out + "}";
}

std::vector<ThresholdTransition> StepThreshold(const ThresholdCondition& c,
                                               const std::vector<Sample>& samples,
                                               ThresholdState& state, TimePoint now) {
  std::vector<ThresholdTransition> out;
  std::set<std::string> breaching;
  for (const auto& s : samples) {
    if (!Breaches(c, s.value)) continue;
    const std::string key = SeriesKey(s.labels);
    if (!breaching.insert(key).second) continue;  // duplicate series: the first one counts
    auto [it, fresh] = state.try_emplace(key);
    SeriesState& st = it->second;
    if (fresh) {
      st.breaching_since = now;
      st.labels = s.labels;
    }
    st.value = s.value;
    if (!st.firing && now - st.breaching_since >= std::chrono::seconds(c.for_seconds)) {
      st.firing = true;
      out.push_back({true, key, st.labels, s.value});
    }
  }
  for (auto it = state.begin(); it != state.end();) {
    if (breaching.count(it->first)) {
      ++it;
      continue;
    }
    if (it->second.firing) out.push_back({false, it->first, it->second.labels, it->second.value});
    it = state.erase(it);
  }
  return out;
}

}  // namespace dai::healing
