#pragma once
// Where the `aiconf` command finds perf data and system specs.

#include <aiconf/status.h>
#include <aiconf/system.h>

#include <string>
#include <vector>

namespace aiconf::cli {

/// The default perf database root: `$AICONF_PERFDB`, else `<exe>/../share/aiconf/perfdb` (an
/// install), else the source tree's `perfdb/` (AICONF_SOURCE_PERFDB_DIR, a build tree). "" if none.
std::string default_perfdb_root();

/// Loads `<root>/systems/<system>.json`, else the default root's. Error names every path tried.
Status load_system_for(const std::string& root, const std::string& system, SystemSpec* out);

/// The systems below a root: folders of `<root>` (or `<root>/systems/data`) other than `systems`.
std::vector<std::string> list_systems(const std::string& root);

}  // namespace aiconf::cli
