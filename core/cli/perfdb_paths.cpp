#include "perfdb_paths.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace aiconf::cli {
namespace fs = std::filesystem;

std::string default_perfdb_root() {
  std::error_code ec;
  if (const char* env = std::getenv("AICONF_PERFDB"); env && *env) return env;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "aiconf" / "perfdb";
    if (fs::is_directory(installed, ec)) return installed.string();
  }
#ifdef AICONF_SOURCE_PERFDB_DIR
  if (fs::is_directory(AICONF_SOURCE_PERFDB_DIR, ec)) return AICONF_SOURCE_PERFDB_DIR;
#endif
  return "";
}

Status load_system_for(const std::string& root, const std::string& system, SystemSpec* out) {
  std::vector<std::string> tried;
  for (const std::string& r : {root, default_perfdb_root()}) {
    if (r.empty()) continue;
    fs::path p = fs::path(r) / "systems" / (system + ".json");
    if (std::find(tried.begin(), tried.end(), p.string()) != tried.end()) continue;
    tried.push_back(p.string());
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return load_system_spec(p.string(), out);
  }
  std::string list;
  for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
  return Status::error("system spec '" + system + "' not found (tried: " + (list.empty() ? "no perfdb root" : list) + ")");
}

std::vector<std::string> list_systems(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::path base = fs::path(root);
  if (fs::is_directory(base / "systems" / "data", ec)) base = base / "systems" / "data";
  for (fs::directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_directory(ec)) continue;
    std::string name = it->path().filename().string();
    if (name == "systems" || name.empty() || name[0] == '.') continue;
    out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace aiconf::cli
