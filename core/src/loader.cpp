// Plugin discovery and loading through Boost.DLL (on std::filesystem), RTLD_NOW so an unresolved
// symbol fails at load instead of at first call.
#include <aiconf/loader.h>
#include <aiconf/plugin/abi.h>

#include "registrar_impl.h"

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace aiconf {
namespace fs = std::filesystem;
namespace dll = boost::dll;

namespace {

std::vector<std::string> split_path_list(const char* s) {
  std::vector<std::string> out;
  if (!s) return out;
  std::string cur;
  for (const char* p = s;; ++p) {
    if (*p == ':' || *p == '\0') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
      if (*p == '\0') break;
    } else {
      cur += *p;
    }
  }
  return out;
}

// Boost.DLL clears dlerror(); ask the dynamic loader once more for the exact reason.
std::string dlopen_reason(const std::string& path) {
  dlerror();
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (h) {
    dlclose(h);
    return "unknown loader error";
  }
  const char* e = dlerror();
  std::string msg = e ? e : "unknown loader error";
  // dlerror repeats the path; keep the message one readable line.
  if (auto pos = msg.find(path + ": "); pos == 0) msg = msg.substr(path.size() + 2);
  if (msg.find("undefined symbol") != std::string::npos) return "unresolved symbol: " + msg;
  if (msg.find("invalid ELF header") != std::string::npos || msg.find("file too short") != std::string::npos)
    return "not a plugin (not a shared library: " + msg + ")";
  return "cannot load: " + msg;
}

bool looks_like_plugin_file(const fs::path& p) {
  return p.extension() == ".so";
}

}  // namespace

std::string default_plugin_dir() {
  // libaiconf lives in <libdir>; plugins in <libdir>/aiconf/plugins, in the build tree and installed.
  std::error_code ec;
  auto self = dll::this_line_location(ec);
  if (ec) return {};
  return (fs::path(self).parent_path() / "aiconf" / "plugins").string();
}

std::vector<std::string> plugin_search_path(const LoadOptions& opt) {
  std::vector<std::string> dirs = opt.plugin_dirs;
  if (opt.use_environment)
    for (auto& d : split_path_list(std::getenv("AICONF_PLUGIN_PATH"))) dirs.push_back(d);
  if (opt.use_default_dir) {
    std::string d = default_plugin_dir();
    if (!d.empty()) dirs.push_back(d);
  }
  // The same directory twice (e.g. the default given explicitly) is searched once.
  std::vector<std::string> unique;
  for (auto& d : dirs) {
    std::error_code ec;
    auto canon = fs::weakly_canonical(d, ec).string();
    bool seen = false;
    for (auto& u : unique) {
      std::error_code ec2;
      if (fs::weakly_canonical(u, ec2).string() == canon) seen = true;
    }
    if (!seen) unique.push_back(d);
  }
  return unique;
}

Status load_plugin_file(const std::string& path, Registry* registry) {
  auto lib = std::make_shared<dll::shared_library>();
  std::error_code ec;
  lib->load(fs::path(path), dll::load_mode::rtld_now | dll::load_mode::rtld_local, ec);
  if (ec || !lib->is_loaded()) return Status::error(path + ": " + dlopen_reason(path));

  const char* entry_name = "aiconf_plugin_entry_v1";
  if (!lib->has(entry_name))
    return Status::error(path + ": not an aiconf plugin (no exported symbol '" + std::string(entry_name) + "')");
  auto& entry = lib->get<PluginEntryFn>(entry_name);
  const PluginDescriptor* desc = entry();
  if (!desc) return Status::error(path + ": plugin entry returned no descriptor");
  // abi_version is the first field of every descriptor version: read it before anything else.
  if (desc->abi_version != kPluginAbiVersion)
    return Status::error(path + ": wrong plugin ABI version: found " + std::to_string(desc->abi_version) +
                         ", this aiconf supports version " + std::to_string(kPluginAbiVersion) + "; rebuild the plugin");
  if (desc->struct_size != sizeof(PluginDescriptor) || !desc->name || !desc->version || !desc->fingerprint ||
      !desc->register_fn)
    return Status::error(path + ": malformed plugin descriptor (size " + std::to_string(desc->struct_size) + ", expected " +
                         std::to_string(sizeof(PluginDescriptor)) + ")");
  if (std::strcmp(desc->fingerprint, build_fingerprint()) != 0)
    return Status::error(path + ": build fingerprint mismatch: plugin '" + desc->name + "' was built as '" +
                         desc->fingerprint + "' but this aiconf is '" + build_fingerprint() + "'; rebuild it with the same compiler and SDK");
  for (const auto& p : registry->plugins)
    if (p.name == desc->name)
      return Status::error(path + ": duplicate plugin '" + desc->name + "': already loaded from " + p.path);

  detail::RegistrarImpl registrar(*registry, desc->name, path, lib);
  char err[1024] = {0};
  int rc = desc->register_fn(&registrar, err, sizeof err);
  if (rc != 0)
    return Status::error(path + ": register function of plugin '" + desc->name + "' failed: " + (err[0] ? err : "no message"));
  if (!registrar.first_error().empty())
    return Status::error(path + ": registration failed: " + registrar.first_error());
  registrar.commit(*registry);
  registry->plugins.push_back(PluginInfo{desc->name, desc->version, desc->description ? desc->description : "", path,
                                         desc->fingerprint});
  return Status::ok();
}

Status load_plugins(const LoadOptions& opt, Registry* registry) {
  for (const auto& dir : plugin_search_path(opt)) {
    std::error_code ec;
    bool explicit_dir = std::find(opt.plugin_dirs.begin(), opt.plugin_dirs.end(), dir) != opt.plugin_dirs.end();
    if (!fs::is_directory(dir, ec)) {
      if (explicit_dir) {
        std::string reason = "plugin directory does not exist or is not a directory";
        if (opt.strict) return Status::error(dir + ": " + reason);
        registry->skipped.push_back({dir, reason});
      }
      continue;
    }
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (looks_like_plugin_file(e.path())) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      Status s = load_plugin_file(f.string(), registry);
      if (!s) {
        if (opt.strict) return s;
        registry->skipped.push_back({f.string(), s.message()});
      }
    }
  }
  return Status::ok();
}

}  // namespace aiconf
