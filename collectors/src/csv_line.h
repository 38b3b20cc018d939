#pragma once
// One line of aiconfigurator's per-table CSV: splitting (double-quoted fields allowed) and joining
// (fields quoted only when they hold a comma, quote or newline), the same rules as the core's
// table reader and writer.

#include <string>
#include <string_view>
#include <vector>

namespace aiconf::collect {

/// Splits one line (without its newline; a trailing '\r' is dropped) into fields.
std::vector<std::string> split_csv_line(std::string_view line);
/// Joins fields into one line, without the newline.
std::string join_csv_line(const std::vector<std::string>& fields);
/// The key of a row for set membership: the values joined by an unprintable separator.
std::string join_key(const std::vector<std::string>& values);

}  // namespace aiconf::collect
