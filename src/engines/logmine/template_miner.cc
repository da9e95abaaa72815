#include "engines/logmine/template_miner.h"

#include <algorithm>

#include "core/json.h"
#include "engines/logmine/template_text.h"

namespace dai::logmine {
namespace {

constexpr char kSep = '\x1f';
constexpr size_t kMaxValueBytes = 256;

bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

void SplitWhitespace(std::string_view s, std::vector<std::string_view>& out) {
  out.clear();
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    if (i >= s.size()) break;
    size_t j = i;
    while (j < s.size() && !IsSpace(s[j])) ++j;
    out.push_back(s.substr(i, j - i));
    i = j;
  }
}

// A number as written in a message: digits with '.' or ',' separators, or a masked value.
bool IsNumberToken(std::string_view t) {
  if (t == kWildcard) return true;
  bool digit = false;
  for (char c : t) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c != '.' && c != ',') {
      return false;
    }
  }
  return digit;
}

// Length of the byte-size unit at the start of `t` when `t` is such a unit followed only by
// punctuation ("KB,", "MB)"), else 0.
size_t ByteUnitLength(std::string_view t) {
  size_t end = t.size();
  while (end > 0 && std::string_view(",.;:)]}").find(t[end - 1]) != std::string_view::npos) --end;
  std::string_view unit = t.substr(0, end);
  static constexpr std::string_view kUnits[] = {"B",  "KB",  "MB",  "GB",  "TB", "PB",
                                                "KiB", "MiB", "GiB", "TiB"};
  for (auto u : kUnits) {
    if (unit == u) return end;
  }
  return 0;
}

}  // namespace

TemplateMiner::TemplateMiner(MinerOptions options, Masker masker)
    : options_(options), masker_(std::move(masker)) {}
TemplateMiner::TemplateMiner(TemplateMiner&&) noexcept = default;
TemplateMiner& TemplateMiner::operator=(TemplateMiner&&) noexcept = default;
TemplateMiner::~TemplateMiner() = default;

Result<TemplateMiner> TemplateMiner::Create(const MinerOptions& options,
                                            const std::vector<std::string>& masks) {
  if (!(options.similarity > 0.0 && options.similarity <= 1.0)) {
    return Status::InvalidArgument("similarity must be in (0, 1]");
  }
  if (options.word_split_limit < 2 || options.max_clusters < 1 || options.max_tokens < 1 ||
      options.max_cache_entries < 1) {
    return Status::InvalidArgument(
        "word_split_limit must be >= 2 and max_clusters, max_tokens, max_cache_entries >= 1");
  }
  DAI_ASSIGN_OR_RETURN(Masker masker, Masker::Create(masks));
  return TemplateMiner(options, std::move(masker));
}

bool TemplateMiner::IsPlainWord(std::string_view s) const {
  // Brackets, quotes and sentence punctuation around the word are not part of it.
  size_t begin = 0;
  size_t end = s.size();
  while (begin < end && std::string_view("([{'\"").find(s[begin]) != std::string_view::npos) {
    ++begin;
  }
  while (end > begin && std::string_view(")]}'\",.:;").find(s[end - 1]) != std::string_view::npos) {
    --end;
  }
  if (begin == end) return false;
  // Identifier characters only; a token the built-in classes masked is not a word.
  if (!((s[begin] >= 'a' && s[begin] <= 'z') || (s[begin] >= 'A' && s[begin] <= 'Z'))) {
    return false;
  }
  for (size_t i = begin; i < end; ++i) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '_' || c == '.' || c == '-')) {
      return false;
    }
  }
  return true;
}

