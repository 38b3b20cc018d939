// The CPU timing backend: "cpu:" layers get a CpuStream and are timed with a steady clock (or by
// the simulated time they report, for deterministic fixtures).
#include "timing_backend.h"

#include <aiconf_collect/cpu_stream.h>

#include <chrono>

namespace aiconf::collect {

namespace {

class CpuBackend final : public TimingBackend {
public:
  const DeviceInfo& device() const override { return info_; }

  bool measure(MockLayer& layer, const Params& shape, const std::string&, const TimingOptions& opt,
               Measurement* out, CaseFailure* failure) override {
    CpuStream stream;
    if (Status s = layer.setup(shape, &stream); !s) {
      layer.teardown();
      failure->reason = "setup: " + s.message();
      return false;
    }
    auto run_once = [&](double* ms) -> Status {
      stream.simulated_ms = 0;
      const auto t0 = std::chrono::steady_clock::now();
      Status s = layer.run(&stream);
      const auto t1 = std::chrono::steady_clock::now();
      if (!s) return Status::error("run: " + s.message());
      *ms = stream.simulated_ms > 0 ? stream.simulated_ms : std::chrono::duration<double, std::milli>(t1 - t0).count();
      return Status::ok();
    };
    for (int i = 0; i < opt.sampling.warmup; ++i) {
      double ignored = 0;
      if (Status s = run_once(&ignored); !s) {
        layer.teardown();
        failure->reason = "warm-up " + s.message();
        return false;
      }
    }
    SampleSummary sum;
    Status s = sample_until_stable(opt.sampling, [&](double* ms) {
      layer.rotate_inputs();
      return run_once(ms);
    }, &sum);
    out->kernel_source = layer.kernel_source();
    layer.teardown();
    if (!s) {
      failure->reason = s.message();
      return false;
    }
    out->latency_ms = sum.median_ms;
    out->spread = sum.spread;
    out->samples = sum.samples;
    out->timing = "cpu";
    out->throttled = false;
    return true;
  }

private:
  DeviceInfo info_;
};

}  // namespace

std::unique_ptr<TimingBackend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }

}  // namespace aiconf::collect
