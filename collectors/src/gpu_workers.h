#pragma once
// `--gpus 0,1,...`: one worker process per GPU. The parent never touches CUDA: it re-executes
// this program once per GPU with CUDA_VISIBLE_DEVICES set to that GPU and `--shard r/n` added
// (composed with an outer shard from --shard or Slurm/MPI: worker r of shard i/n takes shard
// i*g+r of n*g), waits for all, then merges the workers' shard files into each table.
//
// Why per-shard files rather than one file with O_APPEND: whole-line O_APPEND writes are atomic on
// a local file system, but not on NFS or Lustre, where multi-node Slurm sweeps write; a file per
// shard needs no such guarantee, and its partial last line after a kill is cut like any other.

#include "shard.h"

#include <aiconf/status.h>

#include <string>
#include <vector>

namespace aiconf::collect {

/// Parses "0,1,3" into GPU ids; error names the bad entry.
Status parse_gpu_list(const std::string& text, std::vector<std::string>* out);

/// The worker's command line: `argv` without --gpus/--shard, plus its --shard and label.
std::vector<std::string> worker_argv(const std::vector<std::string>& argv, const ShardSpec& shard, const std::string& label);

/// Runs the workers and waits for them. `report_dir` receives one file per worker listing the
/// table files it wrote ("<table>\t<path>" lines). Returns false when a worker failed; `failures`
/// names each ("worker for GPU 1 exited with status 3").
bool run_gpu_workers(const std::vector<std::string>& argv, const std::vector<std::string>& gpus, const ShardSpec& outer,
                     const std::string& report_dir, std::vector<std::string>* failures);

/// The environment variable through which a worker learns where to write its report.
inline const char* kWorkerReportEnv = "AICONF_COLLECT_WORKER_REPORT";

}  // namespace aiconf::collect
