// Text, JSON and CSV renderings of kernel tables and diffs.
#include "kernel_report.h"

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace aiconf::profile {

namespace {

std::string num(double v, int digits = 4) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string pad(std::string s, std::size_t w, bool right = false) {
  if (s.size() >= w) return s;
  return right ? std::string(w - s.size(), ' ') + s : s + std::string(w - s.size(), ' ');
}

std::string shorten(const std::string& s, std::size_t w) { return s.size() <= w ? s : s.substr(0, w - 3) + "..."; }

}  // namespace

std::string json_string(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          o += buf;
        } else {
          o += static_cast<char>(c);
        }
    }
  }
  return o + "\"";
}

void print_table_text(std::ostream& os, const KernelTable& t) {
  os << "kernel table: " << t.source << "\n";
  os << "  iterations " << t.iterations << ", range " << num(t.range_us / 1000.0) << " ms"
     << (t.range_us > 0 ? "" : " (unknown: shares are of the kernel sum)") << ", kernels " << num(t.kernel_total_us() / 1000.0)
     << " ms\n";
  os << pad("calls", 8, true) << pad("total us", 12, true) << pad("mean us", 11, true) << pad("share", 8, true) << "  kernel\n";
  for (const auto& r : t.rows)
    os << pad(std::to_string(r.calls), 8, true) << pad(fixed(r.total_us, 1), 12, true) << pad(fixed(r.mean_us(), 2), 11, true)
       << pad(fixed(100 * t.share(r), 1) + "%", 8, true) << "  " << shorten(r.name, 160) << "\n";
  if (t.range_us > 0) {
    const double idle = t.range_us - t.kernel_total_us();
    os << "  kernels cover " << fixed(100 * t.kernel_total_us() / t.range_us, 1) << "% of the range (gaps and launch overhead "
       << num(idle / std::max<std::int64_t>(t.iterations, 1)) << " us per iteration)\n";
  }
}

void print_table_json(std::ostream& os, const KernelTable& t) {
  os << "{\n  \"source\": " << json_string(t.source) << ",\n  \"format\": " << json_string(t.format.empty() ? "aiconf" : t.format)
     << ",\n  \"iterations\": " << t.iterations << ",\n  \"range_us\": " << num(t.range_us, 9)
     << ",\n  \"kernel_total_us\": " << num(t.kernel_total_us(), 9) << ",\n  \"kernels\": [";
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const auto& r = t.rows[i];
    os << (i ? "," : "") << "\n    {\"name\": " << json_string(r.name) << ", \"calls\": " << r.calls << ", \"total_us\": "
       << num(r.total_us, 9) << ", \"mean_us\": " << num(r.mean_us(), 9) << ", \"share\": " << num(t.share(r), 6) << "}";
  }
  os << (t.rows.empty() ? "" : "\n  ") << "]\n}\n";
}