void TemplateMiner::Tokenize(std::string_view content) {
  std::string_view masked_src = content;
  if (masker_.Apply(content, masked_content_)) masked_src = masked_content_;
  SplitWhitespace(content, raw_);
  std::vector<std::string_view>& raw = raw_;
  // Masked tokens come from the masked message; masks keep whitespace, so counts agree. If a
  // mask ever changed the count, the masked tokens stand in for the raw ones.
  const std::vector<std::string_view>* masked_ptr = &raw;
  if (masked_src.data() != content.data()) {
    SplitWhitespace(masked_src, masked_tokens_);
    if (masked_tokens_.size() != raw.size()) raw = masked_tokens_;
    masked_ptr = &masked_tokens_;
  }
  const std::vector<std::string_view>& masked_tokens = *masked_ptr;
  const size_t n = masked_tokens.size();
  const size_t limit = options_.max_tokens;
  key_.clear();
  key_offsets_.clear();
  size_t out = 0;
  for (size_t i = 0; i < n && out < limit; ++i, ++out) {
    key_offsets_.push_back(static_cast<uint32_t>(key_.size()));
    if (out + 1 == limit && i + 1 < n) {
      // The folded tail is one variable; its raw token spans to the end of the message.
      key_ += kWildcard;
      const char* end = content.data() + content.size();
      std::string_view first = raw[i];
      if (first.data() >= content.data() && first.data() < end) {
        raw[out] = std::string_view(first.data(), static_cast<size_t>(end - first.data()));
      } else {
        raw[out] = first;
      }
    } else if (i + 1 < n && IsNumberToken(masked_tokens[i]) &&
               ByteUnitLength(masked_tokens[i + 1]) > 0) {
      // A size with its unit ("12.3 KB,") is one quantity: one token, one variable.
      std::string_view unit = masked_tokens[i + 1];
      key_ += kWildcard;
      key_.append(unit.substr(ByteUnitLength(unit)));
      std::string_view a = raw[i];
      std::string_view b = raw[i + 1];
      raw[out] = b.data() > a.data()
                     ? std::string_view(a.data(), static_cast<size_t>(b.data() + b.size() - a.data()))
                     : a;
      ++i;
    } else {
      MaskToken(masked_tokens[i], key_);
      raw[out] = raw[i];
    }
    key_.push_back(kSep);
  }
  key_offsets_.push_back(static_cast<uint32_t>(key_.size()));
  raw.resize(out);
}

TemplateMiner::Cluster* TemplateMiner::FindBest(uint64_t* best_id) {
  const uint32_t n = static_cast<uint32_t>(key_offsets_.size() - 1);
  auto it = by_length_.find(n);
  if (it == by_length_.end()) return nullptr;
  Cluster* best = nullptr;
  double best_score = -1.0;
  size_t best_exact = 0;
  for (uint64_t id : it->second) {
    auto cit = clusters_.find(id);
    if (cit == clusters_.end()) continue;
    Cluster& c = cit->second;
    size_t agree = 0;
    size_t exact = 0;
    for (uint32_t i = 0; i < n; ++i) {
      const Column& col = c.columns[i];
      if (col.variable) {
        ++agree;
        continue;
      }
      std::string_view tok(key_.data() + key_offsets_[i], key_offsets_[i + 1] - key_offsets_[i] - 1);
      for (const Value& v : col.values) {
        if (v.text == tok) {
          ++agree;
          ++exact;
          break;
        }
      }
    }
    double score = n == 0 ? 1.0 : static_cast<double>(agree) / n;
    if (score > best_score || (score == best_score && exact > best_exact)) {
      best = &c;
      best_score = score;
      best_exact = exact;
    }
  }
  if (best == nullptr) return nullptr;
  // Joining needs enough agreement, and at least one agreeing constant unless the cluster is all
  // variables (then only a message of the same shape reaches it).
  if (best_score < options_.similarity + 1e-9) return nullptr;  // strictly more than
  if (n > 0 && best_exact == 0) {
    bool all_variable = std::all_of(best->columns.begin(), best->columns.end(),
                                    [](const Column& c) { return c.variable; });
    if (!all_variable) return nullptr;
  }
  *best_id = best->id;
  return best;
}

void TemplateMiner::Learn(Cluster& cluster) {
  const uint32_t n = static_cast<uint32_t>(key_offsets_.size() - 1);
  bool changed = false;
  for (uint32_t i = 0; i < n; ++i) {
    Column& col = cluster.columns[i];
    std::string_view tok(key_.data() + key_offsets_[i], key_offsets_[i + 1] - key_offsets_[i] - 1);
    if (col.variable) {
      if (col.shape != kWildcard && col.shape != tok) {
        std::string g = GeneralizeToken(col.shape, tok);
        if (g.size() > kMaxValueBytes) g = kWildcard;
        if (g != col.shape) {
          col.shape = std::move(g);
          changed = true;
        }
      }
      continue;
    }
    bool found = false;
    for (Value& v : col.values) {
      if (v.text == tok) {
        ++v.count;
        found = true;
        break;
      }
    }
    if (found) continue;
    changed = true;
    bool words = IsPlainWord(tok) && tok.size() <= kMaxValueBytes;
    for (const Value& v : col.values) words = words && IsPlainWord(v.text);
    if (!words || col.values.size() + 1 >= options_.word_split_limit) {
      // The position is a variable: its shape covers every value seen.
      std::string shape(tok.size() <= kMaxValueBytes ? tok : kWildcard);
      for (const Value& v : col.values) shape = GeneralizeToken(shape, v.text);
      if (shape.size() > kMaxValueBytes) shape = kWildcard;
      if (col.values.size() > 1) --cluster.split_columns;
      col.variable = true;
      col.shape = std::move(shape);
      col.values.clear();
      col.values.shrink_to_fit();
      continue;
    }
    if (col.values.size() == 1) ++cluster.split_columns;
    col.values.push_back({std::string(tok), 1});
  }
  if (changed) ++cluster.version;
}

