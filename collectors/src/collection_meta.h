#pragma once
// collection_meta.json, one per table directory (`<out>/<system>/aiconf/<version>/`): the device
// (GPU name, driver, CUDA, clocks), the date, the git commit and command line of every run, and
// per table the GPU-seconds spent and the case counts, summed over runs. Several processes (shards,
// --gpus workers) update it: each read-modify-write holds an flock on the directory.

#include "timing_backend.h"

#include <aiconf/status.h>

#include <map>
#include <string>
#include <vector>

namespace aiconf::collect {

/// One table's share of one run.
struct TableRunRecord {
  std::string table;
  std::string collector;
  std::size_t cases_planned = 0;    ///< this shard's cases after the filter
  std::size_t already_present = 0;  ///< skipped by --resume
  std::size_t measured = 0;
  std::size_t skipped = 0;          ///< mock layer errors (reason counted)
  std::size_t throttled = 0;        ///< rows still throttled after the re-measurement
  std::size_t rows_in_table = 0;    ///< rows of the table file after the run
  double gpu_seconds = 0;           ///< wall time spent in cases (setup to teardown)
  std::map<std::string, std::size_t> skip_reasons;
  std::string mode = "sweep";       ///< "sweep" or "adaptive"
};

/// What the run records about itself.
struct RunRecord {
  std::string command_line;
  std::string shard;                ///< "i/n"
  DeviceInfo device;
  std::string l2_flush;             ///< "read", "memset" or "none" (how samples were made cold)
  std::vector<TableRunRecord> tables;
};

/// Merges a run into `<dir>/collection_meta.json` (creating it). Errors name the file.
Status update_collection_meta(const std::string& dir, const RunRecord& run);

/// $AICONF_GIT_COMMIT when set; else `git rev-parse HEAD` in the current directory, else in the
/// source tree, with "-dirty" when tracked files differ from HEAD; "" when neither works.
std::string git_commit();
/// UTC date and time, ISO 8601.
std::string utc_now();

}  // namespace aiconf::collect
