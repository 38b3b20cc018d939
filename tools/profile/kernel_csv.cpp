// Reading kernel tables from CSV: ours, nsys's kernel summary and GPU trace, torch.profiler's
// key_averages exported as CSV. The header line is found by its column names (nsys prints a
// preamble before it); units come from the column name.
#include "kernel_table.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

namespace aiconf::profile {

namespace {

std::string lower_trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  s = s.substr(b);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A time column: its header (lower case), microseconds per unit, and whether each row is one launch.
struct TimeColumn {
  const char* header;
  double us_per_unit;
  bool per_launch;
  const char* format;
};

// In order of preference: totals over launches first, then per-launch durations.
constexpr TimeColumn kTimeColumns[] = {
    {"total_us", 1, false, "aiconf"},
    {"total_ms", 1e3, false, "aiconf"},
    {"total_ns", 1e-3, false, "aiconf"},
    {"total time (ns)", 1e-3, false, "nsys cuda_gpu_kern_sum"},
    {"total time", 1e-3, false, "nsys cuda_gpu_kern_sum"},
    {"self_device_time_total_us", 1, false, "torch.profiler"},
    {"self_cuda_time_total_us", 1, false, "torch.profiler"},
    {"self cuda total (us)", 1, false, "torch.profiler"},
    {"self_device_time_total", 1, false, "torch.profiler"},
    {"self_cuda_time_total", 1, false, "torch.profiler"},
    {"device_time_total_us", 1, false, "torch.profiler"},
    {"cuda_time_total_us", 1, false, "torch.profiler"},
    {"cuda total (us)", 1, false, "torch.profiler"},
    {"device_time_total", 1, false, "torch.profiler"},
    {"cuda_time_total", 1, false, "torch.profiler"},
    {"duration (ns)", 1e-3, true, "nsys cuda_gpu_trace"},
    {"duration_ns", 1e-3, true, "trace"},
    {"duration_us", 1, true, "trace"},
    {"dur", 1, true, "chrome trace"},
};

constexpr const char* kNameColumns[] = {"kernel", "name", "kernel name", "kernel_name"};
constexpr const char* kCallColumns[] = {"calls", "instances", "count", "# of calls", "num_calls", "occurrences"};

int find_column(const std::vector<std::string>& header, const char* name) {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

template <std::size_t N>
int find_any(const std::vector<std::string>& header, const char* const (&names)[N]) {
  for (const char* n : names)
    if (int i = find_column(header, n); i >= 0) return i;
  return -1;
}

bool parse_double(std::string s, double* out) {
  s = lower_trim(s);
  s.erase(std::remove(s.begin(), s.end(), ','), s.end());
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string expected_columns() {
  std::string s = "a name column (";
  for (const char* n : kNameColumns) s += std::string(n) + "|";
  s.back() = ')';
  s += " and a time column (";
  for (const auto& t : kTimeColumns) s += std::string(t.header) + "|";
  s.back() = ')';
  return s;
}

void read_comment(const std::string& line, KernelTable* out) {
  const std::string body = line.substr(1);
  const auto eq = body.find('=');
  if (eq == std::string::npos) return;
  const std::string key = lower_trim(body.substr(0, eq)), value = body.substr(eq + 1);
  double v = 0;
  if (key == "range_us" && parse_double(value, &v)) out->range_us = v;
  else if (key == "iterations" && parse_double(value, &v)) out->iterations = static_cast<std::int64_t>(v);
  else if (key == "source") out->source = lower_trim(value).empty() ? out->source : value.substr(value.find_first_not_of(' '));
}

}  // namespace

Status read_csv(const std::string& text, const std::string& where, KernelTable* out) {
  KernelTable t;
  t.source = where;
  std::istringstream in(text);
  std::string line;
  int line_no = 0, name_col = -1, calls_col = -1, time_col = -1;
  const TimeColumn* time = nullptr;
  std::size_t header_size = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (line[0] == '#') {
      read_comment(line, &t);
      continue;
    }
    auto fields = split_csv_line(line);
    if (!time) {
      std::vector<std::string> header;
      for (auto& f : fields) header.push_back(lower_trim(f));
      const int n = find_any(header, kNameColumns);
      for (const auto& tc : kTimeColumns) {
        if (int i = find_column(header, tc.header); i >= 0 && n >= 0) {
          time = &tc;
          time_col = i;
          break;
        }
      }
      if (time) {
        name_col = n;
        calls_col = time->per_launch ? -1 : find_any(header, kCallColumns);
        header_size = header.size();
        t.format = time->format;
      }
      continue;  // a preamble line or the header itself
    }
    const std::string at = where + ":" + std::to_string(line_no);
    if (fields.size() < header_size)
      return Status::error(at + ": expected " + std::to_string(header_size) + " fields as in the header, found " +
                           std::to_string(fields.size()));
    const std::string name = fields[name_col];
    if (name.empty()) continue;
    double total = 0, calls = 1;
    if (!parse_double(fields[time_col], &total) || total < 0)
      return Status::error(at + ": column '" + time->header + "': expected a non-negative number, found '" + fields[time_col] + "'");
    if (calls_col >= 0 && (!parse_double(fields[calls_col], &calls) || calls < 0))
      return Status::error(at + ": calls column: expected a non-negative count, found '" + fields[calls_col] + "'");
    t.add(demangle(name), total * time->us_per_unit, static_cast<std::int64_t>(calls));
  }
  if (!time) return Status::error(where + ": no header line found; expected " + expected_columns());
  t.sort();
  *out = std::move(t);
  return Status::ok();
}

Status read_csv_file(const std::string& path, KernelTable* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::error(path + ": cannot open kernel table for reading");
  std::ostringstream ss;
  ss << f.rdbuf();
  return read_csv(ss.str(), path, out);
}

}  // namespace aiconf::profile
