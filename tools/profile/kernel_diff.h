#pragma once
/// \file kernel_diff.h
/// Comparing two kernel tables A (the expectation, e.g. the reference implementation or the
/// composed module) and B (e.g. our mock layer): kernels matched between them with B/A time
/// ratios, kernels missing from B, and extra kernels only B launched.
///
/// Matching is tolerant, strictest rule first; a kernel is matched at the first rule that pairs it:
///  1. `map`: user rules `REGEX=KEY`; every kernel whose name the regex finds (ECMAScript, case-insensitive, search)
///     gets KEY (first rule that applies wins), so differently named kernels can be paired;
///  2. `exact`: the full name;
///  3. `no-params`: without the parameter list and a leading return type (`void `);
///  4. `no-templates`: also without template arguments (`<...>`) and `(anonymous namespace)::`;
///  5. `basename`: the last identifier only (no namespace).
/// Several kernels of one side that share a key are merged into one entry.
/// CPU only; pure functions.

#include "kernel_table.h"

#include <regex>
#include <string>
#include <vector>

namespace aiconf::profile {

/// A user name-mapping rule.
struct NameRule {
  std::string pattern;  ///< as given (for messages)
  std::regex regex;
  std::string key;
};

/// Parses "REGEX=KEY" (the last '=' separates; KEY may be empty: use the regex text). Error names
/// the rule when the regex does not compile.
Status parse_name_rule(const std::string& text, NameRule* out);
/// Reads rules from a file, one per line; blank lines and `#` comments skipped. Errors name file:line.
Status read_name_rules(const std::string& path, std::vector<NameRule>* out);

/// The key of a name at one matching level (2..5 above; level 1 is the map).
enum class MatchLevel { map, exact, no_params, no_templates, basename };
const char* to_string(MatchLevel l);
std::string name_key(const std::string& name, MatchLevel level);

/// One matched kernel (or group of kernels sharing a key).
struct MatchedKernel {
  std::string key;
  MatchLevel level = MatchLevel::exact;
  std::vector<std::string> a_names, b_names;
  std::int64_t a_calls = 0, b_calls = 0;
  double a_us = 0, b_us = 0;   ///< total time per iteration of each table
  double ratio() const { return a_us > 0 ? b_us / a_us : 0; }  ///< B / A
};

struct KernelDiff {
  std::vector<MatchedKernel> matched;  ///< by A's time, largest first
  std::vector<KernelRow> missing;      ///< in A, not in B
  std::vector<KernelRow> extra;        ///< in B, not in A
  double a_total_us = 0, b_total_us = 0;  ///< kernel sums per iteration
  double a_matched_us = 0, b_matched_us = 0;
};

/// Compares two tables. Times are divided by each table's `iterations`, so tables of different
/// iteration counts compare per forward pass.
KernelDiff diff_tables(const KernelTable& a, const KernelTable& b, const std::vector<NameRule>& rules);

}  // namespace aiconf::profile
