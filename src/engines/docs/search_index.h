// SearchIndex (pure): an in-memory inverted index over documents ranked by BM25 (Robertson &
// Zaragoza's Okapi BM25, k1 = 1.2, b = 0.75, the title counted `title_weight` times), with
// snippets whose matched terms are wrapped in <mark> and everything else HTML-escaped. Terms
// are lower-cased runs of letters and digits (UTF-8 bytes >= 0x80 count as letters); a query
// term ending in '*' matches every indexed term with that prefix. Documents are replaced by
// id; removal is supported. Used by the knowledge base and for "similar past incidents".
// Thread-safety: not synchronised; callers guard a shared index (a reader/writer lock).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dai::docs {

struct SearchDocument {
  int64_t id = 0;
  std::string title;
  std::string body;
  std::string doc_type;
  std::vector<std::string> tags;
};

struct SearchHit {
  int64_t id = 0;
  double score = 0;
  std::string title;
  std::string doc_type;
  std::string snippet;  //!< HTML: escaped text with <mark>term</mark>
};

struct SearchOptions {
  size_t limit = 20;
  std::string doc_type;           //!< "" = any
  std::vector<std::string> tags;  //!< every one required
  size_t snippet_chars = 200;
  std::set<int64_t> exclude;  //!< ids never returned (the document itself, for "similar")
};

//! Lower-cased terms of `text` (at most `max_terms`).
std::vector<std::string> Tokenize(std::string_view text, size_t max_terms = 1u << 20);
//! `text` with HTML metacharacters escaped.
std::string HtmlEscape(std::string_view text);

class SearchIndex {
 public:
  explicit SearchIndex(int title_weight = 3) : title_weight_(title_weight) {}
  //! Adds or replaces the document with this id. Only the first `max_body_bytes` are indexed.
  void Upsert(const SearchDocument& doc, size_t max_body_bytes = 1u << 20);
  void Remove(int64_t id);
  size_t size() const { return docs_.size(); }
  bool Contains(int64_t id) const { return docs_.count(id) != 0; }
  //! Best first; empty for a query without terms. At most 32 query terms are used.
  std::vector<SearchHit> Search(std::string_view query, const SearchOptions& options = {}) const;
  //! Snippet of `text` around the first occurrence of any of `terms` (no index needed).
  static std::string Snippet(std::string_view text, const std::vector<std::string>& terms,
                             size_t max_chars);

 private:
  struct Posting {
    uint32_t doc;  // internal slot
    uint32_t tf;
  };
  struct Stored {
    uint32_t slot;
    std::string title, body, doc_type;
    std::vector<std::string> tags;
    uint32_t length;
    std::vector<std::string> terms;  // distinct terms, for removal
  };
  int title_weight_;
  std::unordered_map<int64_t, Stored> docs_;
  std::vector<int64_t> slot_ids_;  // slot → id (-1 when free)
  std::vector<uint32_t> free_slots_;
  std::unordered_map<std::string, std::vector<Posting>> postings_;
  uint64_t total_length_ = 0;
};

}  // namespace dai::docs
