#include "grid_index.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

namespace aiconf::perfdb {

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

const char* transform_name(AxisTransform t) {
  switch (t) {
    case AxisTransform::log: return "log";
    case AxisTransform::sqrt: return "sqrt";
    case AxisTransform::affine: return "affine";
    default: return "linear";
  }
}

}  // namespace

double GridIndex::transform(AxisTransform t, double x) {
  switch (t) {
    case AxisTransform::log: return x > 0 ? std::log(x) : std::numeric_limits<double>::quiet_NaN();
    case AxisTransform::sqrt: return x >= 0 ? std::sqrt(x) : std::numeric_limits<double>::quiet_NaN();
    default: return x;
  }
}

struct GridIndex::BuildCtx {
  // Per level: axis-value arrays already stored, by value -> offset in cx_/craw_.
  std::vector<std::map<std::vector<double>, std::uint32_t>> shared;
};

Status GridIndex::build(const TableData& table, const TableSchema& schema, bool lenient, GridIndex* out) {
  GridIndex& g = *out;
  g = GridIndex{};
  g.table_ = &table;
  for (const auto& col : schema.keys) {
    int ci = table.column_index(col.name);
    if (ci < 0)
      return Status::error(table.path + ": table '" + table.name + "' has no column '" + col.name +
                           "' (the schema expects it; header: " + join(table.header) + ")");
    if (col.kind == ColumnKind::categorical) {
      g.cats_.push_back({col.name, ci});
    } else {
      Axis a;
      a.name = col.name;
      a.column = ci;
      a.transform = col.transform;
      a.default_value = col.default_value;
      g.axes_.push_back(a);
    }
  }
  if (g.axes_.size() > 30) return Status::error(table.path + ": more than 30 numeric key columns in the schema");

  // Mixed-radix packing of category codes into one 64-bit group key.
  std::uint64_t prod = 1;
  for (const auto& c : g.cats_) {
    g.radix_.push_back(prod);
    std::uint64_t n = std::max<std::size_t>(1, table.columns[static_cast<std::size_t>(c.column)].text.size());
    if (prod > std::numeric_limits<std::uint64_t>::max() / n)
      return Status::error(table.path + ": too many combinations of categorical values to index");
    prod *= n;
  }

  // op_name filter.
  std::vector<char> op_ok;
  int opcol = table.column_index("op_name");
  bool any_op = schema.op_names.empty() ||
                std::find(schema.op_names.begin(), schema.op_names.end(), "") != schema.op_names.end();
  if (!any_op && opcol >= 0) {
    const auto& oc = table.columns[static_cast<std::size_t>(opcol)];
    op_ok.assign(oc.text.size(), 0);
    for (std::size_t i = 0; i < oc.text.size(); ++i)
      op_ok[i] = std::find(schema.op_names.begin(), schema.op_names.end(), oc.text[i]) != schema.op_names.end();
  }

  const std::size_t n = g.axes_.size();
  std::vector<std::uint32_t> sel;
  std::vector<std::uint64_t> key(table.rows());
  sel.reserve(table.rows());
  for (std::size_t r = 0; r < table.rows(); ++r) {
    if (!op_ok.empty() && !op_ok[table.columns[static_cast<std::size_t>(opcol)].code[r]]) continue;
    bool bad = false;
    for (const auto& a : g.axes_) {
      const auto& col = table.columns[static_cast<std::size_t>(a.column)];
      double x = col.value(r);
      std::string why;
      if (std::isnan(x)) why = "expected a number, found '" + col.str(r) + "'";
      else if (std::isnan(transform(a.transform, x)))
        why = std::string("expected a value in the domain of the ") + transform_name(a.transform) +
              " transform (" + (a.transform == AxisTransform::log ? "> 0" : ">= 0") + "), found " + col.str(r);
      if (!why.empty()) {
        if (!lenient) return Status::error(table.where(r) + ": column '" + a.name + "': " + why);
        bad = true;
        break;
      }
    }
    if (bad) { ++g.skipped_rows_; continue; }
    std::uint64_t k = 0;
    for (std::size_t i = 0; i < g.cats_.size(); ++i)
      k += g.radix_[i] * table.columns[static_cast<std::size_t>(g.cats_[i].column)].code[r];
    key[r] = k;
    sel.push_back(static_cast<std::uint32_t>(r));
  }

  // Sort by (group, axis values...), then collapse duplicate keys.
  std::vector<const TableColumn*> axcol(n);
  for (std::size_t i = 0; i < n; ++i) axcol[i] = &table.columns[static_cast<std::size_t>(g.axes_[i].column)];
  auto less = [&](std::uint32_t a, std::uint32_t b) {
    if (key[a] != key[b]) return key[a] < key[b];
    for (std::size_t i = 0; i < n; ++i) {
      double xa = axcol[i]->value(a), xb = axcol[i]->value(b);
      if (xa != xb) return xa < xb;
    }
    return table.line[a] < table.line[b];
  };
  std::sort(sel.begin(), sel.end(), less);
  auto same_point = [&](std::uint32_t a, std::uint32_t b) {
    if (key[a] != key[b]) return false;
    for (std::size_t i = 0; i < n; ++i)
      if (axcol[i]->value(a) != axcol[i]->value(b)) return false;
    return true;
  };

  std::vector<std::uint64_t> point_key;
  g.point_row_begin_.push_back(0);
  std::vector<double> dup;
  for (std::size_t i = 0; i < sel.size();) {
    std::size_t j = i + 1;
    while (j < sel.size() && same_point(sel[i], sel[j])) ++j;
    dup.clear();
    for (std::size_t k = i; k < j; ++k) {
      dup.push_back(table.latency_ms[sel[k]]);
      g.point_rows_.push_back(sel[k]);
    }
    g.point_row_begin_.push_back(static_cast<std::uint32_t>(g.point_rows_.size()));
    // Duplicate rule: the median of the duplicates (mean of the middle two for an even count).
    std::sort(dup.begin(), dup.end());
    std::size_t m = dup.size();
    g.lat_.push_back(m % 2 ? dup[m / 2] : 0.5 * (dup[m / 2 - 1] + dup[m / 2]));
    g.lat_log_.push_back(std::log(g.lat_.back()));
    if (m > 1) ++g.duplicate_keys_;
    for (std::size_t a = 0; a < n; ++a) g.point_raw_.push_back(axcol[a]->value(sel[i]));
    point_key.push_back(key[sel[i]]);
    i = j;
  }

  const std::uint32_t np = static_cast<std::uint32_t>(g.lat_.size());
  BuildCtx bctx;
  g.frontier_.assign(np, 0);
  g.point_group_.assign(np, 0);
  for (std::uint32_t p = 0; p < np;) {
    std::uint32_t q = p + 1;
    while (q < np && point_key[q] == point_key[p]) ++q;
    Group gr;
    gr.pbegin = p;
    gr.pend = q;
    gr.range_offset = g.gr_min_.size();
    int gi = static_cast<int>(g.groups_.size());
    for (std::size_t a = 0; a < n; ++a) {
      double lo = std::numeric_limits<double>::infinity(), hi = -lo;
      for (std::uint32_t k = p; k < q; ++k) {
        lo = std::min(lo, g.point_raw_[k * n + a]);
        hi = std::max(hi, g.point_raw_[k * n + a]);
      }
      g.gr_min_.push_back(lo);
      g.gr_max_.push_back(hi);
      for (std::uint32_t k = p; k < q; ++k) {
        double x = g.point_raw_[k * n + a];
        if (x == lo || x == hi) g.frontier_[k] = 1;
      }
    }
    for (std::uint32_t k = p; k < q; ++k) g.point_group_[k] = gi;
    // Category codes of the group, from its first row.
    std::uint32_t r0 = g.point_rows_[g.point_row_begin_[p]];
    for (const auto& c : g.cats_) g.group_codes_.push_back(table.columns[static_cast<std::size_t>(c.column)].code[r0]);
    gr.root = n > 0 ? g.build_node(0, p, q, bctx) : 0;
    g.group_of_.emplace(point_key[p], static_cast<std::uint32_t>(g.groups_.size()));
    g.groups_.push_back(gr);
    p = q;
  }
  return Status::ok();
}

