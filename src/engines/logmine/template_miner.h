// TemplateMiner: an online log template miner. Each message (the `<Content>` of a line) is
// masked (user masks, then built-in variable classes per token: see template_text.h) and
// assigned to a template cluster; the cluster learns which positions are variable as lines
// arrive; parameters are extracted per line.
//
// Method (one parameter set for every source):
//  - Clusters are kept per token count. A message joins the most similar cluster of its length
//    when at least `similarity` of its positions agree (Drain's similarity, but without Drain's
//    fixed prefix tree, so messages that start with a variable are not scattered).
//  - Each position of a cluster tracks its distinct values (bounded). A position becomes a
//    variable as soon as it holds two different values that are not plain words (values with a
//    built-in variable class inside, paths, punctuation-laden strings). A position holding only
//    plain words (identifiers the built-in classes left alone: LOOKING / FOLLOWING, alt0 / ee0)
//    stays a constant that splits the cluster's template until it has seen `word_split_limit`
//    different words: Brain's child direction (few distinct words = distinct events, many = a
//    variable). Words that do not repeat (about one line per distinct word, at least three
//    words) render as a variable: they behave like ids, not like the states of an enumeration.
//  - The template of a message is its cluster's pattern with variable positions as `<*>` and
//    split positions taking the message's own word; its text follows Loghub-2.0's conventions.
//    Clusters whose templates converge therefore report the same template text, which callers
//    use as the event identity.
//  - An exact-signature cache (masked token sequence -> cluster) makes the common case one hash
//    lookup; the cache is bounded and cleared when full.
//  - State is bounded: at most `max_clusters` clusters (least recently seen evicted), at most
//    `max_tokens` tokens per message (the tail folds into one variable), values per position
//    capped, long tokens treated as variables.
//
// Online vs offline: Add() assigns with the state learned so far (the streaming path). Batch
// users who want every line to carry the final templates call Add() for all lines, then
// Classify() for each line with the cluster id Add() returned (a second pass, no learning).
// Thread-safety: not thread-safe; one miner per thread or external locking.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "engines/logmine/masker.h"

namespace dai::logmine {

struct MinerOptions {
  double similarity = 0.5;        //!< fraction of agreeing positions needed to join a cluster
  uint32_t word_split_limit = 10;  //!< distinct plain words before a position becomes variable
  uint32_t max_clusters = 50000;  //!< eviction of the least recently seen cluster beyond this
  uint32_t max_tokens = 256;      //!< tokens per message; the rest folds into one variable
  uint32_t max_cache_entries = 1u << 20;  //!< exact-signature cache size before it is cleared
  bool extract_parameters = true;
};

//! What Add()/Classify() return. Views are valid until the next call on the miner.
struct MineResult {
  uint64_t cluster_id = 0;
  bool new_cluster = false;
  std::string_view template_text;
  std::vector<std::string_view> parameters;  //!< raw tokens at variable positions
};

//! One cluster as listed by Templates(): split positions are shown as `<*>` there.
struct TemplateInfo {
  uint64_t cluster_id = 0;
  std::string template_text;
  uint64_t count = 0;
};

class TemplateMiner {
 public:
  //! INVALID_ARGUMENT for a mask that does not compile or options out of range.
  static Result<TemplateMiner> Create(const MinerOptions& options,
                                      const std::vector<std::string>& masks = {});
  TemplateMiner(TemplateMiner&&) noexcept;
  TemplateMiner& operator=(TemplateMiner&&) noexcept;
  ~TemplateMiner();

  //! Learns from `content` and assigns it (online). Any bytes are accepted.
  const MineResult& Add(std::string_view content);
  //! Assigns `content` with the current state without learning. `hint` is the cluster id Add()
  //! gave it (0 when unknown); when that cluster still exists it is used.
  const MineResult& Classify(std::string_view content, uint64_t hint = 0);

  size_t cluster_count() const { return clusters_.size(); }
  uint64_t evictions() const { return evictions_; }
  uint64_t lines() const { return seq_; }
  //! Makes every cluster created from now on get an id above `id` (ids a caller stored from a
  //! state that was not saved stay unique).
  void ReserveIdsThrough(uint64_t id) {
    if (next_id_ <= id) next_id_ = id + 1;
  }
  //! The current template of a cluster (split positions as `<*>`), or empty when it is unknown.
  std::string TemplateOf(uint64_t cluster_id) const;
  //! All clusters, most frequent first.
  std::vector<TemplateInfo> Templates() const;

  //! Serializes the learned state (JSON text; masks and options included).
  std::string Save() const;
  //! Rebuilds a miner from Save() output; INVALID_ARGUMENT on malformed input.
  static Result<TemplateMiner> Restore(std::string_view saved);

 private:
  struct Value {
    std::string text;
    uint64_t count = 0;
  };
  struct Column {
    bool variable = false;
    std::vector<Value> values;  // empty once variable
    std::string shape;          // variable: the pattern covering all values seen (`<*>` at worst)
  };
  struct Cluster {
    uint64_t id = 0;
    std::vector<Column> columns;
    uint64_t count = 0;
    uint64_t last_seen = 0;
    uint32_t version = 0;
    uint32_t split_columns = 0;      // constant columns holding more than one word
    uint32_t split_as_variable = 0;  // of those, how many render as variables now
    std::list<uint64_t>::iterator lru;
  };
  struct CacheEntry {
    uint64_t cluster_id = 0;
    uint32_t version = 0;
    bool has_template = false;
    std::string template_text;
  };

  TemplateMiner(MinerOptions options, Masker masker);

  void Tokenize(std::string_view content);
  Cluster* FindBest(uint64_t* best_id);
  void Learn(Cluster& cluster);
  void Render(const Cluster& cluster, std::string& out) const;
  void FillParameters(const Cluster& cluster);
  Cluster& NewCluster();
  void Touch(Cluster& cluster);
  static bool RendersAsVariable(const Cluster& cluster, const Column& col);
  void EvictIfNeeded();
  bool IsPlainWord(std::string_view s) const;

  MinerOptions options_;
  Masker masker_;
  std::unordered_map<uint64_t, Cluster> clusters_;
  std::unordered_map<uint32_t, std::vector<uint64_t>> by_length_;
  std::unordered_map<std::string, CacheEntry> cache_;
  std::list<uint64_t> lru_;  // front = most recently seen
  uint64_t next_id_ = 1;
  uint64_t seq_ = 0;
  uint64_t evictions_ = 0;

  // Scratch, reused across calls.
  std::string masked_content_;
  std::string key_;                       // masked tokens joined by '\x1f'
  std::vector<uint32_t> key_offsets_;     // start of token i in key_ (size n+1)
  std::vector<std::string_view> raw_;     // raw tokens
  std::vector<std::string_view> masked_tokens_;  // tokens of the user-masked message
  std::string template_;
  MineResult result_;
};

}  // namespace dai::logmine
