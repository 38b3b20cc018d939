#pragma once
// What `aiconf estimate` and `aiconf search` share: opening the system, the perf database and the
// model config into an Estimator, the common workload options, and Estimate -> JSON / text.
#include "cli_common.h"

#include <aiconf/estimator.h>
#include <aiconf/query_engine.h>

#include <iosfwd>
#include <memory>
#include <string>

namespace aiconf::cli {

/// Options of the model, system and workload (both commands).
struct WorkloadOptions {
  std::string model, system = "h200_sxm", perfdb, query_mode = "hybrid", backend, version;
  RuntimeConfig rt;
  bool as_json = false;
};

/// Adds the WorkloadOptions flags to a subcommand.
void add_workload_options(CLI::App* cmd, WorkloadOptions* o);

/// The opened database, engine, config and estimator (members in construction order).
struct EstimatorSession {
  SystemSpec system;
  std::shared_ptr<PerfDatabase> db;
  std::string perfdb_root, db_note;
  QueryMode mode = QueryMode::hybrid;
  std::unique_ptr<QueryEngine> engine;
  ModelConfig cfg;
  std::unique_ptr<Estimator> estimator;
};

/// Opens everything; throws aiconf::Error with the file/field named on failure.
std::unique_ptr<EstimatorSession> open_session(const WorkloadOptions& o, const Registry& reg);

/// An estimate as JSON (figures, memory, breakdown, steps, warnings). `top` limits breakdown lines (0 = all).
boost::json::object estimate_json(const Estimate& e, std::size_t top = 0);
boost::json::object memory_json(const MemoryEstimate& m);
/// Human-readable report.
void print_estimate(std::ostream& os, const Estimate& e, const EstimatorSession& s, std::size_t top);

}  // namespace aiconf::cli
