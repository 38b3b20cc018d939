#include "validation.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace aiconf::perfdb {

ErrorStats error_stats(std::vector<double>& e) {
  ErrorStats s;
  s.count = e.size();
  if (e.empty()) return s;
  std::sort(e.begin(), e.end());
  std::size_t n = e.size();
  s.median = n % 2 ? e[n / 2] : 0.5 * (e[n / 2 - 1] + e[n / 2]);
  std::size_t rank = static_cast<std::size_t>(std::ceil(0.9 * static_cast<double>(n)));
  s.p90 = e[std::min(n, std::max<std::size_t>(rank, 1)) - 1];
  s.max = e.back();
  return s;
}

std::string point_key_text(const GridIndex& index, std::uint32_t p) {
  const TableData& t = index.table();
  std::uint32_t row = index.point_rows(p).first[0];
  std::string s;
  for (const auto& c : index.categories())
    s += (s.empty() ? "" : " ") + c.name + "=" + t.columns[static_cast<std::size_t>(c.column)].str(row);
  for (const auto& a : index.axes())
    s += (s.empty() ? "" : " ") + a.name + "=" + t.columns[static_cast<std::size_t>(a.column)].str(row);
  return s;
}

void leave_one_out(const GridIndex& index, const GroupSolFactory& sol, const ValidationOptions& opt,
                   ValidationReport* out) {
  const std::uint32_t np = static_cast<std::uint32_t>(index.points());
  std::vector<std::uint32_t> order(np);
  std::iota(order.begin(), order.end(), 0u);
  if (opt.max_points > 0 && opt.max_points < np) {
    std::mt19937_64 rng(opt.seed);
    std::shuffle(order.begin(), order.end(), rng);
    order.resize(opt.max_points);
    std::sort(order.begin(), order.end());  // group by group, so each group's sol is made once
  }
  out->points = np;
  out->groups = index.groups();
  out->evaluated = order.size();
  out->unpredictable = 0;
  std::vector<double> all, interior, frontier;
  struct Bad { double err; std::uint32_t p; double pred; };
  std::vector<Bad> bad;
  int sol_group = -1;
  std::unique_ptr<SolFunction> group_sol;
  EvalResult r;
  for (std::uint32_t p : order) {
    int g = index.point_group(p);
    if (sol && g != sol_group) {
      group_sol = sol(g);
      sol_group = g;
    }
    index.evaluate(g, index.point_raw(p), group_sol.get(), static_cast<int>(p), &r);
    if (!r.found) {
      ++out->unpredictable;
      continue;
    }
    double meas = index.point_latency(p);
    double err = std::abs(r.ms - meas) / meas * 100.0;
    all.push_back(err);
    (index.point_frontier(p) ? frontier : interior).push_back(err);
    bad.push_back({err, p, r.ms});
  }
  out->all = error_stats(all);
  out->interior = error_stats(interior);
  out->frontier = error_stats(frontier);
  std::size_t k = std::min(opt.worst, bad.size());
  std::partial_sort(bad.begin(), bad.begin() + static_cast<std::ptrdiff_t>(k), bad.end(),
                    [](const Bad& a, const Bad& b) { return a.err > b.err; });
  out->worst.clear();
  for (std::size_t i = 0; i < k; ++i) {
    ValidationPoint v;
    std::uint32_t row = index.point_rows(bad[i].p).first[0];
    v.where = index.table().where(row);
    v.key = point_key_text(index, bad[i].p);
    v.measured_ms = index.point_latency(bad[i].p);
    v.predicted_ms = bad[i].pred;
    v.error_pct = bad[i].err;
    v.frontier = index.point_frontier(bad[i].p);
    out->worst.push_back(v);
  }
}

}  // namespace aiconf::perfdb