void TemplateMiner::Render(const Cluster& cluster, std::string& out) const {
  out.clear();
  const size_t n = cluster.columns.size();
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out.push_back(' ');
    const Column& col = cluster.columns[i];
    if (col.variable) {
      out += col.shape.empty() ? kWildcard : std::string_view(col.shape);
    } else if (col.values.size() == 1) {
      out += col.values[0].text;
    } else if (RendersAsVariable(cluster, col)) {
      std::string shape = col.values[0].text;
      for (const Value& v : col.values) shape = GeneralizeToken(shape, v.text);
      out += shape;
    } else {
      out.append(key_.data() + key_offsets_[i], key_offsets_[i + 1] - key_offsets_[i] - 1);
    }
  }
}

void TemplateMiner::FillParameters(const Cluster& cluster) {
  result_.parameters.clear();
  if (!options_.extract_parameters) return;
  const size_t n = std::min(cluster.columns.size(), raw_.size());
  for (size_t i = 0; i < n; ++i) {
    std::string_view tok(key_.data() + key_offsets_[i], key_offsets_[i + 1] - key_offsets_[i] - 1);
    const Column& col = cluster.columns[i];
    if (col.variable || tok.find(kWildcard) != std::string_view::npos ||
        (col.values.size() > 1 && RendersAsVariable(cluster, col))) {
      result_.parameters.push_back(raw_[i]);
    }
  }
}

TemplateMiner::Cluster& TemplateMiner::NewCluster() {
  const uint32_t n = static_cast<uint32_t>(key_offsets_.size() - 1);
  uint64_t id = next_id_++;
  Cluster& c = clusters_[id];
  c.id = id;
  c.columns.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    std::string_view tok(key_.data() + key_offsets_[i], key_offsets_[i + 1] - key_offsets_[i] - 1);
    if (tok.size() > kMaxValueBytes) {
      c.columns[i].variable = true;
      c.columns[i].shape = kWildcard;
    } else {
      c.columns[i].values.push_back({std::string(tok), 0});
    }
  }
  lru_.push_front(id);
  c.lru = lru_.begin();
  by_length_[n].push_back(id);
  return c;
}

bool TemplateMiner::RendersAsVariable(const Cluster& cluster, const Column& col) {
  // Words that keep changing from line to line (about one line per distinct word) behave like
  // ids, not like the states of an enumeration, which repeat: render them as a variable.
  const size_t distinct = col.values.size();
  return distinct >= 3 && cluster.count < 2 * distinct;
}

void TemplateMiner::Touch(Cluster& cluster) {
  ++cluster.count;
  if (cluster.split_columns > 0) {
    uint32_t as_variable = 0;
    for (const Column& col : cluster.columns) {
      if (!col.variable && col.values.size() > 1 && RendersAsVariable(cluster, col)) ++as_variable;
    }
    if (as_variable != cluster.split_as_variable) {
      cluster.split_as_variable = as_variable;
      ++cluster.version;
    }
  }
  cluster.last_seen = seq_;
  if (cluster.lru != lru_.begin()) lru_.splice(lru_.begin(), lru_, cluster.lru);
}

void TemplateMiner::EvictIfNeeded() {
  while (clusters_.size() > options_.max_clusters && !lru_.empty()) {
    uint64_t victim = lru_.back();
    lru_.pop_back();
    auto it = clusters_.find(victim);
    if (it == clusters_.end()) continue;
    auto& bucket = by_length_[static_cast<uint32_t>(it->second.columns.size())];
    bucket.erase(std::remove(bucket.begin(), bucket.end(), victim), bucket.end());
    clusters_.erase(it);
    ++evictions_;
    // Cache entries naming the victim are dropped lazily when hit.
  }
}

