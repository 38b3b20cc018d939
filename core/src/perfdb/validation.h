#pragma once
// Leave-one-out validation over a GridIndex: hide each point, predict it from the rest through the
// same evaluation as queries, and summarise absolute percent errors (all / interior / frontier).

#include "grid_index.h"

#include <aiconf/perf_database.h>

#include <functional>
#include <memory>

namespace aiconf::perfdb {

/// Makes the speed-of-light function of one group (null: no speed-of-light, slope extrapolation).
using GroupSolFactory = std::function<std::unique_ptr<SolFunction>(int group)>;

/// Fills every statistic of `out` (table, path and schema are left to the caller).
void leave_one_out(const GridIndex& index, const GroupSolFactory& sol, const ValidationOptions& opt,
                   ValidationReport* out);

/// Holdout: predicts every point of `test` (a GridIndex of another table built with the same schema)
/// from `train` alone, through the same evaluation as queries (`sol` null: no speed-of-light). A test point that
/// `train` measured itself is counted in `shared` and not scored; one whose categories `train` lacks,
/// in `unpredictable`. Interior = interpolated on every axis; frontier = extrapolated on some axis.
void holdout(const GridIndex& train, const GridIndex& test, const GroupSolFactory& sol, const ValidationOptions& opt,
             ValidationReport* out);

/// Median / p90 / max of a list of errors (the list is reordered). p90 is the nearest-rank value.
ErrorStats error_stats(std::vector<double>& errors);

/// "k=v ..." of a point of the index (categories then axes).
std::string point_key_text(const GridIndex& index, std::uint32_t point);

}  // namespace aiconf::perfdb
