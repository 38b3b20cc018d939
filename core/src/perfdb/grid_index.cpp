#include "grid_index.h"

#include <algorithm>
#include <cmath>
#include <limits>
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
    gr.root = n > 0 ? g.build_node(0, p, q) : 0;
    g.group_of_.emplace(point_key[p], static_cast<std::uint32_t>(g.groups_.size()));
    g.groups_.push_back(gr);
    p = q;
  }
  return Status::ok();
}

std::uint32_t GridIndex::build_node(std::size_t level, std::uint32_t pbegin, std::uint32_t pend) {
  const std::size_t n = axes_.size();
  std::uint32_t id = static_cast<std::uint32_t>(nodes_.size());
  nodes_.push_back(Node{});
  // Distinct values of this axis in [pbegin, pend): points are sorted lexicographically, so equal
  // values of this axis are contiguous once the values of the levels above are fixed.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> runs;
  for (std::uint32_t p = pbegin; p < pend;) {
    std::uint32_t q = p + 1;
    while (q < pend && point_raw_[q * n + level] == point_raw_[p * n + level]) ++q;
    runs.emplace_back(p, q);
    p = q;
  }
  Node nd;
  nd.begin = static_cast<std::uint32_t>(cx_.size());
  nd.count = static_cast<std::uint32_t>(runs.size());
  nd.pbegin = pbegin;
  nd.pend = pend;
  for (auto [p, q] : runs) {
    double x = point_raw_[p * n + level];
    craw_.push_back(x);
    cx_.push_back(transform(axes_[level].transform, x));
    cnext_.push_back(p);  // leaf: the point; inner levels: replaced by the child node below
  }
  nodes_[id] = nd;
  if (level + 1 < n)
    for (std::size_t k = 0; k < runs.size(); ++k) {
      std::uint32_t child = build_node(level + 1, runs[k].first, runs[k].second);
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

struct GridIndex::EvalCtx {
  const double* q;       // transformed query
  const double* qraw;    // raw query
  double path[32];       // raw coordinates chosen on levels above
  const SolFunction* sol;
  int excluded;
  bool outer;            // below an outer (slope-only) neighbour
  EvalResult* out;
};

bool GridIndex::child_empty(std::uint32_t node, std::size_t level, std::uint32_t child, int excluded) const {
  if (excluded < 0) return false;
  std::uint32_t e = static_cast<std::uint32_t>(excluded);
  std::uint32_t next = cnext_[nodes_[node].begin + child];
  if (level + 1 == axes_.size()) return next == e;
  const Node& c = nodes_[next];
  return c.pend - c.pbegin == 1 && c.pbegin == e;
}

// Returns log(latency): every blend happens in log-latency space, so one exp() per query.
double GridIndex::eval_child(std::uint32_t node, std::size_t level, std::uint32_t child, EvalCtx& c, bool outer) const {
  std::uint32_t slot = nodes_[node].begin + child;
  c.path[level] = craw_[slot];
  if (level + 1 == axes_.size()) {
    std::uint32_t p = cnext_[slot];
    EvalResult& r = *c.out;
    if (r.nused < EvalResult::kMaxUsed) {
      r.used_outer[r.nused] = outer || c.outer;
      r.used[r.nused++] = p;
    } else {
      ++r.more_used;
    }
    return lat_log_[p];
  }
  bool saved = c.outer;
  c.outer = saved || outer;
  double v = eval_node(cnext_[slot], level + 1, c);
  c.outer = saved;
  return v;
}

double GridIndex::eval_node(std::uint32_t node, std::size_t level, EvalCtx& c) const {
  const Node& nd = nodes_[node];
  const double q = c.q[level];
  const double* xs = cx_.data() + nd.begin;
  const int count = static_cast<int>(nd.count);
  int i = static_cast<int>(std::lower_bound(xs, xs + count, q) - xs);
  int lo = i - 1, hi = i;
  auto empty = [&](int k) { return child_empty(node, level, static_cast<std::uint32_t>(k), c.excluded); };
  auto child = [&](int k, bool outer) { return eval_child(node, level, static_cast<std::uint32_t>(k), c, outer); };
  if (i < count && craw_[nd.begin + i] == c.qraw[level]) {
    if (!empty(i)) return child(i, false);
    hi = i + 1;
  }
  c.out->exact = false;
  while (lo >= 0 && empty(lo)) --lo;
  while (hi < count && empty(hi)) ++hi;
  if (lo >= 0 && hi < count) {
    // Monotone cubic (PCHIP, Fritsch-Carlson slopes) through the two bracketing values and their
    // outer neighbours when present: latency curves bend (launch floor -> power law), which a
    // straight line between the brackets misses. Without an outer neighbour the slope at that
    // end is the secant (linear on that side).
    double vlo = child(lo, false), vhi = child(hi, false);
    double h1 = xs[hi] - xs[lo];
    double t = (q - xs[lo]) / h1;
    double d1 = vhi - vlo;  // = s1 * h1
    double mlo_h = d1, mhi_h = d1;  // end slopes times h1
    int lo2 = lo - 1, hi2 = hi + 1;
    while (lo2 >= 0 && empty(lo2)) --lo2;
    while (hi2 < count && empty(hi2)) ++hi2;
    // Fritsch-Carlson weighted harmonic mean of the secants, written with one division:
    // m = 3 (h0 + h1) s0 s1 / ((2 h1 + h0) s1 + (h1 + 2 h0) s0), with s = d / h.
    if (lo2 >= 0) {
      double h0 = xs[lo] - xs[lo2], d0 = vlo - child(lo2, true);
      double num = 3 * (h0 + h1) * d0 * d1, den = (2 * h1 + h0) * d1 * h0 + (h1 + 2 * h0) * d0 * h1;
      mlo_h = d0 * d1 <= 0 ? 0 : num / den * h1;
    }
    if (hi2 < count) {
      double h2 = xs[hi2] - xs[hi], d2 = child(hi2, true) - vhi;
      double num = 3 * (h1 + h2) * d1 * d2, den = (2 * h2 + h1) * d2 * h1 + (h2 + 2 * h1) * d1 * h2;
      mhi_h = d1 * d2 <= 0 ? 0 : num / den * h1;
    }
    double t2 = t * t, t3 = t2 * t;
    return (2 * t3 - 3 * t2 + 1) * vlo + (t3 - 2 * t2 + t) * mlo_h + (-2 * t3 + 3 * t2) * vhi + (t3 - t2) * mhi_h;
  }
  if (lo < 0 && hi >= count) return std::numeric_limits<double>::quiet_NaN();
  // Outside the measured range of this axis (under the values chosen above).
  c.out->extrapolated_axes |= 1u << level;
  int b = lo >= 0 ? lo : hi;
  int step = lo >= 0 ? -1 : 1;
  double vb = child(b, false);
  if (c.sol) {
    double pt[32];
    const std::size_t n = axes_.size();
    for (std::size_t j = 0; j < n; ++j) pt[j] = j < level ? c.path[j] : c.qraw[j];
    double s_query = c.sol->sol_ms(pt);
    pt[level] = craw_[nd.begin + b];
    double s_bound = c.sol->sol_ms(pt);
    if (std::isfinite(s_query) && std::isfinite(s_bound) && s_query > 0 && s_bound > 0) {
      c.out->used_sol = true;
      return vb + std::log(s_query / s_bound);  // same utilization as the boundary point
    }
  }
  int in = b + step;
  while (in >= 0 && in < count && empty(in)) in += step;
  if (in < 0 || in >= count) return vb;  // a single measured value on this axis: hold it
  double vi = child(in, true);
  // Linear in log latency (always a positive latency). The slope is clamped: latency does not
  // fall as a size grows, and on a log axis grows at most quadratically (exponent in [0, 2]);
  // a noisy pair of boundary points must not extrapolate to absurd values.
  double slope = (vb - vi) / (xs[b] - xs[in]);
  slope = std::max(slope, 0.0);
  if (axes_[level].transform == AxisTransform::log) slope = std::min(slope, 2.0);
  return vb + slope * (q - xs[b]);
}

void GridIndex::evaluate(int group, const double* raw, const SolFunction* sol, int excluded, EvalResult* out) const {
  *out = EvalResult{};
  out->found = false;
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
  double q[32];
  for (std::size_t i = 0; i < n; ++i) q[i] = transform(axes_[i].transform, raw[i]);
  EvalCtx c{q, raw, {}, sol, excluded, false, out};
  double v = eval_node(gr.root, 0, c);
  if (std::isfinite(v)) {
    out->ms = out->exact && out->nused == 1 ? lat_[out->used[0]] : std::exp(v);  // exact: the stored median
    out->found = std::isfinite(out->ms) && out->ms > 0;
  }
}

}  // namespace aiconf::perfdb