const MineResult& TemplateMiner::Add(std::string_view content) {
  ++seq_;
  Tokenize(content);
  result_.new_cluster = false;
  Cluster* cluster = nullptr;
  CacheEntry* entry = nullptr;
  auto hit = cache_.find(key_);
  if (hit != cache_.end()) {
    auto cit = clusters_.find(hit->second.cluster_id);
    if (cit != clusters_.end()) {
      cluster = &cit->second;
      entry = &hit->second;
    } else {
      cache_.erase(hit);
    }
  }
  if (cluster == nullptr) {
    uint64_t id = 0;
    cluster = FindBest(&id);
    if (cluster != nullptr) {
      Learn(*cluster);
    } else {
      cluster = &NewCluster();
      result_.new_cluster = true;
    }
    if (cache_.size() >= options_.max_cache_entries) cache_.clear();
    entry = &cache_[key_];
    entry->cluster_id = cluster->id;
    entry->has_template = false;
  }
  Touch(*cluster);
  if (!entry->has_template || entry->version != cluster->version) {
    Render(*cluster, entry->template_text);
    entry->version = cluster->version;
    entry->has_template = true;
  }
  result_.cluster_id = cluster->id;
  result_.template_text = entry->template_text;
  FillParameters(*cluster);
  if (result_.new_cluster) {
    // Eviction may remove clusters, which invalidates pointers: done last. The new cluster is
    // the most recently seen, so it is never the victim.
    EvictIfNeeded();
  }
  return result_;
}

const MineResult& TemplateMiner::Classify(std::string_view content, uint64_t hint) {
  Tokenize(content);
  result_.new_cluster = false;
  Cluster* cluster = nullptr;
  auto cit = clusters_.find(hint);
  if (hint != 0 && cit != clusters_.end() &&
      cit->second.columns.size() + 1 == key_offsets_.size()) {
    cluster = &cit->second;
  } else {
    auto hit = cache_.find(key_);
    if (hit != cache_.end()) {
      auto c2 = clusters_.find(hit->second.cluster_id);
      if (c2 != clusters_.end()) cluster = &c2->second;
    }
    if (cluster == nullptr) {
      uint64_t id = 0;
      cluster = FindBest(&id);
    }
  }
  if (cluster == nullptr) {
    // Unknown shape: the message's own masked tokens are its template.
    template_.clear();
    for (size_t i = 0; i + 1 < key_offsets_.size(); ++i) {
      if (i > 0) template_.push_back(' ');
      template_.append(key_.data() + key_offsets_[i], key_offsets_[i + 1] - key_offsets_[i] - 1);
    }
    result_.cluster_id = 0;
    result_.template_text = template_;
    result_.parameters.clear();
    return result_;
  }
  Render(*cluster, template_);
  result_.cluster_id = cluster->id;
  result_.template_text = template_;
  FillParameters(*cluster);
  return result_;
}

std::string TemplateMiner::TemplateOf(uint64_t cluster_id) const {
  auto it = clusters_.find(cluster_id);
  if (it == clusters_.end()) return "";
  std::string out;
  for (size_t i = 0; i < it->second.columns.size(); ++i) {
    if (i > 0) out.push_back(' ');
    const Column& col = it->second.columns[i];
    if (col.variable) {
      out += col.shape.empty() ? kWildcard : std::string_view(col.shape);
    } else if (col.values.size() == 1) {
      out += col.values[0].text;
    } else {
      out += kWildcard;
    }
  }
  return out;
}

std::vector<TemplateInfo> TemplateMiner::Templates() const {
  std::vector<TemplateInfo> out;
  out.reserve(clusters_.size());
  for (const auto& [id, c] : clusters_) {
    TemplateInfo info;
    info.cluster_id = id;
    info.count = c.count;
    for (size_t i = 0; i < c.columns.size(); ++i) {
      if (i > 0) info.template_text.push_back(' ');
      const Column& col = c.columns[i];
      if (col.variable || col.values.size() != 1) {
        info.template_text += kWildcard;
      } else {
        info.template_text += col.values[0].text;
      }
    }
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](const TemplateInfo& a, const TemplateInfo& b) {
    return a.count != b.count ? a.count > b.count : a.cluster_id < b.cluster_id;
  });
  return out;
}

