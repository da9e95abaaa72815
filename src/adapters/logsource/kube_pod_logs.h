// KubePodLogReader: Kubernetes pod logs as a log source (issue #4), through the Kubernetes
// adapter (KubeClient: the API's pods/log subresource, as `kubectl logs` reads it). Each poll
// lists the pods matching a namespace and label selector and reads every selected container's
// new lines with `timestamps=true`: the first read of a container takes its last
// `initial_tail_lines` lines, later reads ask for `sinceTime=` the last timestamp taken (to the
// second, as the API accepts it) and drop what was already taken, so a line is handed out once
// even across restarts (the position is saved with the source). A read cut by `limitBytes`
// leaves its unterminated last line for the next poll. Containers of pods that are gone are
// forgotten after `forget_after`.
// The parsing of an answer against a position (TakeNewLines) is pure; Poll does the requests.
// Names, namespaces and selectors reach the URL only percent-encoded (KubeClient).
// Thread-safety: Poll may be called from one thread at a time per position.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/kubernetes/kube_client.h"
#include "core/json.h"
#include "core/status.h"

namespace dai::logsource {

//! Where one container's log was read up to: the newest timestamp handed out (Unix ns) and how
//! many lines carried exactly that timestamp (a second read starting at it skips them).
struct KubeStreamPosition {
  int64_t last_ns = 0;
  int64_t same_count = 0;
  int64_t seen_ms = 0;  //!< when the container was last listed (to forget deleted pods)
};

//! Per "pod/container" stream.
struct KubeLogPosition {
  std::map<std::string, KubeStreamPosition> streams;
  Json ToJson() const;
  //! Tolerant: anything malformed is dropped (the stream is then read from its tail again).
  static KubeLogPosition FromJson(const Json& j);
};

struct KubeTimedLine {
  int64_t unix_ns = 0;
  std::string_view text;
};

struct TakeStats {
  size_t taken = 0;
  size_t duplicates = 0;      //!< lines at or before the position (already handed out)
  size_t malformed = 0;       //!< lines without a parsable leading RFC 3339 timestamp
  bool partial_tail = false;  //!< the answer ended inside a line (left for the next read)
};

//! Pure: appends the lines of a `timestamps=true` answer that are newer than `pos` to `out` (views
//! into `body`) and advances `pos`. Lines are "<RFC 3339 timestamp> <text>".
TakeStats TakeNewLines(std::string_view body, KubeStreamPosition& pos,
                       std::vector<KubeTimedLine>& out);

struct KubeLogSelector {
  std::string namespace_;      //!< required
  std::string label_selector;  //!< empty: every pod of the namespace
  std::string container;       //!< empty: every container of each pod
};

struct KubeLogReaderOptions {
  int64_t initial_tail_lines = 1000;  //!< a container seen for the first time
  int64_t limit_bytes = 4 << 20;      //!< per read; the rest comes with the next poll
  size_t max_streams = 200;           //!< containers read per poll (the rest: an error line)
  std::chrono::milliseconds forget_after{std::chrono::hours(1)};
};

struct KubePollStats {
  size_t pods = 0;
  size_t streams = 0;
  size_t lines = 0;
  size_t bytes = 0;
  size_t malformed = 0;
  //! Per-stream failures ("pod/container: message"), joined; empty when every read worked.
  std::string errors;
  //! Streams not listed for `forget_after` (deleted pods): the caller drops them.
  std::vector<std::string> forget;
};

//! One container's new lines (views valid during the call) and its position after them.
using KubeStreamCallback =
    std::function<void(const std::string& key, const std::vector<KubeTimedLine>& lines,
                       const KubeStreamPosition& after)>;

class KubePodLogReader {
 public:
  KubePodLogReader(std::shared_ptr<const kube::KubeClient> client, KubeLogSelector selector,
                   KubeLogReaderOptions options = {});

  //! Reads every selected container's new lines after `position`, calling `on_stream` once per
  //! container that was read (the caller ingests the lines and stores the new position
  //! together). Fails when the pod list cannot be read; a failing container read is reported
  //! in `errors` and retried at the next poll. No lock is needed around it: it only reads
  //! `position`.
  Result<KubePollStats> Poll(const KubeLogPosition& position, int64_t now_ms,
                             const KubeStreamCallback& on_stream) const;

  const KubeLogSelector& selector() const { return selector_; }

 private:
  std::shared_ptr<const kube::KubeClient> client_;
  KubeLogSelector selector_;
  KubeLogReaderOptions options_;
};

}  // namespace dai::logsource
