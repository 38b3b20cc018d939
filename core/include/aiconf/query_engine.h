#pragma once
/// \file query_engine.h
/// QueryEngine: the core's QueryContext. It answers `query(op, key)` by asking the registered
/// operation, which usually comes back through `lookup()` into the PerfDatabase's chain (exact ->
/// interpolated -> extrapolated -> speed-of-light / empirical) and which composed operations use
/// to query other operations by name. Thread-safety: immutable after construction; concurrent
/// queries are safe when the registry and database are (both are read-only after loading).

#include <aiconf/operation.h>
#include <aiconf/perf_database.h>
#include <aiconf/registry.h>
#include <aiconf/system.h>

#include <memory>
#include <string>

namespace aiconf {

class QueryEngine final : public QueryContext {
public:
  /// `db` may be null: every lookup then behaves as if its table were missing (an error in
  /// silicon mode, the empirical answer in hybrid mode). The registry must outlive the engine.
  QueryEngine(const Registry& registry, std::shared_ptr<const PerfDatabase> db, SystemSpec system, QueryMode mode);

  const SystemSpec& system() const noexcept override { return system_; }
  QueryMode mode() const noexcept override { return mode_; }
  const PerfDatabase* database() const noexcept { return db_.get(); }
  /// The core's chain for `op`'s own table.
  Status lookup(const Operation& op, const Params& key, Latency* out) const noexcept override;
  /// Runs the named operation's query. Errors name the operation (and the loaded plugins when no
  /// plugin provides it); composition deeper than 32 levels is reported as a cycle.
  Status query(const std::string& op_name, const Params& key, Latency* out) const noexcept override;
  bool has_operation(const std::string& op_name) const noexcept override;

private:
  const Registry& registry_;
  std::shared_ptr<const PerfDatabase> db_;
  SystemSpec system_;
  QueryMode mode_;
};

}  // namespace aiconf
