// Request-level breakdowns (ops summed over the steps of a request), quality warnings, mode names.
#include "estimator/estimator_impl.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace aiconf {

const char* to_string(ServingMode m) noexcept {
  switch (m) {
    case ServingMode::static_batch: return "static";
    case ServingMode::agg: return "agg";
    case ServingMode::disagg: return "disagg";
  }
  return "unknown";
}

Status parse_serving_mode(const std::string& s, ServingMode* out) {
  for (ServingMode m : {ServingMode::static_batch, ServingMode::agg, ServingMode::disagg})
    if (s == to_string(m)) {
      *out = m;
      return Status::ok();
    }
  return Status::error("serving mode '" + s + "' is not known (expected static, agg or disagg)");
}

void accumulate(std::vector<OpCost>* into, const StepCost& step, double weight) {
  for (const OpCost& oc : step.ops) {
    // One entry per (label, op): the same label in the context and generation steps is one line of
    // the request's breakdown, so "layer.attn" shows its whole share of the request.
    auto it = std::find_if(into->begin(), into->end(), [&](const OpCost& x) { return x.label == oc.label && x.op == oc.op; });
    if (it == into->end()) {
      OpCost c = oc;
      c.ms = oc.ms * weight;
      c.count = oc.count * weight;
      into->push_back(std::move(c));
    } else {
      it->ms += oc.ms * weight;
      it->count += oc.count * weight;
      // The entry's provenance is the worst of the answers it sums.
      if (!oc.missing && oc.ms > 0 && oc.provenance > it->provenance) {
        it->provenance = oc.provenance;
        it->table = oc.table;
        it->note = oc.note;
      }
      it->missing = it->missing || oc.missing;
    }
  }
}

double finish_breakdown(std::vector<OpCost>* ops, ProvenanceTally* tally) {
  double total = 0;
  for (const auto& o : *ops) total += o.ms;
  for (auto& o : *ops) {
    o.share = total > 0 ? o.ms / total : 0;
    o.latency_ms = o.count > 0 ? o.ms / o.count : 0;
    if (!o.missing) (*tally)[static_cast<int>(o.provenance)] += o.ms;
  }
  std::stable_sort(ops->begin(), ops->end(), [](const OpCost& a, const OpCost& b) { return a.ms > b.ms; });
  return total;
}

void add_quality_warnings(const RuntimeConfig& rt, Estimate* e) {
  std::vector<std::string> missing;
  for (const auto& s : e->steps)
    for (const auto& m : s.missing_ops)
      if (std::find(missing.begin(), missing.end(), m) == missing.end()) missing.push_back(m);
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    e->warnings.push_back("operations no loaded plugin provides were counted as 0 ms: " + list +
                          " (the figures are optimistic; load the plugin or pass strict mode to fail)");
  }
  double total = 0;
  for (double v : e->by_provenance) total += v;
  if (total <= 0) return;
  const double sol = e->by_provenance[static_cast<int>(Provenance::speed_of_light)];
  const double emp = e->by_provenance[static_cast<int>(Provenance::empirical)];
  const double extra = e->by_provenance[static_cast<int>(Provenance::extrapolated)];
  auto pct = [&](double v) { return std::to_string(static_cast<int>(std::lround(100 * v / total))) + "%"; };
  if (sol + emp > rt.warn_unmeasured_share * total) {
    std::string worst;
    int n = 0;
    for (const auto& o : e->request_breakdown) {
      if (o.missing || (o.provenance != Provenance::speed_of_light && o.provenance != Provenance::empirical)) continue;
      worst += (worst.empty() ? "" : ", ") + o.label + " (" + pct(o.ms) + ")";
      if (++n == 4) break;
    }
    e->warnings.push_back(pct(sol + emp) + " of the request time comes from speed-of-light (" + pct(sol) +
                          ") or empirical (" + pct(emp) + ") answers, not measurements; largest: " + worst +
                          ". Treat the figures as a floor-based guess; collect the tables to firm them up.");
  }
  if (extra > rt.warn_unmeasured_share * total)
    e->warnings.push_back(pct(extra) + " of the request time is extrapolated beyond the measured ranges");
}

Status Estimator::estimate(ServingMode mode, const ParallelConfig& par, const RuntimeConfig& rt, Estimate* out) const {
  switch (mode) {
    case ServingMode::static_batch: return estimate_static(par, rt, out);
    case ServingMode::agg: return estimate_agg(par, rt, out);
    case ServingMode::disagg: return estimate_disagg(par, par, rt, 0, out);
  }
  return Status::error("unknown serving mode");
}

}  // namespace aiconf