void print_diff_text(std::ostream& os, const KernelDiff& d, const std::string& a_label, const std::string& b_label) {
  os << "A: " << a_label << "\nB: " << b_label << "\n(times per iteration; ratio = B / A)\n";
  os << "matched (" << d.matched.size() << "):\n";
  os << pad("A us", 11, true) << pad("B us", 11, true) << pad("B/A", 8, true) << pad("A calls", 9, true) << pad("B calls", 9, true)
     << "  " << pad("match", 13) << "kernel\n";
  for (const auto& m : d.matched) {
    os << pad(fixed(m.a_us, 2), 11, true) << pad(fixed(m.b_us, 2), 11, true) << pad(fixed(m.ratio(), 3), 8, true)
       << pad(std::to_string(m.a_calls), 9, true) << pad(std::to_string(m.b_calls), 9, true) << "  " << pad(to_string(m.level), 13)
       << shorten(m.key, 120) << "\n";
    if (m.level != MatchLevel::exact) {
      for (const auto& n : m.a_names) os << pad("", 61) << "A: " << shorten(n, 140) << "\n";
      for (const auto& n : m.b_names) os << pad("", 61) << "B: " << shorten(n, 140) << "\n";
    }
  }
  auto list = [&](const char* title, const std::vector<KernelRow>& rows) {
    os << title << " (" << rows.size() << "):\n";
    for (const auto& r : rows)
      os << pad(fixed(r.total_us, 2), 11, true) << " us" << pad(std::to_string(r.calls), 9, true) << " calls  " << shorten(r.name, 140)
         << "\n";
  };
  list("missing: in A, not in B", d.missing);
  list("extra: in B, not in A", d.extra);
  os << "totals: A " << fixed(d.a_total_us, 2) << " us, B " << fixed(d.b_total_us, 2) << " us, B/A "
     << (d.a_total_us > 0 ? fixed(d.b_total_us / d.a_total_us, 3) : std::string("-")) << "; matched A " << fixed(d.a_matched_us, 2)
     << " us (" << (d.a_total_us > 0 ? fixed(100 * d.a_matched_us / d.a_total_us, 1) : std::string("-")) << "% of A), matched B "
     << fixed(d.b_matched_us, 2) << " us (" << (d.b_total_us > 0 ? fixed(100 * d.b_matched_us / d.b_total_us, 1) : std::string("-"))
     << "% of B)\n";
}

void print_diff_json(std::ostream& os, const KernelDiff& d, const std::string& a_label, const std::string& b_label) {
  auto names = [](const std::vector<std::string>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + json_string(v[i]);
    return s + "]";
  };
  auto rows = [&](const std::vector<KernelRow>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i)
      s += std::string(i ? "," : "") + "\n    {\"name\": " + json_string(v[i].name) + ", \"calls\": " + std::to_string(v[i].calls) +
           ", \"us\": " + num(v[i].total_us, 9) + "}";
    return s + (v.empty() ? "]" : "\n  ]");
  };
  os << "{\n  \"a\": " << json_string(a_label) << ",\n  \"b\": " << json_string(b_label) << ",\n  \"a_total_us\": " << num(d.a_total_us, 9)
     << ",\n  \"b_total_us\": " << num(d.b_total_us, 9) << ",\n  \"a_matched_us\": " << num(d.a_matched_us, 9)
     << ",\n  \"b_matched_us\": " << num(d.b_matched_us, 9) << ",\n  \"matched\": [";
  for (std::size_t i = 0; i < d.matched.size(); ++i) {
    const auto& m = d.matched[i];
    os << (i ? "," : "") << "\n    {\"key\": " << json_string(m.key) << ", \"level\": " << json_string(to_string(m.level))
       << ", \"a_us\": " << num(m.a_us, 9) << ", \"b_us\": " << num(m.b_us, 9) << ", \"ratio\": " << num(m.ratio(), 6)
       << ", \"a_calls\": " << m.a_calls << ", \"b_calls\": " << m.b_calls << ", \"a_names\": " << names(m.a_names)
       << ", \"b_names\": " << names(m.b_names) << "}";
  }
  os << (d.matched.empty() ? "]" : "\n  ]") << ",\n  \"missing\": " << rows(d.missing) << ",\n  \"extra\": " << rows(d.extra) << "\n}\n";
}

void print_diff_csv(std::ostream& os, const KernelDiff& d) {
  os << "status,kernel,level,a_calls,b_calls,a_us,b_us,ratio\n";
  for (const auto& m : d.matched)
    os << "matched," << csv_field(m.key) << "," << to_string(m.level) << "," << m.a_calls << "," << m.b_calls << "," << num(m.a_us, 9)
       << "," << num(m.b_us, 9) << "," << num(m.ratio(), 6) << "\n";
  for (const auto& r : d.missing) os << "missing," << csv_field(r.name) << ",," << r.calls << ",0," << num(r.total_us, 9) << ",0,\n";
  for (const auto& r : d.extra) os << "extra," << csv_field(r.name) << ",,0," << r.calls << ",0," << num(r.total_us, 9) << ",\n";
}

}  // namespace aiconf::profile
