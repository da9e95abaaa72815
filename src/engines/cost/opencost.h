// OpenCost's allocation API answer (`GET /allocation/compute`): {"code":200,"data":[{"<name>":
// {"name","properties":{"cluster","namespace","controllerKind","controller","pod","container"},
// "window":{"start","end"},"cpuCost","ramCost","gpuCost","pvCost","networkCost",
// "loadBalancerCost","sharedCost","externalCost","totalCost",...}}, ...]} — one set per step.
// Pure. Thread-safety: free functions and value types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace dai::cost {

struct OpenCostAllocation {
  int64_t start = 0, end = 0;  //!< the window, unix seconds
  std::string name, cluster, ns, controller_kind, controller, pod, container;
  std::string properties;  //!< the properties object as JSON text
  double cpu = 0, ram = 0, gpu = 0, pv = 0, network = 0, load_balancer = 0, shared = 0,
         external = 0, total = 0;
};

//! Parses an answer. A code other than 200 → UNAVAILABLE with OpenCost's message; a shape that is
//! not OpenCost's → INVALID_ARGUMENT naming the field ("data[0][\"shop\"].cpuCost: expected a
//! number"). A missing totalCost is the sum of the parts; a missing namespace is the name (when
//! aggregated by namespace), except for OpenCost's __idle__ and __unallocated__ entries.
Result<std::vector<OpenCostAllocation>> ParseOpenCostAllocations(std::string_view body);

}  // namespace dai::cost
