// LogService's in-memory state per source (private to the module's .cc files): the parsed
// format, the template miner, the tailer or journal reader, and the aggregates not yet committed.
// Guarded by LogService::mu_.
#pragma once

#include <string_view>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adapters/logsource/file_tailer.h"
#include "adapters/logsource/journald_reader.h"
#include "adapters/logsource/kube_pod_logs.h"
#include "engines/logmine/log_format.h"
#include "engines/logmine/log_line.h"
#include "engines/logmine/template_miner.h"
#include "modules/logs/log_service.h"

namespace dai::logs {

struct PendingTemplate {
  std::string text;
  logmine::LogLevel level = logmine::LogLevel::kUnknown;
  std::map<int64_t, uint64_t> counts;  // minute -> lines
  std::vector<std::pair<TimePoint, std::string>> samples;
  uint64_t lines = 0;
};

struct LogService::Runtime {
  int64_t id = 0;
  std::string name;
  std::string kind;
  std::string path;
  bool enabled = true;
  std::unique_ptr<logmine::LogFormat> format;  // null: auto-detect per line
  int level_field = -1;                        // index of a Level-like field of the format
  std::unique_ptr<logmine::TemplateMiner> miner;
  std::unique_ptr<logsource::FileTailer> tailer;
  std::unique_ptr<logsource::JournaldReader> journal;
  std::string cursor;                                 // journald: cursor of the last entry mined
  std::vector<std::string> journal_args;              // journald: --unit NAME ... as argv elements
  std::shared_ptr<logsource::KubePodLogReader> kube;  // kubernetes: the pod log reader
  logsource::KubeLogPosition kube_position;           // kubernetes: per pod/container
  TimePoint kube_polled_at{};
  // (cluster id, template text) -> log_templates.id. The miner's template text is the event
  // identity (positions holding a few distinct words split a cluster into several events).
  std::map<std::pair<uint64_t, std::string>, int64_t> rows;
  std::map<std::pair<uint64_t, std::string>, PendingTemplate> pending;
  std::map<std::string, uint64_t> pending_rejected;
  uint64_t pending_lines = 0;
  bool position_dirty = false;
  bool state_dirty = false;
  TimePoint state_saved_at{};
  std::string last_error;
  bool error_dirty = false;
  // scratch
  logmine::SplitLine split;
  logmine::ParsedLine parsed;
  std::string clean;
};

//! True when template `text` is an instance of template `pattern`: the same tokens, each equal or
//! matched by the pattern's token with `<*>` standing for any run of characters. A cluster whose
//! template generalised (a constant became a variable) renames its row instead of starting anew.
bool TemplateCovers(std::string_view pattern, std::string_view text);

}  // namespace dai::logs
