#pragma once
// TableData: one perf table file held column-wise. Every column is dictionary-encoded (the raw
// text of each distinct value, and its number when it parses as one), so a 126K-row table keeps a
// few distinct strings per key column and parsing costs one hash lookup per cell.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace aiconf::perfdb {

/// One column of a table (fixed or key column; never the latency).
struct TableColumn {
  std::string name;
  std::vector<std::uint32_t> code;   ///< per row: index into `text`/`number`
  std::vector<std::string> text;     ///< distinct raw values, in order of first appearance
  std::vector<double> number;        ///< numeric value of each distinct value (NaN when not a number)
  bool all_numeric = true;           ///< every distinct value parses as a finite number

  double value(std::size_t row) const { return number[code[row]]; }
  const std::string& str(std::size_t row) const { return text[code[row]]; }
  /// The code of a raw value, or -1 when the column never holds it.
  int find(const std::string& raw) const;
  /// The code of a numeric value (exact compare), or -1.
  int find_number(double v) const;
};

/// A rejected or skipped row, for reports ("file:line: reason").
struct RowIssue {
  std::size_t line = 0;
  std::string reason;
};

/// One table file.
struct TableData {
  std::string name;                  ///< table name (file stem without .txt/.txt.gz)
  std::string path;                  ///< file it was read from
  std::vector<std::string> header;   ///< every column as in the file, latency included
  std::vector<TableColumn> columns;  ///< every column except latency, in file order
  std::vector<double> latency_ms;    ///< per row
  std::vector<std::uint32_t> line;   ///< per row: 1-based line number in the file
  std::size_t rejected_latency = 0;  ///< rows dropped for NaN / infinite / zero / negative latency
  std::size_t skipped_malformed = 0; ///< malformed rows skipped (lenient mode only)
  std::vector<RowIssue> issues;      ///< the first few rejected/skipped rows

  std::size_t rows() const { return latency_ms.size(); }
  /// Index of a column by name in `columns`, or -1.
  int column_index(const std::string& name) const;
  /// "path:line" of a row.
  std::string where(std::size_t row) const { return path + ":" + std::to_string(line[row]); }
};

/// The five leading columns of aiconfigurator's layout (before the key columns).
inline const char* const kFixedColumns[] = {"framework", "version", "device", "op_name", "kernel_source"};
bool is_fixed_column(const std::string& name);

}  // namespace aiconf::perfdb
