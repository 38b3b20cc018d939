#pragma once
/// \file kernel_report.h
/// Printing kernel tables and their diffs as aligned text, JSON or CSV. CPU only.

#include "kernel_diff.h"
#include "kernel_table.h"

#include <iosfwd>
#include <string>

namespace aiconf::profile {

/// The table: kernel, calls, total and mean time (us), share of the range; a summary line.
void print_table_text(std::ostream& os, const KernelTable& t);
void print_table_json(std::ostream& os, const KernelTable& t);

/// The diff: matched kernels with B/A ratios, then missing and extra kernels, then totals.
void print_diff_text(std::ostream& os, const KernelDiff& d, const std::string& a_label, const std::string& b_label);
void print_diff_json(std::ostream& os, const KernelDiff& d, const std::string& a_label, const std::string& b_label);
/// One line per kernel: status (matched|missing|extra), key, level, a/b calls, a/b us, ratio.
void print_diff_csv(std::ostream& os, const KernelDiff& d);

/// A JSON string literal (quotes and escapes).
std::string json_string(const std::string& s);

}  // namespace aiconf::profile
