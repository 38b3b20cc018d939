#pragma once
// GridIndex: a perf table prepared for interpolation under one schema. Rows are filtered by
// op_name, grouped by their categorical key tuple, and within each group arranged as a tree of
// numeric axes in schema order (level i holds the sorted distinct values of axis i present under
// the values chosen on levels < i). Grids need not be full rectangles: every subtree has its own
// axis values. Duplicate keys collapse to one point holding the median latency of the duplicates.
//
// Evaluation is recursive 1-D interpolation: at each level the query is bracketed by the nearest
// measured values below and above, those subtrees (and the next value outward on each side, when
// present) are evaluated, and the results are blended by a monotone cubic (PCHIP) in transformed
// axis space (log / sqrt / linear) and log-latency space (a power law between measured points;
// always positive), or on an affine axis a straight line in latency. Outside the measured range of
// an axis the nearest boundary subtree is evaluated and scaled by speed-of-light when a SolFunction
// is given (the smaller, going up, of held utilization and the marginal time per unit of
// speed-of-light through the two outermost subtrees), else extrapolated linearly in log latency
// (affine: in latency) from the two outermost subtrees, at most quadratically in the raw value. A
// measured value whose subtree must extrapolate an axis that other lines of the group cover gives
// way to its neighbours on both sides when they answer without extrapolating.
// Built once, immutable afterwards; evaluation is thread-safe.

#include "table_data.h"

#include <aiconf/operation.h>
#include <aiconf/status.h>
#include <aiconf/value.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace aiconf::perfdb {

/// Speed-of-light time (ms) at a point given by raw numeric axis values (schema order).
class SolFunction {
public:
  virtual ~SolFunction() = default;
  virtual double sol_ms(const double* raw_axes) const = 0;
};

/// Result of one evaluation.
struct EvalResult {
  static constexpr int kMaxUsed = 64;
  double ms = 0;
  bool found = false;            ///< false: no measured point could answer
  bool exact = true;             ///< every level hit a measured value
  std::uint32_t extrapolated_axes = 0;  ///< bit i: axis i was outside the measured range somewhere
  bool used_sol = false;         ///< an extrapolation held utilization via the SolFunction
  int nused = 0;                 ///< points used (capped at kMaxUsed; `more_used` counts the rest)
  int more_used = 0;
  std::uint32_t used[kMaxUsed];
  bool used_outer[kMaxUsed];     ///< the point only shaped a slope (outer neighbour of a bracket)

  /// Clears the scalar fields (the arrays are only read up to `nused`): no 400-byte memset per query.
  void reset() {
    ms = 0;
    found = false;
    exact = true;
    extrapolated_axes = 0;
    used_sol = false;
    nused = 0;
    more_used = 0;
  }
};

class GridIndex {
public:
  struct Axis {
    std::string name;
    int column = -1;             ///< index in TableData::columns
    AxisTransform transform = AxisTransform::linear;
    double default_value = 0;    ///< NaN: required in queries
  };
  struct Category {
    std::string name;
    int column = -1;
  };

  /// Builds the index. Errors: a schema column missing from the header (names the table, the
  /// column and the header); a non-numeric value in a numeric column or a value outside a
  /// transform's domain (names file:line, column and expectation) unless `lenient`, which skips
  /// and counts such rows.
  static Status build(const TableData& table, const TableSchema& schema, bool lenient, GridIndex* out);

  const TableData& table() const { return *table_; }
  const std::vector<Axis>& axes() const { return axes_; }
  const std::vector<Category>& categories() const { return cats_; }
  std::size_t points() const { return lat_.size(); }
  std::size_t groups() const { return groups_.size(); }
  std::size_t duplicate_keys() const { return duplicate_keys_; }
  std::size_t skipped_rows() const { return skipped_rows_; }

  /// Transformed coordinate of a raw axis value (NaN when outside the transform's domain).
  static double transform(AxisTransform t, double x);

