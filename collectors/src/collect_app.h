#pragma once
// The three things `aiconf-collect` does once its options are parsed: list the collectors, run
// the collection in this process, or run it as one worker per GPU.

#include "collect_options.h"

#include <aiconf/registry.h>

namespace aiconf::collect {

/// Exit codes: 0 success (skipped cases included), 1 bad input (one line said why), 2 a table
/// could not be written or a worker failed, 3 the device was lost (resume after fixing it).
enum ExitCode { kExitOk = 0, kExitUsage = 1, kExitFailed = 2, kExitDeviceLost = 3 };

/// `--list`: every collector, its plugin, table, mock layer and (with --model, or when it needs
/// none) its case count.
int list_collectors(const Registry& reg, const CollectOptions& opt, const ModelConfig* model);

/// Plans, then collects in this process (or, with --gpus, in one worker process per GPU).
int run_collection(const Registry& reg, const CollectOptions& opt, const ModelConfig* model);

}  // namespace aiconf::collect
