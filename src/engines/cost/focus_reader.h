// Streaming reader for cost exports: FOCUS 1.0/1.1 CSV (the FinOps Open Cost and Usage
// Specification, as AWS, Google Cloud, Azure and Oracle export it) and the legacy AWS Cost and
// Usage Report (CUR) CSV, both mapped to one CostRecord. Columns are matched by name; columns
// without a typed field are kept as `extra` (name, value) pairs so nothing accepted is lost.
// Pure: the caller feeds bytes in chunks of any size (a file read, a gunzip stream); records
// are handed to a callback as soon as they are complete, so memory stays bounded by the
// longest record. Thread-safety: one reader per stream; no shared state.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace dai::cost {

//! The source format, detected from the header line.
enum class CostFormat { kFocus, kAwsCur };
std::string_view CostFormatName(CostFormat format);

//! Text fields of a record (FOCUS column names; CUR columns map onto them).
enum class Field : uint8_t {
  kProviderName,
  kBillingAccountId,
  kBillingAccountName,
  kSubAccountId,
  kSubAccountName,
  kServiceName,
  kServiceCategory,
  kRegionId,
  kRegionName,
  kAvailabilityZone,
  kResourceId,
  kResourceName,
  kResourceType,
  kChargeCategory,
  kChargeFrequency,
  kChargeDescription,
  kPricingCategory,
  kPricingUnit,
  kConsumedUnit,
  kCommitmentDiscountType,
  kCommitmentDiscountId,
  kSkuId,
  kBillingCurrency,
  kTags,  //!< a JSON object text (FOCUS), or one composed from CUR resourceTags/* columns
  kCount
};
inline constexpr size_t kFieldCount = static_cast<size_t>(Field::kCount);
std::string_view FieldName(Field field);

//! One billing line item. Views point into the reader's buffers and are valid only during the
//! callback that receives the record. A null text field is an empty view.
struct CostRecord {
  int64_t line = 0;  //!< 1-based line of the file where the row starts
  std::array<std::string_view, kFieldCount> text{};
  double billed_cost = 0;
  double effective_cost = 0;         //!< amortized cost (commitment purchases spread over usage)
  double list_cost = 0;              //!< NaN when absent
  double contracted_cost = 0;        //!< NaN when absent
  double consumed_quantity = 0;      //!< NaN when absent
  int64_t charge_period_start = 0;   //!< unix seconds
  int64_t charge_period_end = 0;     //!< unix seconds
  int64_t billing_period_start = 0;  //!< unix seconds
  int64_t billing_period_end = 0;    //!< unix seconds
  std::vector<std::pair<std::string_view, std::string_view>> extra;  //!< unmapped non-null columns

  std::string_view Get(Field field) const { return text[static_cast<size_t>(field)]; }
};

//! Limits that keep a hostile file from exhausting memory.
struct ReaderLimits {
  size_t max_record_bytes = 1 << 20;  //!< one row (with embedded newlines) at most 1 MiB
  size_t max_columns = 1000;
};

//! Parses "YYYY-MM-DD[ T]HH:MM[:SS[.fff]][Z|+hh:mm|-hh:mm]" or "YYYY-MM-DD" as unix seconds.
Result<int64_t> ParseTimestamp(std::string_view text);

class CostReader {
 public:
  using Callback = std::function<Status(const CostRecord&)>;
  explicit CostReader(ReaderLimits limits = {});

  //! Feeds the next bytes. Complete records go to `on_record` (a non-OK status from it stops the
  //! read and is returned). Errors name the line and the column: "line 17, column BilledCost:
  //! 'abc' is not a number". After an error the reader refuses further input.
  Status Feed(std::string_view chunk, const Callback& on_record);
  //! Ends the input: parses a last record without a trailing newline; fails on an open quote
  //! or a missing header.
  Status Finish(const Callback& on_record);

  //! Known after the header: the format and the column names as written.
  CostFormat format() const { return format_; }
  const std::vector<std::string>& columns() const { return columns_; }
  int64_t records() const { return records_; }
  int64_t lines() const { return line_ - 1; }

 private:
  Status ParseBuffer(bool at_eof, const Callback& on_record);
  Status OnHeader(std::vector<std::string_view>& fields);
  Status OnRow(const Callback& on_record);
  Status Fail(Status status);

  ReaderLimits limits_;
  std::string buffer_;
  size_t consumed_ = 0;
  int64_t line_ = 1;
  int64_t records_ = 0;
  bool have_header_ = false;
  bool failed_ = false;
  bool bom_checked_ = false;
  CostFormat format_ = CostFormat::kFocus;
  std::vector<std::string> columns_;
  // Per column: how it maps (an index into the typed fields, or unmapped).
  struct ColumnMap {
    int8_t text = -1;      //!< Field index, or -1
    int8_t numeric = -1;   //!< NumericField index, or -1
    int8_t time = -1;      //!< TimeField index, or -1
    bool cur_tag = false;  //!< CUR resourceTags/* column
  };
  std::vector<ColumnMap> map_;
  std::vector<std::string_view> fields_;
  std::vector<bool> quoted_;
  //! Per column scratch for fields with "" escapes. A deque: growing it at the end keeps the
  //! earlier strings in place, so views of them already in fields_ stay valid (a vector
  //! reallocated and moved them — a use-after-free found by fuzz_focus_csv).
  std::deque<std::string> unescaped_;
  std::string tags_scratch_;
  CostRecord record_;
  int64_t row_line_ = 0;
};

}  // namespace dai::cost