std::string TemplateMiner::Save() const {
  Json j;
  j["format"] = "dai.logmine.v1";
  j["options"] = {{"similarity", options_.similarity},
                  {"word_split_limit", options_.word_split_limit},
                  {"max_clusters", options_.max_clusters},
                  {"max_tokens", options_.max_tokens},
                  {"max_cache_entries", options_.max_cache_entries},
                  {"extract_parameters", options_.extract_parameters}};
  j["masks"] = masker_.patterns();
  j["next_id"] = next_id_;
  j["seq"] = seq_;
  j["evictions"] = evictions_;
  Json clusters = Json::array();
  // Least recently seen first, so Restore() rebuilds the same LRU order.
  for (auto it = lru_.rbegin(); it != lru_.rend(); ++it) {
    const Cluster& c = clusters_.at(*it);
    Json cols = Json::array();
    for (const Column& col : c.columns) {
      if (col.variable) {
        cols.push_back(col.shape);
      } else {
        Json vals = Json::array();
        for (const Value& v : col.values) vals.push_back(Json::array({v.text, v.count}));
        cols.push_back(std::move(vals));
      }
    }
    clusters.push_back({{"id", c.id}, {"count", c.count}, {"last_seen", c.last_seen},
                        {"columns", std::move(cols)}});
  }
  j["clusters"] = std::move(clusters);
  return DumpJson(j);
}

Result<TemplateMiner> TemplateMiner::Restore(std::string_view saved) {
  DAI_ASSIGN_OR_RETURN(Json j, ParseJson(saved));
  try {
    if (!j.is_object() || j.value("format", "") != "dai.logmine.v1") {
      return Status::InvalidArgument("saved miner state: unknown format");
    }
    const Json& o = j.at("options");
    MinerOptions options;
    options.similarity = o.at("similarity").get<double>();
    options.word_split_limit = o.at("word_split_limit").get<uint32_t>();
    options.max_clusters = o.at("max_clusters").get<uint32_t>();
    options.max_tokens = o.at("max_tokens").get<uint32_t>();
    options.max_cache_entries = o.at("max_cache_entries").get<uint32_t>();
    options.extract_parameters = o.at("extract_parameters").get<bool>();
    DAI_ASSIGN_OR_RETURN(TemplateMiner m,
                         Create(options, j.at("masks").get<std::vector<std::string>>()));
    m.next_id_ = j.at("next_id").get<uint64_t>();
    m.seq_ = j.at("seq").get<uint64_t>();
    m.evictions_ = j.at("evictions").get<uint64_t>();
    for (const Json& jc : j.at("clusters")) {
      uint64_t id = jc.at("id").get<uint64_t>();
      if (id == 0 || id >= m.next_id_ || m.clusters_.count(id) != 0) {
        return Status::InvalidArgument("saved miner state: bad cluster id");
      }
      const Json& cols = jc.at("columns");
      if (!cols.is_array() || cols.size() > options.max_tokens) {
        return Status::InvalidArgument("saved miner state: bad columns");
      }
      Cluster& c = m.clusters_[id];
      c.id = id;
      c.count = jc.at("count").get<uint64_t>();
      c.last_seen = jc.at("last_seen").get<uint64_t>();
      for (const Json& jcol : cols) {
        Column col;
        if (jcol.is_string()) {
          col.variable = true;
          col.shape = jcol.get<std::string>();
          if (col.shape.empty() || col.shape.size() > kMaxValueBytes) {
            return Status::InvalidArgument("saved miner state: bad column shape");
          }
        } else {
          for (const Json& v : jcol) {
            col.values.push_back({v.at(0).get<std::string>(), v.at(1).get<uint64_t>()});
          }
          if (col.values.empty() || col.values.size() >= options.word_split_limit) {
            return Status::InvalidArgument("saved miner state: bad column values");
          }
        }
        if (col.values.size() > 1) ++c.split_columns;
        c.columns.push_back(std::move(col));
      }
      m.lru_.push_front(id);
      c.lru = m.lru_.begin();
      m.by_length_[static_cast<uint32_t>(c.columns.size())].push_back(id);
    }
    m.EvictIfNeeded();
    return m;
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("saved miner state: ") + e.what());
  }
}

}  // namespace dai::logmine