std::uint32_t GridIndex::build_node(std::size_t level, std::uint32_t pbegin, std::uint32_t pend, BuildCtx& b) {
  const std::size_t n = axes_.size();
  std::uint32_t id = static_cast<std::uint32_t>(nodes_.size());
  nodes_.push_back(Node{});
  // Distinct values of this axis in [pbegin, pend): points are sorted lexicographically, so equal
  // values of this axis are contiguous once the values of the levels above are fixed.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> runs;
  std::vector<double> values;
  for (std::uint32_t p = pbegin; p < pend;) {
    std::uint32_t q = p + 1;
    while (q < pend && point_raw_[q * n + level] == point_raw_[p * n + level]) ++q;
    runs.emplace_back(p, q);
    values.push_back(point_raw_[p * n + level]);
    p = q;
  }
  Node nd;
  nd.begin = static_cast<std::uint32_t>(cnext_.size());
  nd.count = static_cast<std::uint32_t>(runs.size());
  nd.pbegin = pbegin;
  nd.pend = pend;
  if (b.shared.size() <= level) b.shared.resize(level + 1);
  auto [it, fresh] = b.shared[level].emplace(values, static_cast<std::uint32_t>(cx_.size()));
  nd.xoff = it->second;
  if (fresh)
    for (double x : values) {
      craw_.push_back(x);
      cx_.push_back(transform(axes_[level].transform, x));
    }
  for (const auto& run : runs) cnext_.push_back(run.first);  // leaf: the point; inner levels: the child node below
  nodes_[id] = nd;
  if (level + 1 < n)
    for (std::size_t k = 0; k < runs.size(); ++k) {
      std::uint32_t child = build_node(level + 1, runs[k].first, runs[k].second, b);
      cnext_[nd.begin + k] = child;
    }
  return id;
}

