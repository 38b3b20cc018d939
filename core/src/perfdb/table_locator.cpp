#include "table_locator.h"

#include "table_reader.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace aiconf::perfdb {
namespace fs = std::filesystem;

std::string system_directory(const std::string& root, const std::string& system) {
  std::error_code ec;
  fs::path data = fs::path(root) / "systems" / "data";
  if (fs::is_directory(data, ec)) return (data / system).string();
  return (fs::path(root) / system).string();
}

int natural_compare(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t i2 = i, j2 = j;
      while (i2 < a.size() && a[i2] == '0') ++i2;
      while (j2 < b.size() && b[j2] == '0') ++j2;
      std::size_t ie = i2, je = j2;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
      if (ie - i2 != je - j2) return ie - i2 < je - j2 ? -1 : 1;
      int c = a.compare(i2, ie - i2, b, j2, je - j2);
      if (c != 0) return c < 0 ? -1 : 1;
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) return a[i] < b[j] ? -1 : 1;
      ++i;
      ++j;
    }
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return 0;
}

namespace {
bool is_table_file(const std::string& name) {
  auto ends = [&](const char* e) {
    std::string s(e);
    return name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  return ends(".txt") || ends(".txt.gz") || ends(".csv") || ends(".csv.gz");
}
}  // namespace

Status find_tables(const std::string& dir, const PerfDatabaseOptions& opt,
                   std::map<std::string, std::vector<TableFile>>* out) {
  out->clear();
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return Status::error(dir + ": no such directory (expected <root>/<system>/<backend>/<version>/<table>.txt)");
  fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec), end;
  if (ec) return Status::error(dir + ": cannot list (" + ec.message() + ")");
  for (; it != end; it.increment(ec)) {
    if (ec) return Status::error(dir + ": cannot list (" + ec.message() + ")");
    if (!it->is_regular_file(ec)) continue;
    std::string fname = it->path().filename().string();
    if (fname.empty() || fname[0] == '.' || !is_table_file(fname)) continue;
    TableFile f;
    f.path = it->path().string();
    f.name = table_name_of(fname);
    fs::path rel = fs::relative(it->path().parent_path(), dir, ec);
    std::vector<std::string> parts;
    for (const auto& p : rel)
      if (p != ".") parts.push_back(p.string());
    if (parts.size() >= 2) {
      f.backend = parts[parts.size() - 2];
      f.version = parts.back();
    } else if (parts.size() == 1) {
      f.backend = parts[0];
    }
    if (!opt.backend.empty() && f.backend != opt.backend) continue;
    if (!opt.version.empty() && f.version != opt.version) continue;
    (*out)[f.name].push_back(std::move(f));
  }
  for (auto& [name, files] : *out)
    std::sort(files.begin(), files.end(), [&](const TableFile& a, const TableFile& b) {
      bool oa = a.backend == opt.own_backend, ob = b.backend == opt.own_backend;
      if (oa != ob) return oa;
      int v = natural_compare(a.version, b.version);
      if (v != 0) return v > 0;  // newest first
      if (a.backend != b.backend) return a.backend < b.backend;
      bool ga = a.path.size() >= 3 && a.path.compare(a.path.size() - 3, 3, ".gz") == 0;
      bool gb = b.path.size() >= 3 && b.path.compare(b.path.size() - 3, 3, ".gz") == 0;
      if (ga != gb) return !ga;
      return a.path < b.path;
    });
  return Status::ok();
}

}  // namespace aiconf::perfdb
