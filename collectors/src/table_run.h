#pragma once
// TableRun: one table being collected by this process. It picks the timing backend from the
// mock layer's kernel_source ("cpu:" -> CPU timer, else CUDA), finds the table file
// (`<out>/<system>/aiconf/<version>/<table>.txt`, or this shard's file beside it), learns which
// keys are already there (resume), then measures cases one by one, appending one row per case.

#include "case_plan.h"
#include "collection_meta.h"
#include "progress.h"
#include "shard.h"
#include "table_file.h"
#include "timing_backend.h"

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace aiconf::collect {

/// Options of a collection run.
struct RunOptions {
  std::string out_root = "perfdb";
  std::string system_name;      ///< "" = derived from the device name
  bool resume = false;
  ShardSpec shard;
  TimingOptions timing;
  int device_ordinal = -1;      ///< among the visible CUDA devices; -1: the launcher's local rank modulo the count, else 0
  std::size_t max_cases = 0;    ///< 0 = no limit (cases measured or skipped, over all tables)
  double time_budget_s = 0;     ///< 0 = no limit; no case starts after it
};

/// The global stop conditions shared by all tables of a run.
class Budget {
public:
  explicit Budget(const RunOptions& opt);
  bool exhausted() const;
  void spend_case() { ++cases_; }
  /// Why it is exhausted (for the message).
  std::string reason() const;

private:
  std::size_t max_cases_, cases_ = 0;
  double seconds_;
  std::chrono::steady_clock::time_point start_;
};

/// The timing backends of this process, created on first use (CUDA is never touched when only
/// "cpu:" layers run).
class Backends {
public:
  explicit Backends(int device_ordinal) : ordinal_(device_ordinal) {}
  Status for_kernel_source(const char* kernel_source, TimingBackend** out);

private:
  int ordinal_;
  std::unique_ptr<TimingBackend> cpu_, cuda_;
  std::string cuda_error_;
};

/// The perfdb system folder name of a device ("NVIDIA H200" -> h200_sxm, "NVIDIA H100 80GB HBM3"
/// -> h100_sxm, "cpu" -> cpu, else the name lower-cased with non-alphanumerics as '_').
std::string system_name_for_device(const std::string& device_name);
/// `<out>/<system>/aiconf/<version>`: the folder of our tables and collection_meta.json.
std::string table_directory(const std::string& out_root, const std::string& system);
/// The columns of a table file: framework..kernel_source, keys, latency, then the extras.
std::vector<std::string> table_header(const TablePlan& plan);
/// The extra columns after latency: timing (graph|eager|cpu), samples, spread, throttled.
const std::vector<std::string>& extra_columns();
/// The columns that identify a row for --resume and merging: op_name, then the schema's keys
/// (op_name because several operations may share one table, e.g. mla_gen_pre / mla_gen_post).
std::vector<std::string> identity_columns(const TablePlan& plan);

class TableRun {
public:
  enum class Outcome { done, budget, device_lost, write_failed };

  TableRun(const TablePlan& plan, const RunOptions& opt, Backends& backends, Progress& progress, Budget& budget);
  /// Chooses the backend and the files, merges leftover shard files (unsharded runs), reads the
  /// keys already present. Error when the table already has rows and --resume was not given.
  Status prepare();
  /// Opens the file to append to (after every table was prepared, so errors come before GPU time).
  Status open();
  /// Measures the cases (indices into plan.cases) that the table lacks, in order.
  Outcome measure(const std::vector<std::size_t>& indices);
  /// This shard's case indices (every one, for an unsharded run).
  std::vector<std::size_t> shard_indices() const;
  bool present(std::size_t case_index) const;
  /// join_key of the case's identity columns.
  std::string identity(std::size_t case_index) const;

  const TablePlan& plan() const { return plan_; }
  const std::string& table_path() const { return table_path_; }
  const std::string& directory() const { return directory_; }
  TimingBackend& backend() { return *backend_; }
  TableRunRecord& record() { return record_; }
  /// Rows in the main table plus every shard file (counted from disk).
  std::size_t rows_on_disk() const;
  const std::string& failure() const { return failure_; }

private:
  const TablePlan& plan_;
  const RunOptions& opt_;
  Backends& backends_;
  Progress& progress_;
  Budget& budget_;
  TimingBackend* backend_ = nullptr;
  std::string directory_, table_path_, write_path_, failure_;
  std::set<std::string> present_;
  std::unique_ptr<TableAppender> appender_;
  TableRunRecord record_;
};

}  // namespace aiconf::collect