int GridIndex::find_group(const std::uint32_t* codes) const {
  std::uint64_t k = 0;
  for (std::size_t i = 0; i < cats_.size(); ++i) k += radix_[i] * codes[i];
  auto it = group_of_.find(k);
  return it == group_of_.end() ? -1 : static_cast<int>(it->second);
}

namespace {

// Bracket geometry of one node on one level: which children are evaluated and how they blend.
// Without a held-out point it depends only on the node's axis values (and the query), so nodes of a
// level that share their values (full grids: every sibling) reuse it: one binary search per level.
struct Bracket {
  enum Kind : std::uint8_t { exact, interp, extrap, none };
  Kind kind = none;
  int i = 0;                  // exact: the child
  int lo = -1, hi = -1;       // interp: the brackets
  int lo2 = -1, hi2 = -1;     // interp: the outer neighbours (-1: none)
  double h0 = 0, h1 = 0, h2 = 0, t = 0;
  double w00 = 0, w10 = 0, w01 = 0, w11 = 0;  // Hermite basis at t
  int b = -1, in = -1;        // extrap: the boundary child and the next one inward (-1: none)
};

}  // namespace

struct GridIndex::EvalCtx {
  const double* q;       // transformed query
  const double* qraw;    // raw query
  double path[32];       // raw coordinates chosen on levels above
  const SolFunction* sol;
  int excluded;
  bool outer;            // below an outer (slope-only) neighbour
  std::uint32_t main_extrap;   // axes extrapolated on the main path (not under an outer neighbour)
  std::uint32_t outer_extraps; // extrapolations under outer neighbours so far (a counter)
  std::uint32_t out_of_group;  // axes where the query is outside the whole group's measured range
  EvalResult* out;
  // Per level: the bracket of the last axis-value array seen (no held-out point only).
  std::uint32_t cached_xoff[32];
  Bracket cached[32];
};

namespace {

inline void hermite(Bracket& br) {
  double t = br.t, t2 = t * t, t3 = t2 * t;
  br.w00 = 2 * t3 - 3 * t2 + 1;
  br.w10 = t3 - 2 * t2 + t;
  br.w01 = -2 * t3 + 3 * t2;
  br.w11 = t3 - t2;
}

// Bracket with every child present (no held-out point).
inline void bracket_full(const double* xs, const double* raws, int count, double q, double qraw, Bracket& br) {
  int i = static_cast<int>(std::lower_bound(xs, xs + count, q) - xs);
  if (i < count && raws[i] == qraw) {
    br.kind = Bracket::exact;
    br.i = i;
    return;
  }
  int lo = i - 1, hi = i;
  if (lo >= 0 && hi < count) {
    br.kind = Bracket::interp;
    br.lo = lo;
    br.hi = hi;
    br.h1 = xs[hi] - xs[lo];
    br.t = (q - xs[lo]) / br.h1;
    br.lo2 = lo - 1;
    br.hi2 = hi + 1 < count ? hi + 1 : -1;
    if (br.lo2 >= 0) br.h0 = xs[lo] - xs[br.lo2];
    if (br.hi2 >= 0) br.h2 = xs[br.hi2] - xs[hi];
    hermite(br);
    return;
  }
  if (lo < 0 && hi >= count) {
    br.kind = Bracket::none;
    return;
  }
  br.kind = Bracket::extrap;
  br.b = lo >= 0 ? lo : hi;
  int step = lo >= 0 ? -1 : 1;
  int in = br.b + step;
  br.in = in >= 0 && in < count ? in : -1;
}

}  // namespace

