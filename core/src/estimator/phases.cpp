// The two phases every mode is made of: a prompt through a stage (chunked or not) and the mean
// generation step over the output length.
#include "estimator/estimator_impl.h"

#include <algorithm>
#include <cmath>

namespace aiconf {

double generation_steps(const RuntimeConfig& rt) {
  return rt.osl <= 1 ? 0.0 : std::ceil(double(rt.osl - 1) / tokens_per_step(rt));
}

Status context_stage(const Estimator& e, const ParallelConfig& par, const RuntimeConfig& rt, std::int64_t batch,
                     std::int64_t chunk, double* ms, StepCost* detail) {
  if (chunk <= 0 || chunk >= rt.isl) {
    StepShape s{Phase::context, batch, rt.isl, 0};
    if (detail) {
      Status st = e.step(par, s, rt, detail);
      if (!st) return st;
      detail->name = "context";
      *ms = detail->ms;
      return Status::ok();
    }
    return e.step_ms(par, s, rt, ms);
  }
  const std::int64_t n = (rt.isl + chunk - 1) / chunk;
  // Attention cost grows with the past, so chunks are sampled evenly over the prompt when there are
  // many; the sum is scaled back to all n chunks.
  const std::int64_t samples = std::min<std::int64_t>(n, 8);
  double total = 0;
  StepCost sum;
  for (std::int64_t i = 0; i < samples; ++i) {
    const std::int64_t j = samples == n ? i : (i * n + n / 2) / samples;
    const std::int64_t past = j * chunk;
    StepShape s{Phase::context, batch, std::min(chunk, rt.isl - past), past};
    double t = 0;
    if (detail) {
      StepCost sc;
      Status st = e.step(par, s, rt, &sc);
      if (!st) return st;
      t = sc.ms;
      if (i == 0) sum = sc, sum.ms = 0, sum.ops.clear(), sum.by_provenance = {};
      accumulate(&sum.ops, sc, double(n) / samples);
      for (const auto& m : sc.missing_ops)
        if (std::find(sum.missing_ops.begin(), sum.missing_ops.end(), m) == sum.missing_ops.end()) sum.missing_ops.push_back(m);
      if (sc.worst > sum.worst) sum.worst = sc.worst;
    } else {
      Status st = e.step_ms(par, s, rt, &t);
      if (!st) return st;
    }
    total += t;
  }
  *ms = total * double(n) / samples;
  if (detail) {
    sum.name = "context (" + std::to_string(n) + " chunks of " + std::to_string(chunk) + ")";
    sum.ms = *ms;
    for (auto& o : sum.ops) {
      o.share = *ms > 0 ? o.ms / *ms : 0;
      if (!o.missing) sum.by_provenance[static_cast<int>(o.provenance)] += o.ms;
    }
    *detail = std::move(sum);
  }
  return Status::ok();
}

Status generation_stage(const Estimator& e, const ParallelConfig& par, const RuntimeConfig& rt, std::int64_t batch,
                        double* mean_ms, StepCost* detail) {
  const int n = rt.gen_samples;
  const std::int64_t new_tokens = 1 + rt.mtp_tokens;
  double total = 0;
  for (int i = 0; i < n; ++i) {
    const std::int64_t past = rt.isl + static_cast<std::int64_t>(std::llround((i + 0.5) / n * double(std::max<std::int64_t>(rt.osl - 1, 0))));
    StepShape s{Phase::generation, batch, new_tokens, past};
    double t = 0;
    Status st = e.step_ms(par, s, rt, &t);
    if (!st) return st;
    total += t;
  }
  *mean_ms = total / n;
  if (detail) {
    StepShape mid{Phase::generation, batch, new_tokens, rt.isl + std::max<std::int64_t>(rt.osl - 1, 0) / 2};
    Status st = e.step(par, mid, rt, detail);
    if (!st) return st;
    detail->name = "generation (past " + std::to_string(mid.past_tokens) + ", mean over " + std::to_string(n) +
                   " past lengths " + std::to_string(*mean_ms).substr(0, 8) + " ms)";
  }
  return Status::ok();
}

}  // namespace aiconf
