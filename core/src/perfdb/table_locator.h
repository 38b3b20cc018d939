#pragma once
// Finding table files under a system directory and choosing one when a name appears several times.

#include <aiconf/perf_database.h>

#include <map>
#include <string>
#include <vector>

namespace aiconf::perfdb {

/// One table file found.
struct TableFile {
  std::string name, path, backend, version;
};

/// The system directory under a root: `<root>/systems/data/<system>` when `<root>/systems/data`
/// exists (an aiconfigurator checkout), else `<root>/<system>`.
std::string system_directory(const std::string& root, const std::string& system);

/// Every `*.txt` / `*.txt.gz` / `*.csv` file below `dir` (recursively), grouped by table name, each
/// group ordered best first: our own backend, then the newest version (natural sort), then the
/// backend alphabetically, then `.txt` before `.txt.gz`, then the path. Files outside the
/// backend/version filters are left out. backend/version are the two folders above the file.
Status find_tables(const std::string& dir, const PerfDatabaseOptions& opt,
                   std::map<std::string, std::vector<TableFile>>* out);

/// Natural-order comparison ("1.10" > "1.9", "0.5.14" < "1.3.0rc20"): <0, 0, >0.
int natural_compare(const std::string& a, const std::string& b);

}  // namespace aiconf::perfdb
