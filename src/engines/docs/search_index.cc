#include "engines/docs/search_index.h"

#include <algorithm>
#include <cmath>

namespace dai::docs {
namespace {

bool IsWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

char LowerByte(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr size_t kMaxTermBytes = 64;

struct QueryTerm {
  std::string text;
  bool prefix = false;
};

std::vector<QueryTerm> ParseQuery(std::string_view q) {
  std::vector<QueryTerm> out;
  size_t i = 0;
  while (i < q.size() && out.size() < 32) {
    while (i < q.size() && !IsWordByte(static_cast<unsigned char>(q[i]))) ++i;
    size_t start = i;
    while (i < q.size() && IsWordByte(static_cast<unsigned char>(q[i]))) ++i;
    if (i == start) break;
    QueryTerm t;
    for (size_t k = start; k < i && t.text.size() < kMaxTermBytes; ++k) t.text += LowerByte(q[k]);
    if (i < q.size() && q[i] == '*') t.prefix = true;
    bool dup = std::any_of(out.begin(), out.end(), [&](const QueryTerm& o) {
      return o.text == t.text && o.prefix == t.prefix;
    });
    if (!dup) out.push_back(std::move(t));
  }
  return out;
}

bool MatchesAny(const std::string& token, const std::vector<std::string>& terms) {
  for (const auto& t : terms) {
    if (!t.empty() && t.back() == '*') {
      if (token.compare(0, t.size() - 1, t, 0, t.size() - 1) == 0) return true;
    } else if (token == t) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::string> Tokenize(std::string_view text, size_t max_terms) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size() && out.size() < max_terms) {
    while (i < text.size() && !IsWordByte(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < text.size() && IsWordByte(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start) break;
    std::string t;
    size_t n = std::min(i - start, kMaxTermBytes);
    t.reserve(n);
    for (size_t k = start; k < start + n; ++k) t += LowerByte(text[k]);
    out.push_back(std::move(t));
  }
  return out;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void SearchIndex::Upsert(const SearchDocument& doc, size_t max_body_bytes) {
  Remove(doc.id);
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
    slot_ids_[slot] = doc.id;
  } else {
    slot = static_cast<uint32_t>(slot_ids_.size());
    slot_ids_.push_back(doc.id);
  }
  std::unordered_map<std::string, uint32_t> tf;
  uint32_t length = 0;
  for (auto& t : Tokenize(doc.title, 4096)) {
    tf[t] += title_weight_;
    length += title_weight_;
  }
  std::string_view body(doc.body);
  if (body.size() > max_body_bytes) body = body.substr(0, max_body_bytes);
  for (auto& t : Tokenize(body)) {
    tf[t] += 1;
    length += 1;
  }
  Stored s{slot, doc.title, doc.body, doc.doc_type, doc.tags, length, {}};
  s.terms.reserve(tf.size());
  for (auto& [term, count] : tf) {
    postings_[term].push_back({slot, count});
    s.terms.push_back(term);
  }
  total_length_ += length;
  docs_.emplace(doc.id, std::move(s));
}

void SearchIndex::Remove(int64_t id) {
  auto it = docs_.find(id);
  if (it == docs_.end()) return;
  const uint32_t slot = it->second.slot;
  for (const auto& term : it->second.terms) {
    auto p = postings_.find(term);
    if (p == postings_.end()) continue;
    auto& list = p->second;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [slot](const Posting& x) { return x.doc == slot; }),
               list.end());
    if (list.empty()) postings_.erase(p);
  }
  total_length_ -= it->second.length;
  slot_ids_[slot] = -1;
  free_slots_.push_back(slot);
  docs_.erase(it);
}

std::vector<SearchHit> SearchIndex::Search(std::string_view query,
                                           const SearchOptions& options) const {
  std::vector<SearchHit> hits;
  auto terms = ParseQuery(query);
  if (terms.empty() || docs_.empty()) return hits;
  const double n = static_cast<double>(docs_.size());
  const double avgdl = static_cast<double>(total_length_) / n;
  constexpr double k1 = 1.2, b = 0.75;
  std::vector<double> score(slot_ids_.size(), 0.0);
  std::vector<uint32_t> touched;
  std::vector<std::string> highlight;
  auto accumulate = [&](const std::vector<Posting>& list) {
    const double df = static_cast<double>(list.size());
    const double idf = std::log(1.0 + (n - df + 0.5) / (df + 0.5));
    for (const Posting& p : list) {
      const auto& stored = docs_.at(slot_ids_[p.doc]);
      const double tf = p.tf;
      const double norm = k1 * (1 - b + b * stored.length / avgdl);
      if (score[p.doc] == 0) touched.push_back(p.doc);
      score[p.doc] += idf * tf * (k1 + 1) / (tf + norm);
    }
  };
  for (const auto& t : terms) {
    if (t.prefix) {
      highlight.push_back(t.text + "*");
      size_t expanded = 0;
      for (const auto& [term, list] : postings_) {
        if (term.compare(0, t.text.size(), t.text) != 0) continue;
        accumulate(list);
        if (++expanded >= 64) break;
      }
    } else {
      highlight.push_back(t.text);
      auto it = postings_.find(t.text);
      if (it != postings_.end()) accumulate(it->second);
    }
  }
  std::vector<std::pair<double, uint32_t>> ranked;
  ranked.reserve(touched.size());
  for (uint32_t slot : touched) {
    const int64_t id = slot_ids_[slot];
    if (options.exclude.count(id)) continue;
    const auto& stored = docs_.at(id);
    if (!options.doc_type.empty() && stored.doc_type != options.doc_type) continue;
    bool tags_ok = std::all_of(options.tags.begin(), options.tags.end(), [&](const std::string& t) {
      return std::find(stored.tags.begin(), stored.tags.end(), t) != stored.tags.end();
    });
    if (!tags_ok) continue;
    ranked.emplace_back(score[slot], slot);
  }
  const size_t k = std::min(options.limit, ranked.size());
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(k), ranked.end(),
                    [&](const auto& x, const auto& y) {
                      if (x.first != y.first) return x.first > y.first;
                      return slot_ids_[x.second] > slot_ids_[y.second];  // newer id first
                    });
  for (size_t rank = 0; rank < k; ++rank) {
    const int64_t id = slot_ids_[ranked[rank].second];
    const auto& stored = docs_.at(id);
    SearchHit h{id, ranked[rank].first, stored.title, stored.doc_type, ""};
    h.snippet = Snippet(stored.body, highlight, options.snippet_chars);
    hits.push_back(std::move(h));
  }
  return hits;
}

std::string SearchIndex::Snippet(std::string_view text, const std::vector<std::string>& terms,
                                 size_t max_chars) {
  // Find the first token that matches; centre the window on it.
  size_t first = std::string_view::npos;
  size_t i = 0;
  size_t scanned = 0;
  while (i < text.size() && scanned < (1u << 20)) {
    while (i < text.size() && !IsWordByte(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < text.size() && IsWordByte(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start) break;
    ++scanned;
    std::string tok;
    for (size_t k = start; k < i && tok.size() < kMaxTermBytes; ++k) tok += LowerByte(text[k]);
    if (MatchesAny(tok, terms)) {
      first = start;
      break;
    }
  }
  size_t begin = 0;
  if (first != std::string_view::npos && first > max_chars / 3) begin = first - max_chars / 3;
  size_t end = std::min(text.size(), begin + max_chars);
  // Do not cut words or UTF-8 sequences.
  while (begin > 0 && begin < text.size() && IsWordByte(static_cast<unsigned char>(text[begin])) &&
         IsWordByte(static_cast<unsigned char>(text[begin - 1])))
    ++begin;
  while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
  if (begin > end) begin = end;
  std::string_view window = text.substr(begin, end - begin);
  std::string out = begin > 0 ? "…" : "";
  size_t pos = 0;
  while (pos < window.size()) {
    if (!IsWordByte(static_cast<unsigned char>(window[pos]))) {
      size_t start = pos;
      while (pos < window.size() && !IsWordByte(static_cast<unsigned char>(window[pos]))) ++pos;
      std::string gap(window.substr(start, pos - start));
      for (auto& c : gap)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
      out += HtmlEscape(gap);
      continue;
    }
    size_t start = pos;
    while (pos < window.size() && IsWordByte(static_cast<unsigned char>(window[pos]))) ++pos;
    std::string_view word = window.substr(start, pos - start);
    std::string tok;
    for (size_t k = 0; k < word.size() && tok.size() < kMaxTermBytes; ++k)
      tok += LowerByte(word[k]);
    if (MatchesAny(tok, terms))
      out += "<mark>" + HtmlEscape(word) + "</mark>";
    else
      out += HtmlEscape(word);
  }
  if (end < text.size()) out += "…";
  return out;
}

}  // namespace dai::docs
