#include "table_reader.h"

#include "text_file.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <string_view>
#include <unordered_map>

namespace aiconf::perfdb {

namespace {

constexpr std::size_t kMaxIssues = 8;

// Splits one CSV record (no newline) into fields. Quoted fields ("a,b", "" escapes) are accepted.
bool split_fields(std::string_view line, std::vector<std::string_view>* fields, std::string* scratch) {
  fields->clear();
  if (line.find('"') == std::string_view::npos) {
    std::size_t start = 0;
    while (true) {
      std::size_t comma = line.find(',', start);
      if (comma == std::string_view::npos) {
        fields->push_back(line.substr(start));
        return true;
      }
      fields->push_back(line.substr(start, comma - start));
      start = comma + 1;
    }
  }
  // Slow path with quotes: unquoted copies go to `scratch`, views point into it.
  scratch->clear();
  scratch->reserve(line.size());
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  std::size_t i = 0;
  while (true) {
    std::size_t begin = scratch->size();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return false;  // unterminated quote
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') { scratch->push_back('"'); i += 2; continue; }
          ++i;
          break;
        }
        scratch->push_back(line[i++]);
      }
      if (i < line.size() && line[i] != ',') return false;
    } else {
      while (i < line.size() && line[i] != ',') scratch->push_back(line[i++]);
    }
    spans.emplace_back(begin, scratch->size() - begin);
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  for (auto [b, n] : spans) fields->push_back(std::string_view(*scratch).substr(b, n));
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool parse_double(std::string_view s, double* out) {
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Per-column dictionary builder.
struct ColumnBuilder {
  TableColumn* col;
  std::unordered_map<std::string, std::uint32_t> index;
  std::uint32_t last_code = 0;
  bool has_last = false;

  std::uint32_t code_of(std::string_view v) {
    if (has_last && v == col->text[last_code]) return last_code;
    std::string key(v);
    auto it = index.find(key);
    std::uint32_t c;
    if (it != index.end()) {
      c = it->second;
    } else {
      c = static_cast<std::uint32_t>(col->text.size());
      double x = 0;
      bool num = parse_double(v, &x) && std::isfinite(x);
      col->text.push_back(key);
      col->number.push_back(num ? x : std::nan(""));
      if (!num) col->all_numeric = false;
      index.emplace(std::move(key), c);
    }
    last_code = c;
    has_last = true;
    return c;
  }
};

}  // namespace

std::string table_name_of(const std::string& path) {
  std::string name = std::filesystem::path(path).filename().string();
  for (const char* ext : {".txt.gz", ".csv.gz", ".txt", ".csv", ".gz"}) {
    std::string_view e(ext);
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0)
      return name.substr(0, name.size() - e.size());
  }
  return name;
}

