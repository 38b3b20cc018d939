// Setup, warm-up, traced passes, and the kernel table of the range.
#include "profile_run.h"

#include "cupti_tracer.h"

#include <cuda_runtime_api.h>
#include <nvtx3/nvToolsExt.h>

#include <algorithm>
#include <memory>

namespace aiconf::profile {

namespace {

Status cuda(cudaError_t e, const std::string& what) {
  if (e == cudaSuccess) return Status::ok();
  return Status::error(what + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")");
}

struct LayerDeleter {
  void operator()(MockLayer* l) const {
    l->teardown();
    l->release();
  }
};
using LayerPtr = std::unique_ptr<MockLayer, LayerDeleter>;

const char* kRangeName = "aiconf-profile";

}  // namespace

Status profile_layers(const Registry& reg, const std::vector<LayerSpec>& specs, const ProfileOptions& opt,
                      const std::string& nvtx_note, ProfileResult* out) {
  ProfileResult res;
  res.nvtx_note = nvtx_note;
  if (Status s = cuda(cudaSetDevice(opt.device), "cudaSetDevice(" + std::to_string(opt.device) + ")"); !s) return s;
  cudaDeviceProp prop{};
  if (Status s = cuda(cudaGetDeviceProperties(&prop, opt.device), "cudaGetDeviceProperties"); !s) return s;
  res.device = prop.name;
  cudaStream_t stream = nullptr;
  if (Status s = cuda(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate"); !s) return s;
  std::unique_ptr<CUstream_st, void (*)(cudaStream_t)> stream_guard(stream, [](cudaStream_t s) { cudaStreamDestroy(s); });

  std::vector<LayerPtr> layers;
  std::string source;
  for (const auto& spec : specs) {
    auto it = reg.mock_layers.find(spec.name);
    if (it == reg.mock_layers.end()) {
      std::string known;
      for (const auto& [n, f] : reg.mock_layers) known += (known.empty() ? "" : ", ") + n;
      return Status::error("mock layer '" + spec.name + "' is not registered by any loaded plugin (registered: " +
                           (known.empty() ? "none: plugins built without CUDA?" : known) + ")");
    }
    MockLayer* raw = nullptr;
    if (Status s = it->second.object->create(&raw); !s) return Status::error(spec.name + ": create: " + s.message());
    layers.emplace_back(raw);
    if (Status s = raw->setup(spec.shape, stream); !s)
      return Status::error(spec.name + " " + spec.shape.str() + ": setup: " + s.message());
    res.layers.push_back({spec.name, spec.shape.str(), raw->kernel_source(), false, {}});
    source += (source.empty() ? "" : " + ") + spec.name + " " + spec.shape.str();
  }
  auto run_all = [&]() -> Status {
    for (std::size_t i = 0; i < layers.size(); ++i)
      if (Status s = layers[i]->run(stream); !s) return Status::error(specs[i].name + ": run: " + s.message());
    return Status::ok();
  };
  for (int i = 0; i < opt.warmup; ++i)
    if (Status s = run_all(); !s) return s;
  if (Status s = cuda(cudaStreamSynchronize(stream), "warm-up"); !s) return s;

  cudaEvent_t ev0, ev1;
  cudaEventCreate(&ev0);
  cudaEventCreate(&ev1);
  if (Status s = cupti_start(); !s) return s;
  nvtxRangePushA(kRangeName);
  cudaEventRecord(ev0, stream);
  for (int it = 0; it < opt.iterations; ++it) {
    for (std::size_t i = 0; i < layers.size(); ++i) {
      nvtxRangePushA(specs[i].name.c_str());
      Status s = layers[i]->run(stream);
      nvtxRangePop();
      if (!s) {
        nvtxRangePop();
        (void)cupti_stop();
        return Status::error(specs[i].name + ": run: " + s.message());
      }
    }
  }
  cudaEventRecord(ev1, stream);
  Status synced = cuda(cudaStreamSynchronize(stream), "traced passes");
  nvtxRangePop();
  Status stopped = cupti_stop();
  if (!synced) return synced;
  if (!stopped) return stopped;
  float event_ms = 0;
  cudaEventElapsedTime(&event_ms, ev0, ev1);
  cudaEventDestroy(ev0);
  cudaEventDestroy(ev1);

  std::vector<KernelLaunch> kernels;
  std::vector<NvtxRange> ranges;
  cupti_take(&kernels, &ranges, &res.dropped);
  std::uint64_t lo = 0, hi = ~std::uint64_t(0);
  for (const auto& r : ranges)
    if (r.name == kRangeName) lo = r.start, hi = r.end;
  KernelTable& t = res.table;
  t.source = source;
  t.format = "aiconf";
  t.iterations = opt.iterations;
  for (const auto& k : kernels) {
    if (k.start < lo || k.end > hi) continue;
    t.add(demangle(k.name), double(k.end - k.start) / 1e3);
  }
  if (lo != 0) {
    // The NVTX range is host time from the push to the pop after the final synchronize, so it
    // holds launch latency too; the events measure first to last GPU work. Report the events and
    // keep the NVTX range as the filter.
    res.range_method = "nvtx range via CUPTI markers (filter), CUDA events (length)";
  } else {
    res.range_method = "bracketed: CUPTI enabled around the passes, CUDA events (length)";
  }
  t.range_us = double(event_ms) * 1e3;
  if (t.rows.empty()) return Status::error("no kernel was recorded in the traced range (" + source + ")");
  t.sort();

  if (opt.check)
    for (std::size_t i = 0; i < layers.size(); ++i) {
      auto& o = res.layers[i];
      o.checked = true;
      if (Status s = layers[i]->check(stream, &o.report); !s) {
        o.report.passed = false;
        o.report.details = "check failed to run: " + s.message();
      }
    }
  *out = std::move(res);
  return Status::ok();
}

}  // namespace aiconf::profile
