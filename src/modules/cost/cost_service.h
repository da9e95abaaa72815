// CostService: the Cost Optimizer's use cases over the store. Imports FOCUS/CUR files
// (streamed, staged under a 'loading' import, committed in one short transaction that replaces
// the same billing period and account of earlier imports; a file already imported is
// recognised by its SHA-256 and not imported twice), serves breakdowns from the daily
// pre-aggregates, forecasts with intervals, budgets with once-per-crossing alerts, and
// recommendations (idle resources, commitments, rightsizing) with the change that applies them.
// Thread-safety: safe for concurrent use (state lives in the database).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "registry/procedure.h"
#include "store/database.h"

namespace dai::costopt {

//! Pulls the next bytes of a file into `buffer`; returns how many (0 at the end).
using ChunkSource = std::function<Result<size_t>(char* buffer, size_t capacity)>;

struct ImportOptions {
  std::string source;  //!< a name for the file (shown in listImports)
  std::string actor;   //!< who imported it
  //! When set ("2024-09"), every row's billing period must start in that month.
  std::optional<std::string> expected_period;
  size_t batch_rows = 5000;  //!< rows per staging transaction
};

struct CostServiceOptions {
  double commitment_discount = 0.28;  //!< savings-plan discount assumed for sizing
  int idle_min_days = 7;
};

class CostService {
 public:
  //! `publish(type, json)` sends live updates (SSE); may be empty.
  CostService(store::Database& db, const Clock& clock, CostServiceOptions options,
              std::function<void(const std::string&, const std::string&)> publish);

  //! Imports one file. The answer: {importId, duplicate, format, rows, currency, billedCost,
  //! effectiveCost, periods:[{start,end,rows,billedCost,effectiveCost}], replacedImports}.
  //! Nothing of a failed import stays visible; its cost_imports row records the error.
  Result<Json> Import(const ChunkSource& source, const ImportOptions& options);
  //! Opens a plain or gzip file and imports it.
  Result<Json> ImportFile(const std::string& path, const ImportOptions& options);

  Result<Json> GetCosts(const Json& input);
  Result<Json> Forecast(const Json& input);
  Result<Json> SetBudget(const Json& input, const Identity& who);
  Result<Json> ListBudgets();
  Result<Json> RefreshRecommendations(const Json& input);
  Result<Json> GetRecommendations(const Json& input);
  Result<Json> ApplyRecommendation(const Json& input, const Identity& who);
  Result<Json> ListImports(const Json& input);

  //! Declares the costOptimizer.* procedures.
  void RegisterProcedures(ProcedureRegistry& registry);

 private:
  struct Scope {
    std::string column;  //!< a cost_daily column from a fixed list, or empty for all
    std::string value;
  };
  Result<Scope> ParseScope(const std::string& scope) const;
  //! The last day with data + 1 day (capped at now), as unix seconds of a UTC day start.
  Result<int64_t> AsOf();
  Result<std::vector<double>> DailySeries(const Scope& scope, int64_t from_day, int64_t to_day);
  Result<Json> ForecastPeriod(const Scope& scope, const std::string& horizon, int64_t as_of);
  Result<Json> EvaluateBudgets(std::optional<int64_t> only_id);

  store::Database& db_;
  const Clock& clock_;
  CostServiceOptions options_;
  std::function<void(const std::string&, const std::string&)> publish_;
};

}  // namespace dai::costopt
