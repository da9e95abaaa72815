#include "engines/cost/opencost.h"

#include "core/clock.h"
#include "core/json.h"

namespace dai::cost {

Result<std::vector<OpenCostAllocation>> ParseOpenCostAllocations(std::string_view body_text) {
  auto parsed = ParseJson(body_text);
  if (!parsed.ok() || !parsed->is_object())
    return Status::InvalidArgument("OpenCost answer: not a JSON object");
  const Json& body = *parsed;
  if (body.contains("code") && !body["code"].is_number())
    return Status::InvalidArgument("OpenCost answer: code: expected a number");
  if (body.contains("code") && body["code"].get<double>() != 200) {
    std::string message;
    if (body.contains("message") && body["message"].is_string()) message = body["message"];
    return Status::Unavailable("OpenCost answer: code " + DumpJson(body["code"]) + ": " + message);
  }
  if (!body.contains("data") || !body["data"].is_array())
    return Status::InvalidArgument("OpenCost answer: data: expected an array of allocation sets");
  std::vector<OpenCostAllocation> out;
  const Json& sets = body["data"];
  for (size_t i = 0; i < sets.size(); ++i) {
    if (sets[i].is_null()) continue;
    if (!sets[i].is_object())
      return Status::InvalidArgument("OpenCost answer: data[" + std::to_string(i) +
                                     "]: expected an object of allocations");
    for (auto it = sets[i].begin(); it != sets[i].end(); ++it) {
      const std::string where = "data[" + std::to_string(i) + "][" + DumpJson(Json(it.key())) + "]";
      const Json& a = it.value();
      if (!a.is_object())
        return Status::InvalidArgument("OpenCost answer: " + where + ": expected an object");
      auto window = a.find("window");
      if (window == a.end() || !window->is_object() || !window->contains("start") ||
          !(*window)["start"].is_string() || !window->contains("end") ||
          !(*window)["end"].is_string())
        return Status::InvalidArgument("OpenCost answer: " + where +
                                       ".window: expected {start, end} times");
      auto ws = ParseIso8601((*window)["start"].get<std::string>());
      auto we = ParseIso8601((*window)["end"].get<std::string>());
      if (!ws.ok() || !we.ok() || *we < *ws)
        return Status::InvalidArgument("OpenCost answer: " + where + ".window: bad times");
      OpenCostAllocation x;
      x.start = ToUnixMillis(*ws) / 1000;
      x.end = ToUnixMillis(*we) / 1000;
      struct Field {
        const char* key;
        double* into;
      };
      const Field fields[] = {{"cpuCost", &x.cpu},         {"ramCost", &x.ram},
                              {"gpuCost", &x.gpu},         {"pvCost", &x.pv},
                              {"networkCost", &x.network}, {"loadBalancerCost", &x.load_balancer},
                              {"sharedCost", &x.shared},   {"externalCost", &x.external},
                              {"totalCost", &x.total}};
      for (const auto& f : fields) {
        auto v = a.find(f.key);
        if (v == a.end() || v->is_null()) continue;
        if (!v->is_number())
          return Status::InvalidArgument("OpenCost answer: " + where + "." + f.key +
                                         ": expected a number");
        *f.into = v->get<double>();
      }
      if (!a.contains("totalCost") || a["totalCost"].is_null())
        x.total =
            x.cpu + x.ram + x.gpu + x.pv + x.network + x.load_balancer + x.shared + x.external;
      x.name = it.key();
      if (a.contains("name") && a["name"].is_string()) x.name = a["name"];
      auto props = a.find("properties");
      if (props != a.end() && props->is_object()) {
        auto prop = [&](const char* key) {
          auto p = props->find(key);
          return p != props->end() && p->is_string() ? p->get<std::string>() : std::string();
        };
        x.cluster = prop("cluster");
        x.ns = prop("namespace");
        x.controller_kind = prop("controllerKind");
        x.controller = prop("controller");
        x.pod = prop("pod");
        x.container = prop("container");
        x.properties = DumpJson(*props);
      } else {
        x.properties = "{}";
      }
      if (x.ns.empty() && x.name != "__idle__" && x.name != "__unallocated__") x.ns = x.name;
      out.push_back(std::move(x));
    }
  }
  return out;
}

}  // namespace dai::cost
