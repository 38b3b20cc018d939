#pragma once
/// \file kernel_table.h
/// A kernel table: per kernel name, the number of launches and their total GPU time, plus the
/// length of the range they ran in. Written and read as CSV (ours, and the kernel summaries that
/// nsys and torch.profiler export, see tools/profile/README.md), and compared by kernel_diff.h.
/// CPU only; value types, safe to copy between threads.

#include <aiconf/status.h>

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace aiconf::profile {

/// One kernel (all launches of one name).
struct KernelRow {
  std::string name;        ///< demangled where the source allowed it
  std::int64_t calls = 0;  ///< launches
  double total_us = 0;     ///< sum of launch durations, microseconds
  double mean_us() const { return calls > 0 ? total_us / double(calls) : 0; }
};

/// The kernels of one profiled range.
struct KernelTable {
  std::string source;       ///< what was profiled ("mock layer x shape", a file path)
  std::string format;       ///< "aiconf", "nsys cuda_gpu_kern_sum", "nsys cuda_gpu_trace", "torch.profiler"
  double range_us = 0;      ///< wall time of the range (0 when unknown: shares are then of the kernel sum)
  std::int64_t iterations = 1;  ///< forward passes inside the range
  std::vector<KernelRow> rows;

  double kernel_total_us() const;
  /// Share of the range (or of the kernel sum when the range is unknown) taken by a row, in [0, 1].
  double share(const KernelRow& r) const;
  /// Adds one launch (or `calls` launches) of a kernel, merging by exact name.
  void add(const std::string& name, double total_us, std::int64_t calls = 1);
  /// Sorts rows by total time, largest first (ties by name).
  void sort();
};

/// C++ symbol demangling (Itanium ABI); the input unchanged when it is not a mangled name.
std::string demangle(const std::string& symbol);

/// Writes our CSV: `# ` comment lines (source, range_us, iterations), then
/// `kernel,calls,total_us,mean_us,share` with RFC 4180 quoting.
void write_csv(std::ostream& os, const KernelTable& t);
/// Reads a kernel table from CSV text in any accepted layout (see README.md); `where` names the
/// input in errors (e.g. the file path). Rows of one name are merged.
Status read_csv(const std::string& text, const std::string& where, KernelTable* out);
/// Reads a file (error names it when it cannot be opened).
Status read_csv_file(const std::string& path, KernelTable* out);

/// Splits one CSV record (RFC 4180: quotes, doubled quotes; no embedded newlines).
std::vector<std::string> split_csv_line(const std::string& line);
/// Quotes a field when it holds a comma, a quote or leading/trailing space.
std::string csv_field(const std::string& s);

}  // namespace aiconf::profile
