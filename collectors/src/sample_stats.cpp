#include "sample_stats.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace aiconf::collect {

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

SampleSummary summarize(const std::vector<double>& s, double max_spread) {
  SampleSummary r;
  r.samples = static_cast<int>(s.size());
  r.median_ms = quantile(s, 0.5);
  r.spread = r.median_ms > 0 ? (quantile(s, 0.75) - quantile(s, 0.25)) / r.median_ms : 0;
  r.stable = r.spread < max_spread;
  return r;
}

Status sample_until_stable(const SamplingOptions& opt, const std::function<Status(double*)>& one_sample,
                           SampleSummary* out) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  std::vector<double> samples;
  const int cap = std::max(opt.max_samples, 1);
  const int floor_count = std::clamp(opt.min_samples, 1, cap);
  for (;;) {
    double ms = 0;
    if (Status s = one_sample(&ms); !s) return s;
    samples.push_back(ms);
    const int n = static_cast<int>(samples.size());
    if (n >= cap) break;
    const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
    if (n >= floor_count && elapsed >= opt.max_case_seconds) break;
    if (n >= floor_count && summarize(samples, opt.max_spread).stable) break;
  }
  *out = summarize(samples, opt.max_spread);
  return Status::ok();
}

}  // namespace aiconf::collect
