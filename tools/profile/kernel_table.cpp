// Kernel table bookkeeping, demangling and our CSV writer.
#include "kernel_table.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <ostream>

namespace aiconf::profile {

double KernelTable::kernel_total_us() const {
  double s = 0;
  for (const auto& r : rows) s += r.total_us;
  return s;
}

double KernelTable::share(const KernelRow& r) const {
  const double denom = range_us > 0 ? range_us : kernel_total_us();
  return denom > 0 ? r.total_us / denom : 0;
}

void KernelTable::add(const std::string& name, double total_us, std::int64_t calls) {
  for (auto& r : rows)
    if (r.name == name) {
      r.total_us += total_us;
      r.calls += calls;
      return;
    }
  rows.push_back({name, calls, total_us});
}

void KernelTable::sort() {
  std::stable_sort(rows.begin(), rows.end(), [](const KernelRow& a, const KernelRow& b) {
    return a.total_us != b.total_us ? a.total_us > b.total_us : a.name < b.name;
  });
}

std::string demangle(const std::string& symbol) {
  if (symbol.size() < 2 || symbol[0] != '_' || symbol[1] != 'Z') return symbol;
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(symbol.c_str(), nullptr, nullptr, &status), std::free);
  return status == 0 && out ? std::string(out.get()) : symbol;
}

std::string csv_field(const std::string& s) {
  const bool quote = s.find_first_of(",\"\n") != std::string::npos || (!s.empty() && (s.front() == ' ' || s.back() == ' '));
  if (!quote) return s;
  std::string o = "\"";
  for (char c : s) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool in_quotes = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        in_quotes = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      in_quotes = true;
    } else if (c == ',') {
      out.push_back(std::move(cur));
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(std::move(cur));
  return out;
}

namespace {
std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}
}  // namespace

void write_csv(std::ostream& os, const KernelTable& t) {
  os << "# source=" << t.source << "\n";
  os << "# range_us=" << num(t.range_us) << "\n";
  os << "# iterations=" << t.iterations << "\n";
  os << "kernel,calls,total_us,mean_us,share\n";
  for (const auto& r : t.rows)
    os << csv_field(r.name) << "," << r.calls << "," << num(r.total_us) << "," << num(r.mean_us()) << "," << num(t.share(r)) << "\n";
}

}  // namespace aiconf::profile