Status parse_table_text(const std::string& text, const std::string& path, const ReadOptions& opt, TableData* out) {
  *out = TableData{};
  out->path = path;
  out->name = table_name_of(path);

  std::size_t pos = 0, line_no = 0;
  auto next_line = [&](std::string_view* line) {
    if (pos >= text.size()) return false;
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    *line = std::string_view(text).substr(pos, nl - pos);
    if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
    pos = nl + 1;
    ++line_no;
    return true;
  };

  std::vector<std::string_view> fields;
  std::string scratch;
  std::string_view line;
  // Header: the first non-blank line.
  bool have_header = false;
  while (next_line(&line)) {
    if (trim(line).empty()) continue;
    have_header = true;
    break;
  }
  if (!have_header) return Status::error(path + ": empty file (expected a header line starting with 'framework')");
  if (!split_fields(line, &fields, &scratch))
    return Status::error(path + ":" + std::to_string(line_no) + ": header has an unterminated quote");
  int latency_field = -1;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    std::string name(trim(fields[i]));
    if (name.empty())
      return Status::error(path + ":" + std::to_string(line_no) + ": header column " + std::to_string(i + 1) +
                           " has no name (expected a column name)");
    for (const auto& h : out->header)
      if (h == name)
        return Status::error(path + ":" + std::to_string(line_no) + ": header names column '" + name +
                             "' twice (expected unique column names)");
    out->header.push_back(name);
    if (name == "latency") {
      latency_field = static_cast<int>(i);
    } else {
      TableColumn c;
      c.name = name;
      out->columns.push_back(std::move(c));
    }
  }
  if (latency_field < 0)
    return Status::error(path + ":" + std::to_string(line_no) +
                         ": header has no 'latency' column (expected framework,version,device,op_name,"
                         "kernel_source,<keys>,latency)");
  for (const char* f : kFixedColumns)
    if (out->column_index(f) < 0)
      return Status::error(path + ":" + std::to_string(line_no) + ": header lacks the '" + std::string(f) +
                           "' column (expected framework,version,device,op_name,kernel_source,<keys>,latency)");

  const std::size_t nfields = out->header.size();
  std::vector<ColumnBuilder> builders(out->columns.size());
  for (std::size_t i = 0; i < builders.size(); ++i) builders[i].col = &out->columns[i];
  // Field index -> column index (-1 for latency).
  std::vector<int> field_col(nfields);
  for (std::size_t i = 0, c = 0; i < nfields; ++i) field_col[i] = (static_cast<int>(i) == latency_field) ? -1 : static_cast<int>(c++);

  std::size_t estimate = text.size() / 64 + 16;
  for (auto& c : out->columns) c.code.reserve(estimate);
  out->latency_ms.reserve(estimate);
  out->line.reserve(estimate);

  auto issue = [&](std::size_t ln, std::string reason) {
    if (out->issues.size() < kMaxIssues) out->issues.push_back({ln, std::move(reason)});
  };

  while (next_line(&line)) {
    if (trim(line).empty()) continue;
    if (!split_fields(line, &fields, &scratch)) {
      std::string msg = "unterminated quote (expected a closing '\"')";
      if (!opt.lenient) return Status::error(path + ":" + std::to_string(line_no) + ": " + msg);
      ++out->skipped_malformed;
      issue(line_no, msg);
      continue;
    }
    if (fields.size() != nfields) {
      std::string msg = "expected " + std::to_string(nfields) + " fields as in the header, found " +
                        std::to_string(fields.size());
      if (!opt.lenient) return Status::error(path + ":" + std::to_string(line_no) + ": " + msg);
      ++out->skipped_malformed;
      issue(line_no, msg);
      continue;
    }
    double lat = 0;
    std::string_view lat_text = trim(fields[static_cast<std::size_t>(latency_field)]);
    if (!parse_double(lat_text, &lat)) {
      std::string msg = "column 'latency': expected a number (milliseconds), found '" + std::string(lat_text) + "'";
      if (!opt.lenient) return Status::error(path + ":" + std::to_string(line_no) + ": " + msg);
      ++out->skipped_malformed;
      issue(line_no, msg);
      continue;
    }
    if (!std::isfinite(lat) || lat <= 0) {
      ++out->rejected_latency;
      issue(line_no, "column 'latency': rejected " + std::string(lat_text) +
                         " (expected a finite latency > 0 ms); row not used");
      continue;
    }
    for (std::size_t i = 0; i < nfields; ++i) {
      int c = field_col[i];
      if (c < 0) continue;
      builders[static_cast<std::size_t>(c)].col->code.push_back(builders[static_cast<std::size_t>(c)].code_of(trim(fields[i])));
    }
    out->latency_ms.push_back(lat);
    out->line.push_back(static_cast<std::uint32_t>(line_no));
  }
  return Status::ok();
}

Status read_table(const std::string& path, const ReadOptions& opt, TableData* out) {
  std::string text;
  Status s = read_text_file(path, &text);
  if (!s) return s;
  return parse_table_text(text, path, opt, out);
}

}  // namespace aiconf::perfdb