bool GridIndex::child_empty(std::uint32_t node, std::size_t level, std::uint32_t child, int excluded) const {
  if (excluded < 0) return false;
  std::uint32_t e = static_cast<std::uint32_t>(excluded);
  std::uint32_t next = cnext_[nodes_[node].begin + child];
  if (level + 1 == axes_.size()) return next == e;
  const Node& c = nodes_[next];
  return c.pend - c.pbegin == 1 && c.pbegin == e;
}

// Returns log(latency): every blend happens in log-latency space, so one exp() per query.
template <bool kExcl>
double GridIndex::eval_child(std::uint32_t node, std::size_t level, std::uint32_t child, EvalCtx& c, bool outer) const {
  const Node& nd = nodes_[node];
  std::uint32_t next = cnext_[nd.begin + child];
  if (level + 1 == axes_.size()) {
    EvalResult& r = *c.out;
    if (r.nused < EvalResult::kMaxUsed) {
      r.used_outer[r.nused] = outer || c.outer;
      r.used[r.nused++] = next;
    } else {
      ++r.more_used;
    }
    return lat_log_[next];
  }
  c.path[level] = craw_[nd.xoff + child];
  bool saved = c.outer;
  c.outer = saved || outer;
  double v = eval_node<kExcl>(next, level + 1, c);
  c.outer = saved;
  return v;
}

// A measured value on this axis whose subtree answers only by extrapolating a deeper axis (it lacks
// the query's range there: an adaptive collection or a b*s-limited sweep leaves such partial lines)
// gives way to its neighbours on both sides when they answer without extrapolating: a point between
// two complete lines is a better guess than a lone line stretched beyond its data.
template <bool kExcl, class Blend>
double GridIndex::exact_or_neighbours(std::uint32_t node, std::size_t level, int i, EvalCtx& c, Blend&& blend) const {
  EvalResult& r = *c.out;
  const std::uint32_t above = c.main_extrap, x0 = r.extrapolated_axes;
  const int n0 = r.nused, m0 = r.more_used;
  const bool sol0 = r.used_sol;
  c.main_extrap = 0;
  const double v = eval_child<kExcl>(node, level, static_cast<std::uint32_t>(i), c, false);
  const std::uint32_t deeper = c.main_extrap;
  c.main_extrap |= above;
  // Only an axis some point of the group covers can be answered by neighbours (an axis the whole
  // group lacks is extrapolated on every line): nothing else to try, and no cost in the common case
  // of a query beyond the table.
  if (!(deeper & ~c.out_of_group)) return v;
  const Node& nd = nodes_[node];
  const double* xs = cx_.data() + nd.xoff;
  const int count = static_cast<int>(nd.count);
  auto empty = [&](int k) { return kExcl && child_empty(node, level, static_cast<std::uint32_t>(k), c.excluded); };
  Bracket nb;
  nb.kind = Bracket::interp;
  nb.lo = i - 1;
  nb.hi = i + 1;
  while (nb.lo >= 0 && empty(nb.lo)) --nb.lo;
  while (nb.hi < count && empty(nb.hi)) ++nb.hi;
  if (nb.lo < 0 || nb.hi >= count) return v;
  int lo2 = nb.lo - 1, hi2 = nb.hi + 1;
  while (lo2 >= 0 && empty(lo2)) --lo2;
  while (hi2 < count && empty(hi2)) ++hi2;
  nb.lo2 = lo2;
  nb.hi2 = hi2 < count ? hi2 : -1;
  nb.h1 = xs[nb.hi] - xs[nb.lo];
  nb.t = (c.q[level] - xs[nb.lo]) / nb.h1;
  if (nb.lo2 >= 0) nb.h0 = xs[nb.lo] - xs[nb.lo2];
  if (nb.hi2 >= 0) nb.h2 = xs[nb.hi2] - xs[nb.hi];
  hermite(nb);
  // The line's rows move aside: the neighbours' rows take their place in the list (and in the
  // overflow count), and come back if the line is kept.
  const int n1 = r.nused, m1 = r.more_used;
  std::uint32_t line_rows[EvalResult::kMaxUsed];
  bool line_outer[EvalResult::kMaxUsed];
  std::copy(r.used + n0, r.used + n1, line_rows);
  std::copy(r.used_outer + n0, r.used_outer + n1, line_outer);
  const std::uint32_t extrap1 = r.extrapolated_axes;
  const bool exact1 = r.exact, sol1 = r.used_sol;
  r.nused = n0;
  r.more_used = m0;
  r.extrapolated_axes = x0;
  r.used_sol = sol0;
  c.main_extrap = 0;
  const double w = blend(nb);
  const std::uint32_t neighbours_extrap = c.main_extrap;
  c.main_extrap = above;
  if (neighbours_extrap != 0 || !std::isfinite(w)) {  // the neighbours extrapolate too: keep the measured line
    std::copy(line_rows, line_rows + (n1 - n0), r.used + n0);
    std::copy(line_outer, line_outer + (n1 - n0), r.used_outer + n0);
    r.nused = n1;
    r.more_used = m1;
    r.extrapolated_axes = extrap1;
    r.exact = exact1;
    r.used_sol = sol1;
    c.main_extrap |= deeper;
    return v;
  }
  // Interpolated between complete lines: the line's extrapolation no longer describes the answer
  // (bits set by the outer neighbours, which only shape slopes, stay as in any interpolation).
  r.exact = false;
  return w;
}

