#pragma once
// The lines of a sweep: along each numeric key axis, the cases that differ only on that axis. The
// perf database interpolates along such lines and extrapolates beyond their measured ends, so the
// adaptive mode uses them twice: to score a candidate by its measured neighbours on a line, and to
// close a line that a new case starts or extends (the rest of it measured at the coarse pass's
// resolution), since a partial line is what the estimator extrapolates worst (a line measured only
// at small sizes, queried at large ones).

#include "case_plan.h"

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace aiconf::collect {

/// Key column positions of the numeric axes (values that parse as numbers) and of the categorical
/// ones (the rest: a "numeric" column whose values do not parse is treated as a category).
void split_axes(const TablePlan& plan, std::vector<std::size_t>* numeric, std::vector<std::size_t>* categorical);

class SweepLines {
public:
  explicit SweepLines(const TablePlan& plan);

  /// Numeric axes (key column positions), in key order.
  const std::vector<std::size_t>& numeric() const { return numeric_; }
  /// Categorical key column positions.
  const std::vector<std::size_t>& categorical() const { return categorical_; }
  /// The cases on case i's line along numeric axis number `axis` (index into numeric()), sorted by
  /// their value on that axis (case i included).
  const std::vector<std::size_t>& line(std::size_t axis, std::size_t i) const { return lines_[axis][line_id_[axis][i]]; }
  /// Case i's value on numeric axis number `axis`.
  double value(std::size_t axis, std::size_t i) const { return value_[axis][i]; }

  /// What closes the lines through case i when i starts or extends them: along every numeric axis
  /// whose line through i has >= 3 values, the cases of that line outside the hull of `have` plus
  /// i, at the coarse pass's resolution (even rank along the line, and the line's last), that
  /// `have` lacks. Empty when i falls inside every line's measured stretch. Without them a case
  /// that starts a line leaves the rest of it to be extrapolated (or interpolated across a wide
  /// gap) from a short stretch, and that line overrides its well-measured neighbours in queries.
  /// Each case at most once, in axis order.
  std::vector<std::size_t> open_ends(std::size_t i, const std::function<bool(std::size_t)>& have) const;

  /// The cases of the coarse plane through case i along numeric axis number `axis`: the cases of
  /// i's categorical group with i's value on that axis whose value on every other numeric axis is
  /// on the coarse grid (even rank among the group's distinct values of that axis, or its last),
  /// as the coarse pass measures them. i itself included when it is on that grid.
  std::vector<std::size_t> coarse_plane(std::size_t axis, std::size_t i) const;

  /// Whether case i is on the coarse grid along numeric axis number `axis` (even rank among its
  /// group's distinct values on that axis, or the last).
  bool coarse_on(std::size_t axis, std::size_t i) const { return coarse_[axis][i]; }

  /// What a round measures with the cases `seeds` so that it leaves no half-measured structure
  /// behind, closed recursively over everything it adds: for every case c of the round, (1) when c
  /// brings a value on a numeric axis that no case of its group in `have` (or taken this round)
  /// has, the coarse plane of that value (coarse_plane), so the new value's lines are all complete
  /// at coarse resolution, like those of the coarse pass's values; (2) the open ends of the lines
  /// through c (open_ends). Without (1), a closing case at an off-grid batch starts lines of its
  /// own, measured at two or three points, and a query at that batch uses them instead of
  /// interpolating the dense neighbouring batches. Returns the added cases (not the seeds, not
  /// `have`), each once, in the order found.
  std::vector<std::size_t> closure(const std::vector<std::size_t>& seeds, const std::function<bool(std::size_t)>& have) const;

private:
  std::vector<std::size_t> numeric_, categorical_;
  std::vector<std::vector<std::size_t>> line_id_;                 // [axis][case] -> line
  std::vector<std::vector<std::vector<std::size_t>>> lines_;      // [axis][line] -> cases by value
  std::vector<std::vector<double>> value_;                        // [axis][case]
  std::vector<std::size_t> group_;                                // [case] -> categorical group
  std::vector<std::vector<bool>> coarse_;                         // [axis][case] on the coarse grid
  std::vector<std::vector<std::size_t>> plane_id_;                // [axis][case] -> (group, value) plane
  std::vector<std::vector<std::vector<std::size_t>>> planes_;     // [axis][plane] -> cases
};

}  // namespace aiconf::collect
