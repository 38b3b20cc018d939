#pragma once
/// \file perf_database.h
/// PerfDatabase: measured kernel latencies for one system, in aiconfigurator's per-table CSV layout
/// (`framework,version,device,op_name,kernel_source,<keys>,latency`, latency in ms), and the query
/// chain that turns them into a latency for any key: exact -> interpolated -> extrapolated (holding
/// the measured utilization of the nearest boundary point) -> speed-of-light / empirical.
/// Thread-safety: a loaded database is immutable; concurrent lookups are safe.

#include <aiconf/operation.h>
#include <aiconf/status.h>
#include <aiconf/system.h>

#include <memory>
#include <string>
#include <vector>

namespace aiconf {

/// Summary of one loaded table (for `aiconf db info`).
struct TableInfo {
  std::string table;
  std::string path;        ///< file it was read from
  std::size_t rows = 0;
  std::vector<std::string> columns;  ///< key columns as found in the header
};

class PerfDatabase {
public:
  virtual ~PerfDatabase() = default;
  /// The system this database describes (name of the `<root>/<system>` folder).
  virtual const std::string& system_name() const noexcept = 0;
  /// Tables found (loaded lazily or eagerly, as the implementation chooses).
  virtual std::vector<TableInfo> tables() const = 0;
  /// Whether a table of that name exists for this system.
  virtual bool has_table(const std::string& table) const = 0;
  /// The query chain for one operation's table. `op` supplies the schema and speed-of-light cost.
  virtual Status lookup(const Operation& op, const Params& key, const SystemSpec& sys, QueryMode mode,
                        Latency* out) const noexcept = 0;
};

}  // namespace aiconf
