#pragma once
// The stopping rule of a timed case, shared by the CUDA and CPU timers: take samples until the
// relative spread (p75 - p25) / median falls below a threshold (after a minimum count), or a
// sample cap or a time cap is reached. The reported latency is the median.

#include <aiconf/status.h>

#include <functional>
#include <vector>

namespace aiconf::collect {

/// How long to keep sampling one case.
struct SamplingOptions {
  int warmup = 3;               ///< untimed runs before sampling
  int min_samples = 5;
  int max_samples = 50;
  double max_spread = 0.02;     ///< (p75 - p25) / median to stop early
  double max_case_seconds = 3;  ///< wall-clock cap of the sampling loop of one case
};

/// Result of one sampling loop.
struct SampleSummary {
  double median_ms = 0;
  double spread = 0;   ///< (p75 - p25) / median
  int samples = 0;
  bool stable = false; ///< spread below the threshold when it stopped
};

/// Linear-interpolated quantile (q in [0, 1]) of unsorted values; 0 for none.
double quantile(std::vector<double> v, double q);
/// Median and spread of samples.
SampleSummary summarize(const std::vector<double>& samples_ms, double max_spread);

/// Calls `one_sample` (which returns a status and fills one latency in ms) until the rule stops.
/// An error from a sample ends the loop with that error.
Status sample_until_stable(const SamplingOptions& opt, const std::function<Status(double*)>& one_sample,
                           SampleSummary* out);

}  // namespace aiconf::collect