template <bool kExcl>
double GridIndex::eval_node(std::uint32_t node, std::size_t level, EvalCtx& c) const {
  const Node& nd = nodes_[node];
  const double q = c.q[level];
  const double* xs = cx_.data() + nd.xoff;
  const int count = static_cast<int>(nd.count);
  auto child = [&](int k, bool outer) { return eval_child<kExcl>(node, level, static_cast<std::uint32_t>(k), c, outer); };
  // Between two measured values: the blend of their subtrees' answers.
  auto blend = [&](const Bracket& bb) -> double {
    if (axes_[level].transform == AxisTransform::affine) {
      // Straight line in latency between the brackets (exact for a + b x); back to log latency.
      const double lo = std::exp(child(bb.lo, false)), hi = std::exp(child(bb.hi, false));
      return std::log(lo + bb.t * (hi - lo));
    }
    // Monotone cubic (PCHIP, Fritsch-Carlson slopes) through the two bracketing values and their
    // outer neighbours when present: latency curves bend (launch floor -> power law), which a
    // straight line between the brackets misses. Without an outer neighbour the slope at that
    // end is the secant (linear on that side).
    double vlo = child(bb.lo, false), vhi = child(bb.hi, false);
    const double h1 = bb.h1;
    double d1 = vhi - vlo;  // = s1 * h1
    double mlo_h = d1, mhi_h = d1;  // end slopes times h1
    // Fritsch-Carlson weighted harmonic mean of the secants, written with one division:
    // m = 3 (h0 + h1) s0 s1 / ((2 h1 + h0) s1 + (h1 + 2 h0) s0), with s = d / h.
    // An outer neighbour that has to extrapolate (its line lacks the query's range deeper down)
    // does not shape the slope: that side stays the secant.
    if (bb.lo2 >= 0) {
      const std::uint32_t before = c.outer_extraps;
      double h0 = bb.h0, d0 = vlo - child(bb.lo2, true);
      double num = 3 * (h0 + h1) * d0 * d1, den = (2 * h1 + h0) * d1 * h0 + (h1 + 2 * h0) * d0 * h1;
      if (c.outer_extraps == before) mlo_h = d0 * d1 <= 0 ? 0 : num / den * h1;
    }
    if (bb.hi2 >= 0) {
      const std::uint32_t before = c.outer_extraps;
      double h2 = bb.h2, d2 = child(bb.hi2, true) - vhi;
      double num = 3 * (h1 + h2) * d1 * d2, den = (2 * h2 + h1) * d2 * h1 + (h2 + 2 * h1) * d1 * h2;
      if (c.outer_extraps == before) mhi_h = d1 * d2 <= 0 ? 0 : num / den * h1;
    }
    return bb.w00 * vlo + bb.w10 * mlo_h + bb.w01 * vhi + bb.w11 * mhi_h;
  };


  Bracket local;
  const Bracket* brp;
  if constexpr (!kExcl) {
    if (c.cached_xoff[level] != nd.xoff) {
      c.cached[level] = Bracket{};
      bracket_full(xs, craw_.data() + nd.xoff, count, q, c.qraw[level], c.cached[level]);
      c.cached_xoff[level] = nd.xoff;
    }
    brp = &c.cached[level];
  } else {
    // A held-out point: children that hold only it are skipped, so brackets depend on the node.
    auto empty = [&](int k) { return child_empty(node, level, static_cast<std::uint32_t>(k), c.excluded); };
    int i = static_cast<int>(std::lower_bound(xs, xs + count, q) - xs);
    int lo = i - 1, hi = i;
    if (i < count && craw_[nd.xoff + i] == c.qraw[level]) {
      if (!empty(i)) return exact_or_neighbours<kExcl>(node, level, i, c, blend);
      hi = i + 1;
    }
    while (lo >= 0 && empty(lo)) --lo;
    while (hi < count && empty(hi)) ++hi;
    if (lo >= 0 && hi < count) {
      local.kind = Bracket::interp;
      local.lo = lo;
      local.hi = hi;
      local.h1 = xs[hi] - xs[lo];
      local.t = (q - xs[lo]) / local.h1;
      int lo2 = lo - 1, hi2 = hi + 1;
      while (lo2 >= 0 && empty(lo2)) --lo2;
      while (hi2 < count && empty(hi2)) ++hi2;
      local.lo2 = lo2;
      local.hi2 = hi2 < count ? hi2 : -1;
      if (local.lo2 >= 0) local.h0 = xs[lo] - xs[local.lo2];
      if (local.hi2 >= 0) local.h2 = xs[local.hi2] - xs[hi];
      hermite(local);
    } else if (lo < 0 && hi >= count) {
      local.kind = Bracket::none;
    } else {
      local.kind = Bracket::extrap;
      local.b = lo >= 0 ? lo : hi;
      int step = lo >= 0 ? -1 : 1;
      int in = local.b + step;
      while (in >= 0 && in < count && empty(in)) in += step;
      local.in = in >= 0 && in < count ? in : -1;
    }
    brp = &local;
  }
  const Bracket& br = *brp;

  if (br.kind == Bracket::exact) return exact_or_neighbours<kExcl>(node, level, br.i, c, blend);
  c.out->exact = false;
  if (br.kind == Bracket::interp) return blend(br);
  if (br.kind == Bracket::none) return std::numeric_limits<double>::quiet_NaN();
  // Outside the measured range of this axis (under the values chosen above).
  c.out->extrapolated_axes |= 1u << level;
  if (!c.outer) c.main_extrap |= 1u << level;
  else ++c.outer_extraps;
  const int b = br.b;
  double vb = child(b, false);
  if (c.sol) {
    double pt[32];
    const std::size_t n = axes_.size();
    for (std::size_t j = 0; j < n; ++j) pt[j] = j < level ? c.path[j] : c.qraw[j];
    double s_query = c.sol->sol_ms(pt);
    pt[level] = craw_[nd.xoff + b];
    double s_bound = c.sol->sol_ms(pt);
    if (std::isfinite(s_query) && std::isfinite(s_bound) && s_query > 0 && s_bound > 0) {
      c.out->used_sol = true;
      // Same utilization as the boundary point: right for a kernel whose time is all work, but a
      // boundary point dominated by a fixed cost (launch, a small tile count) carries that cost
      // into the scaling: 100x the work priced as 100x the fixed cost too. With a second point
      // inward, the marginal time per unit of speed-of-light (t = a + s x m) is the other
      // estimate; going up, the smaller of the two, going down, the larger (the fixed cost stays).
      const double held = vb + std::log(s_query / s_bound);
      if (br.in < 0) return held;
      pt[level] = craw_[nd.xoff + br.in];
      const double s_in = c.sol->sol_ms(pt);
      const double tb = std::exp(vb), ti = std::exp(child(br.in, true));
      const double m = (tb - ti) / (s_bound - s_in);
      if (!std::isfinite(m) || m <= 0 || !std::isfinite(s_in) || s_in == s_bound) return held;
      const double marginal = tb + (s_query - s_bound) * m;
      if (s_query > s_bound) return marginal > 0 ? std::min(held, std::log(marginal)) : held;
      return marginal > 0 ? std::max(held, std::log(marginal)) : held;
    }
  }
  if (br.in < 0) return vb;  // a single measured value on this axis: hold it
  const int in = br.in;
  double vi = child(in, true);
  // Linear in log latency (always a positive latency). The slope is clamped: latency does not
  // fall as a size grows, and changes at most quadratically with the raw value (on a log axis:
  // exponent in [0, 2]); a noisy pair of boundary points must not extrapolate to absurd values.
  // On linear and sqrt axes a straight line in log latency is exponential in the raw value, so the
  // quadratic bound is applied to the result (a sequence length 4x past the table: at most 16x).
  double v;
  if (axes_[level].transform == AxisTransform::affine) {
    // The line through the two boundary points, in latency (slope >= 0); NaN when it falls to 0
    // or below, which the bound below replaces.
    const double lb = std::exp(vb), li = std::exp(vi);
    const double at = lb + std::max((lb - li) / (xs[b] - xs[in]), 0.0) * (q - xs[b]);
    v = at > 0 ? std::log(at) : -std::numeric_limits<double>::infinity();
  } else {
    double slope = (vb - vi) / (xs[b] - xs[in]);
    slope = std::max(slope, 0.0);
    if (axes_[level].transform == AxisTransform::log) slope = std::min(slope, 2.0);
    v = vb + slope * (q - xs[b]);
  }
  const double raw_q = c.qraw[level], raw_b = craw_[nd.xoff + b];
  if (axes_[level].transform != AxisTransform::log && raw_q > 0 && raw_b > 0) {
    const double quadratic = vb + 2.0 * std::log(raw_q / raw_b);
    v = raw_q > raw_b ? std::min(v, quadratic) : std::max(v, quadratic);
  }
  return std::isfinite(v) ? v : vb;  // an affine line through zero at a query of 0: hold the boundary
}

