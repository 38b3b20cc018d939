#pragma once
// Reads one perf table in aiconfigurator's per-table CSV layout
// (`framework,version,device,op_name,kernel_source,<keys>,latency[,extra columns]`, latency in ms),
// plain or gzip-compressed.

#include "table_data.h"

#include <aiconf/status.h>

#include <string>

namespace aiconf::perfdb {

struct ReadOptions {
  /// Skip malformed rows (counted in TableData::skipped_malformed) instead of failing.
  bool lenient = false;
};

/// Rules: the header must name the five fixed columns and `latency`, with no empty or repeated
/// name; every row must have as many fields as the header (else "file:line: expected N fields");
/// latency must parse as a number (else "file:line: column 'latency': expected ..."). Rows whose
/// latency is NaN, infinite, zero or negative are rejected: dropped and counted, never used.
Status read_table(const std::string& path, const ReadOptions& opt, TableData* out);

/// The same rules applied to text already in memory (`path` only names it in messages).
Status parse_table_text(const std::string& text, const std::string& path, const ReadOptions& opt, TableData* out);

/// The table name of a file: its name without ".txt.gz" / ".txt" / ".csv".
std::string table_name_of(const std::string& path);

}  // namespace aiconf::perfdb
