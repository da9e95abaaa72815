#include "adapters/logsource/journald_reader.h"

#include "adapters/runner/step_process.h"
#include "core/json.h"
#include "engines/logmine/log_line.h"

namespace dai::logsource {

Result<JournalEntry> DecodeJournalLine(std::string_view line) {
  auto j = ParseJson(line);
  if (!j.ok()) return Status::InvalidArgument("journal line: " + j.status().message());
  if (!j->is_object()) return Status::InvalidArgument("journal line: not an object");
  JournalEntry e;
  auto msg = j->find("MESSAGE");
  if (msg == j->end()) return Status::InvalidArgument("journal line: no MESSAGE");
  if (msg->is_string()) {
    e.message = msg->get<std::string>();
  } else if (msg->is_array()) {
    // Binary or non-UTF-8 messages come as an array of byte values.
    for (const Json& b : *msg) {
      if (!b.is_number_unsigned() && !b.is_number_integer()) {
        return Status::InvalidArgument("journal line: MESSAGE array holds a non-number");
      }
      const int64_t v = b.get<int64_t>();
      if (v < 0 || v > 255)
        return Status::InvalidArgument("journal line: MESSAGE byte out of range");
      e.message.push_back(static_cast<char>(v));
    }
  } else {
    return Status::InvalidArgument("journal line: MESSAGE is neither a string nor bytes");
  }
  auto prio = j->find("PRIORITY");
  if (prio != j->end() && prio->is_string() && prio->get_ref<const std::string&>().size() == 1) {
    const char c = prio->get_ref<const std::string&>()[0];
    if (c >= '0' && c <= '7') e.priority = c - '0';
  }
  for (const char* key : {"_SYSTEMD_UNIT", "SYSLOG_IDENTIFIER", "_COMM"}) {
    auto it = j->find(key);
    if (it != j->end() && it->is_string()) {
      e.unit = it->get<std::string>();
      break;
    }
  }
  auto cur = j->find("__CURSOR");
  if (cur != j->end() && cur->is_string()) e.cursor = cur->get<std::string>();
  return e;
}

JournaldReader::JournaldReader(JournaldOptions options, std::string after_cursor,
                               std::function<void(std::vector<JournalEntry>&)> on_entries,
                               std::function<void(const std::string&)> on_error)
    : options_(std::move(options)),
      cursor_(std::move(after_cursor)),
      on_entries_(std::move(on_entries)),
      on_error_(std::move(on_error)) {}

JournaldReader::~JournaldReader() { Stop(); }

std::vector<std::string> JournaldReader::Argv() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> argv = {options_.journalctl, "-o", "json", "--follow", "--no-pager"};
  if (cursor_.empty()) {
    argv.push_back("-n");
    argv.push_back("0");
  } else {
    argv.push_back("--after-cursor=" + cursor_);
  }
  for (const auto& a : options_.extra_args) argv.push_back(a);
  return argv;
}

void JournaldReader::Start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void JournaldReader::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void JournaldReader::Run() {
  while (!stop_) {
    runner::StepProcessSpec spec;
    spec.argv = Argv();
    spec.cwd = "/";
    spec.timeout = std::chrono::hours(24 * 365);
    spec.kill_grace = std::chrono::milliseconds(500);
    spec.max_output_bytes = 0;  // nothing kept: everything goes through on_output
    spec.stream_all_output = true;
    spec.cancel = &stop_;
    logmine::LineSplitter splitter(options_.max_line_bytes);
    std::vector<JournalEntry> batch;
    spec.on_output = [&](std::string_view chunk) {
      splitter.Feed(chunk, [&](std::string_view line) {
        if (line.empty()) return;
        auto e = DecodeJournalLine(line);
        if (!e.ok()) {
          ++rejected_;
          return;
        }
        batch.push_back(std::move(*e));
      });
      if (!batch.empty()) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          if (!batch.back().cursor.empty()) cursor_ = batch.back().cursor;
        }
        on_entries_(batch);
        batch.clear();
      }
    };
    auto outcome = runner::RunStepProcess(spec);
    rejected_ += splitter.rejected_long();
    if (stop_) break;
    if (!outcome.ok()) {
      on_error_("journalctl: " + outcome.status().message());
    } else {
      on_error_("journalctl exited (code " + std::to_string(outcome->exit_code) + "); restarting");
    }
    for (auto waited = std::chrono::milliseconds(0); waited < options_.restart_delay && !stop_;
         waited += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

}  // namespace dai::logsource
