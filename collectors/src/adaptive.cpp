#include "adaptive.h"

#include "csv_line.h"
#include "sweep_lines.h"

#include <aiconf/perf_database.h>
#include <aiconf/version.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <sstream>

namespace aiconf::collect {
namespace fs = std::filesystem;

namespace {

// The case's categorical group (its values on the categorical key columns).
std::string group_of(const TablePlan& plan, std::size_t i, const std::vector<std::size_t>& cats) {
  std::vector<std::string> v;
  for (auto c : cats) v.push_back(plan.keys[i][c]);
  return join_key(v);
}

double num(const std::string& s) { return std::strtod(s.c_str(), nullptr); }

// Leave-one-out error (percent) of every measured key, through the perf database's validation.
Status loo_errors(const TableRun& run, const ScoringSol* sol, std::map<std::string, double>* err, ValidationReport* report) {
  const fs::path dir(run.directory());
  const std::string root = dir.parent_path().parent_path().parent_path().string();
  const std::string system = dir.parent_path().parent_path().filename().string();
  PerfDatabaseOptions dbo;
  dbo.backend = "aiconf";
  dbo.version = AICONF_VERSION_STRING;
  std::shared_ptr<PerfDatabase> db;
  if (Status s = open_perf_database(root, system, dbo, &db); !s) return s;
  ValidationOptions vo;
  vo.worst = std::numeric_limits<std::size_t>::max();
  const TableSchema& schema = run.plan().op->schema();
  const bool with_sol = sol && sol->op;
  if (with_sol) vo.sol_key = sol->key;
  if (Status s = db->validate(run.plan().table, &schema, with_sol ? sol->op : nullptr, with_sol ? &sol->sys : nullptr, vo, report); !s)
    return s;
  const auto names = run.plan().key_names();
  for (const auto& p : report->worst) {
    // "k=v k2=v2": pick our key columns, in schema order.
    std::map<std::string, std::string> kv;
    std::istringstream in(p.key);
    std::string tok;
    while (in >> tok)
      if (auto eq = tok.find('='); eq != std::string::npos) kv[tok.substr(0, eq)] = tok.substr(eq + 1);
    std::vector<std::string> key;
    for (const auto& n : names) key.push_back(kv.count(n) ? kv[n] : std::string());
    (*err)[join_key(key)] = p.error_pct;
  }
  return Status::ok();
}

std::string pct(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f%%", v);
  return b;
}

}  // namespace

std::vector<std::size_t> coarse_cases(const TablePlan& plan) {
  std::vector<std::size_t> numeric, cats;
  split_axes(plan, &numeric, &cats);
  // Distinct values of each axis within each categorical group, sorted.
  std::map<std::pair<std::string, std::size_t>, std::vector<double>> values;
  for (std::size_t i = 0; i < plan.cases.size(); ++i)
    for (auto a : numeric) values[{group_of(plan, i, cats), a}].push_back(num(plan.keys[i][a]));
  for (auto& [k, v] : values) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  }
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < plan.cases.size(); ++i) {
    bool keep = true;
    for (auto a : numeric) {
      const auto& v = values[{group_of(plan, i, cats), a}];
      auto rank = static_cast<std::size_t>(std::lower_bound(v.begin(), v.end(), num(plan.keys[i][a])) - v.begin());
      keep = keep && (rank % 2 == 0 || rank + 1 == v.size());
    }
    if (keep) out.push_back(i);
  }
  return out;
}

