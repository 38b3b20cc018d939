// write_perf_table: aiconfigurator's per-table CSV layout, written atomically.
#include "text_file.h"

#include <aiconf/perf_database.h>

#include <charconv>
#include <cmath>
#include <filesystem>

namespace aiconf {

namespace {

void append_field(std::string& out, const std::string& v) {
  if (v.find_first_of(",\"\n\r") == std::string::npos) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string format_ms(double v) {
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v);  // shortest text that reads back exactly
  return std::string(buf, p);
}

}  // namespace

Status write_perf_table(const std::string& path, const std::vector<std::string>& key_columns,
                        const std::vector<PerfRow>& rows, bool append) {
  std::string header = "framework,version,device,op_name,kernel_source";
  for (const auto& k : key_columns) {
    if (k.empty() || k == "latency" || k.find_first_of(",\"\n") != std::string::npos)
      return Status::error(path + ": key column name '" + k + "' is not allowed (expected a plain name, not 'latency')");
    header += "," + k;
  }
  header += ",latency";

  std::string text;
  if (append && std::filesystem::exists(path)) {
    Status s = perfdb::read_text_file(path, &text);
    if (!s) return s;
    std::size_t nl = text.find('\n');
    std::string existing = text.substr(0, nl);
    if (!existing.empty() && existing.back() == '\r') existing.pop_back();
    if (existing != header)
      return Status::error(path + ":1: header is '" + existing + "', expected '" + header +
                           "' to append rows with these key columns");
    if (!text.empty() && text.back() != '\n') text += '\n';
  } else {
    text = header + "\n";
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const PerfRow& r = rows[i];
    if (r.keys.size() != key_columns.size())
      return Status::error(path + ": row " + std::to_string(i) + " has " + std::to_string(r.keys.size()) +
                           " key values, expected " + std::to_string(key_columns.size()));
    if (!std::isfinite(r.latency_ms) || r.latency_ms <= 0)
      return Status::error(path + ": row " + std::to_string(i) + ": latency " + format_ms(r.latency_ms) +
                           " ms, expected a finite value > 0");
    for (const std::string* f : {&r.framework, &r.version, &r.device, &r.op_name, &r.kernel_source}) {
      append_field(text, *f);
      text += ',';
    }
    for (const auto& k : r.keys) {
      append_field(text, k);
      text += ',';
    }
    text += format_ms(r.latency_ms);
    text += '\n';
  }
  return perfdb::write_text_file_atomic(path, text);
}

}  // namespace aiconf
