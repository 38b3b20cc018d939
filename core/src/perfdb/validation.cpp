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

namespace {

struct Scored {
  double err;
  std::uint32_t p;  // point of the index whose rows are reported
  double pred;
  bool frontier;
};

// The `opt.worst` largest errors, worst first.
void keep_worst(const GridIndex& index, std::vector<Scored>& scored, const ValidationOptions& opt, ValidationReport* out) {
  std::size_t k = std::min(opt.worst, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(k), scored.end(),
                    [](const Scored& a, const Scored& b) { return a.err > b.err; });
  out->worst.clear();
  for (std::size_t i = 0; i < k; ++i) {
    ValidationPoint v;
    v.where = index.table().where(index.point_rows(scored[i].p).first[0]);
    v.key = point_key_text(index, scored[i].p);
    v.measured_ms = index.point_latency(scored[i].p);
    v.predicted_ms = scored[i].pred;
    v.error_pct = scored[i].err;
    v.frontier = scored[i].frontier;
    out->worst.push_back(v);
  }
}

}  // namespace

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
  std::vector<Scored> scored;
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
    scored.push_back({err, p, r.ms, index.point_frontier(p)});
  }
  out->all = error_stats(all);
  out->interior = error_stats(interior);
  out->frontier = error_stats(frontier);
  keep_worst(index, scored, opt, out);
}

void holdout(const GridIndex& train, const GridIndex& test, const GroupSolFactory& sol, const ValidationOptions& opt,
             ValidationReport* out) {
  const std::size_t ncat = test.categories().size();
  // Category codes of the test table translated to the training table's codes (by raw text).
  std::vector<std::vector<int>> to_train(ncat);
  for (std::size_t c = 0; c < ncat; ++c) {
    const auto& tcol = test.table().columns[static_cast<std::size_t>(test.categories()[c].column)];
    const auto& rcol = train.table().columns[static_cast<std::size_t>(train.categories()[c].column)];
    for (const auto& text : tcol.text) to_train[c].push_back(rcol.find(text));
  }
  out->points = test.points();
  out->groups = test.groups();
  out->evaluated = out->unpredictable = out->shared = 0;
  std::vector<double> all, interior, frontier;
  std::vector<Scored> scored;
  std::vector<std::uint32_t> codes(ncat);
  int sol_group = -1;
  std::unique_ptr<SolFunction> group_sol;
  EvalResult r;
  for (std::uint32_t p = 0; p < test.points(); ++p) {
    const std::uint32_t* tc = test.group_codes(test.point_group(p));
    int g = 0;
    for (std::size_t c = 0; c < ncat && g >= 0; ++c) {
      int code = to_train[c][tc[c]];
      if (code < 0) g = -1;
      else codes[c] = static_cast<std::uint32_t>(code);
    }
    if (g >= 0) g = train.find_group(codes.data());
    if (g >= 0 && sol && g != sol_group) {
      group_sol = sol(g);
      sol_group = g;
    }
    if (g >= 0) train.evaluate(g, test.point_raw(p), sol ? group_sol.get() : nullptr, -1, &r);
    if (g < 0 || !r.found) {
      ++out->unpredictable;
      continue;
    }
    if (r.exact) {
      ++out->shared;
      continue;
    }
    ++out->evaluated;
    double meas = test.point_latency(p);
    double err = std::abs(r.ms - meas) / meas * 100.0;
    bool extrapolated = r.extrapolated_axes != 0;
    all.push_back(err);
    (extrapolated ? frontier : interior).push_back(err);
    scored.push_back({err, p, r.ms, extrapolated});
  }
  out->all = error_stats(all);
  out->interior = error_stats(interior);
  out->frontier = error_stats(frontier);
  keep_worst(test, scored, opt, out);
}

}  // namespace aiconf::perfdb