TableRun::Outcome run_adaptive(TableRun& run, const AdaptiveOptions& opt, Progress& progress, std::string* summary) {
  const TablePlan& plan = run.plan();
  const SweepLines lines(plan);

  const auto coarse = coarse_cases(plan);
  std::set<std::size_t> tried(coarse.begin(), coarse.end());
  for (std::size_t i = 0; i < plan.cases.size(); ++i)
    if (run.present(i)) tried.insert(i);
  run.record().cases_planned = plan.cases.size();
  progress.note("adaptive: coarse pass of " + std::to_string(coarse.size()) + " of " + std::to_string(plan.cases.size()) + " cases");
  TableRun::Outcome outcome = run.measure(coarse);

  int rounds = 0;
  std::vector<std::size_t> picked;
  ValidationReport report;
  std::string stop = "no candidate left";
  while (outcome == TableRun::Outcome::done) {
    std::map<std::string, double> err;
    report = ValidationReport{};
    if (Status s = loo_errors(run, opt.sol, &err, &report); !s) {
      stop = "leave-one-out failed: " + s.message();
      break;
    }
    if (report.all.count && report.all.max < opt.target * 100) {
      stop = "worst leave-one-out error " + pct(report.all.max) + " below the target " + pct(opt.target * 100);
      break;
    }
    // Score each untried case by the error of its nearest measured neighbours along one axis: a
    // case between two badly predicted points is where the table lacks resolution.
    std::vector<std::pair<double, std::size_t>> scored;
    for (std::size_t i = 0; i < plan.cases.size(); ++i) {
      if (tried.count(i)) continue;
      double score = 0;
      for (std::size_t a = 0; a < lines.numeric().size(); ++a) {
        const double x = lines.value(a, i);
        double below = -1, above = -1, xb = -std::numeric_limits<double>::infinity(), xa = std::numeric_limits<double>::infinity();
        for (std::size_t j : lines.line(a, i)) {
          if (!run.present(j)) continue;
          const double y = lines.value(a, j);
          auto e = err.find(join_key(plan.keys[j]));
          const double ej = e == err.end() ? 0 : e->second;
          if (y < x && y > xb) xb = y, below = ej;
          if (y > x && y < xa) xa = y, above = ej;
        }
        // Between two measured points: interpolation; beyond the last: extrapolation, half weight.
        double s = below >= 0 && above >= 0 ? std::max(below, above) : 0.5 * std::max(below, above);
        score = std::max(score, s);
      }
      if (score >= opt.target * 100) scored.emplace_back(score, i);
    }
    if (scored.empty()) {
      stop = "no untried case next to a point above the target error";
      break;
    }
    std::sort(scored.rbegin(), scored.rend());
    // The best-scored cases, each with its closure (SweepLines::closure): the coarse plane of every
    // axis value it brings new to its group, and the open ends of the lines it and those cases
    // start or extend, so a round never leaves a partial line or plane behind for the estimator to
    // extrapolate. They count in the round's size; a case already taken this round costs one.
    std::vector<std::size_t> pick;
    const auto have = [&](std::size_t c) { return tried.count(c) > 0; };
    for (std::size_t k = 0; k < scored.size() && static_cast<int>(pick.size()) < opt.per_round; ++k) {
      const std::size_t i = scored[k].second;
      if (tried.count(i)) continue;  // an end taken earlier this round
      const auto more = lines.closure({i}, have);
      // A case whose closure does not fit in what is left of the round waits (it may fit a later
      // one); the round's first case is taken whole, so a round exceeds N only when one case's
      // closure alone does (a new value on an axis brings a whole coarse plane).
      if (!pick.empty() && pick.size() + 1 + more.size() > static_cast<std::size_t>(opt.per_round)) continue;
      tried.insert(i);
      pick.push_back(i);
      for (auto e : more) {
        tried.insert(e);
        pick.push_back(e);
      }
    }
    std::sort(pick.begin(), pick.end());
    picked.insert(picked.end(), pick.begin(), pick.end());
    ++rounds;
    progress.note("adaptive round " + std::to_string(rounds) + ": worst leave-one-out " + pct(report.all.max) + ", adding " +
                  std::to_string(pick.size()) + " cases");
    outcome = run.measure(pick);
  }
  if (outcome == TableRun::Outcome::budget) stop = "budget reached";
  // Cases the rounds added that are in the table (a round cut by the budget measured only part).
  std::size_t added = 0;
  for (auto i : picked) added += run.present(i) ? 1 : 0;
  char mins[32];
  std::snprintf(mins, sizeof mins, "%.2f", run.record().gpu_seconds / 60.0);
  *summary = plan.table + ": adaptive: " + std::to_string(coarse.size()) + " coarse + " + std::to_string(added) + " added in " +
             std::to_string(rounds) + " rounds (full sweep " + std::to_string(plan.cases.size()) + " cases); leave-one-out median " +
             pct(report.all.median) + ", p90 " + pct(report.all.p90) + ", max " + pct(report.all.max) + " over " +
             std::to_string(report.all.count) + " points; " + mins + " GPU-minutes; stopped: " + stop;
  return outcome;
}

}  // namespace aiconf::collect
