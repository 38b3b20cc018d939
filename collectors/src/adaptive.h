#pragma once
// Adaptive collection (`--adaptive N`): measure a coarse grid first (every other value of each
// numeric axis, plus each axis' last value), then, round after round, add up to N of the sweep's
// cases next to the measured points whose leave-one-out error is highest, until that error is
// below the target or no candidate is left. A case brings its closure (sweep_lines.h): the coarse
// plane of an axis value new to its group, and the rest of every line it (or those) start or
// extend at coarse resolution, so no round leaves a partial line or plane to extrapolate. The leave-one-out error comes from the perf
// database's own validation (the same interpolation queries use), so points are added where the
// estimator would be wrong.

#include "adaptive_sol.h"
#include "table_run.h"

#include <string>

namespace aiconf::collect {

struct AdaptiveOptions {
  int per_round = 8;       ///< cases added per round
  double target = 0.05;    ///< stop when the worst leave-one-out error is below this fraction
  const ScoringSol* sol = nullptr;  ///< speed-of-light of the scoring's extrapolation (null: slope)
};

/// The coarse grid: indices of plan.cases whose value on every numeric key axis has an even rank
/// among that axis' distinct values (within the case's categorical group), or is the axis' last.
std::vector<std::size_t> coarse_cases(const TablePlan& plan);

/// Runs the adaptive collection of one table. `summary` receives one line on what was done.
TableRun::Outcome run_adaptive(TableRun& run, const AdaptiveOptions& opt, Progress& progress, std::string* summary);

}  // namespace aiconf::collect