  /// Group of a tuple of category codes (one per category, in order), or -1.
  int find_group(const std::uint32_t* codes) const;
  /// Evaluates a group at raw axis values. `excluded` hides one point (leave-one-out).
  void evaluate(int group, const double* raw, const SolFunction* sol, int excluded, EvalResult* out) const;

  // Point access (validation and provenance).
  double point_latency(std::uint32_t p) const { return lat_[p]; }
  /// Rows (indices into the table) measured at a point: the duplicates share a point.
  std::pair<const std::uint32_t*, std::size_t> point_rows(std::uint32_t p) const {
    return {&point_rows_[point_row_begin_[p]], point_row_begin_[p + 1] - point_row_begin_[p]};
  }
  const double* point_raw(std::uint32_t p) const { return &point_raw_[static_cast<std::size_t>(p) * axes_.size()]; }
  bool point_frontier(std::uint32_t p) const { return frontier_[p] != 0; }
  int point_group(std::uint32_t p) const { return point_group_[p]; }
  std::pair<std::uint32_t, std::uint32_t> group_points(int g) const {
    return {groups_[static_cast<std::size_t>(g)].pbegin, groups_[static_cast<std::size_t>(g)].pend};
  }
  /// Measured [min, max] of an axis in a group (raw values).
  std::pair<double, double> group_range(int g, std::size_t axis) const {
    const auto& gr = groups_[static_cast<std::size_t>(g)];
    return {gr_min_[gr.range_offset + axis], gr_max_[gr.range_offset + axis]};
  }
  /// The category codes of a group.
  const std::uint32_t* group_codes(int g) const { return &group_codes_[static_cast<std::size_t>(g) * cats_.size()]; }

private:
  struct Node {
    std::uint32_t begin = 0, count = 0;   // children in cnext_
    std::uint32_t xoff = 0;               // the children's axis values in cx_/craw_ (shared between nodes
                                          // of one level with the same values: full grids store each once)
    std::uint32_t pbegin = 0, pend = 0;   // points below this node
  };
  struct Group {
    std::uint32_t root = 0;
    std::uint32_t pbegin = 0, pend = 0;
    std::size_t range_offset = 0;
  };
  struct EvalCtx;

  struct BuildCtx;

  std::uint32_t build_node(std::size_t level, std::uint32_t pbegin, std::uint32_t pend, BuildCtx& b);
  // Evaluation (hidden: called within the library only, so the compiler may inline them; kExcl: a
  // point is held out, which makes bracket choice depend on the node, not only on its axis values).
  template <bool kExcl>
  [[gnu::visibility("hidden")]] double eval_node(std::uint32_t node, std::size_t level, EvalCtx& c) const;
  template <bool kExcl, class Blend>
  [[gnu::visibility("hidden")]] double exact_or_neighbours(std::uint32_t node, std::size_t level, int i, EvalCtx& c,
                                                           Blend&& blend) const;
  template <bool kExcl>
  [[gnu::visibility("hidden")]] double eval_child(std::uint32_t node, std::size_t level, std::uint32_t child,
                                                   EvalCtx& c, bool outer) const;
  [[gnu::visibility("hidden")]] bool child_empty(std::uint32_t node, std::size_t level, std::uint32_t child,
                                                 int excluded) const;

  const TableData* table_ = nullptr;
  std::vector<Axis> axes_;
  std::vector<Category> cats_;
  std::vector<std::uint64_t> radix_;
  std::unordered_map<std::uint64_t, std::uint32_t> group_of_;
  std::vector<Group> groups_;
  std::vector<std::uint32_t> group_codes_;
  std::vector<double> gr_min_, gr_max_;
  std::vector<Node> nodes_;
  std::vector<double> cx_, craw_;
  std::vector<std::uint32_t> cnext_;
  std::vector<double> lat_, lat_log_;
  std::vector<double> point_raw_;
  std::vector<std::uint32_t> point_row_begin_, point_rows_;
  std::vector<std::uint8_t> frontier_;
  std::vector<int> point_group_;
  std::size_t duplicate_keys_ = 0, skipped_rows_ = 0;
};

}  // namespace aiconf::perfdb
