#pragma once
/// \file loader.h
/// Plugin discovery and loading (Boost.DLL, RTLD_NOW). Directories are searched in this order:
/// every `--plugin-dir` given, then `AICONF_PLUGIN_PATH` (colon-separated), then the default
/// plugin directory next to libaiconf (`<libdir>/aiconf/plugins`, in the build tree and after
/// install). Never the current directory implicitly. Within a directory files load in name order;
/// a plugin name seen twice loads once (the first directory wins, the later file is reported).

#include <aiconf/registry.h>
#include <aiconf/status.h>

#include <string>
#include <vector>

namespace aiconf {

struct LoadOptions {
  std::vector<std::string> plugin_dirs;  ///< from --plugin-dir, searched first
  bool use_environment = true;           ///< read AICONF_PLUGIN_PATH
  bool use_default_dir = true;           ///< the directory next to libaiconf
  bool strict = false;                   ///< the first bad plugin is fatal instead of skipped
};

/// The directories that will be searched, in order.
std::vector<std::string> plugin_search_path(const LoadOptions& opt);
/// The default plugin directory of this libaiconf (build tree or install prefix).
std::string default_plugin_dir();
/// Loads every plugin found. Bad plugins go to `registry->skipped` with a one-line reason that
/// names the file; with `strict`, the first one is returned as the error instead.
Status load_plugins(const LoadOptions& opt, Registry* registry);
/// Loads one plugin file into the registry (used by load_plugins and tests).
Status load_plugin_file(const std::string& path, Registry* registry);

}  // namespace aiconf