void GridIndex::evaluate(int group, const double* raw, const SolFunction* sol, int excluded, EvalResult* out) const {
  out->reset();
  if (group < 0 || static_cast<std::size_t>(group) >= groups_.size()) return;
  const Group& gr = groups_[static_cast<std::size_t>(group)];
  const std::size_t n = axes_.size();
  if (n == 0) {
    if (excluded >= 0 && gr.pbegin == static_cast<std::uint32_t>(excluded)) return;
    out->ms = lat_[gr.pbegin];
    out->used_outer[out->nused] = false;
    out->used[out->nused++] = gr.pbegin;
    out->found = true;
    return;
  }
  if (excluded >= 0 && gr.pend - gr.pbegin == 1 && gr.pbegin == static_cast<std::uint32_t>(excluded)) return;
  EvalCtx c;
  double q[32];
  for (std::size_t i = 0; i < n; ++i) {
    q[i] = transform(axes_[i].transform, raw[i]);
    c.cached_xoff[i] = std::numeric_limits<std::uint32_t>::max();
  }
  c.q = q;
  c.qraw = raw;
  c.sol = sol;
  c.main_extrap = c.out_of_group = c.outer_extraps = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto [lo, hi] = group_range(group, i);
    if (raw[i] < lo || raw[i] > hi) c.out_of_group |= 1u << i;
  }
  c.excluded = excluded;
  c.outer = false;
  c.out = out;
  double v = excluded >= 0 ? eval_node<true>(gr.root, 0, c) : eval_node<false>(gr.root, 0, c);
  if (std::isfinite(v)) {
    out->ms = out->exact && out->nused == 1 ? lat_[out->used[0]] : std::exp(v);  // exact: the stored median
    out->found = std::isfinite(out->ms) && out->ms > 0;
  }
}

}  // namespace aiconf::perfdb
