// The CUDA timing backend. Per case: setup -> warm-up -> capture run() in a CUDA graph (eager when
// capture fails) -> samples timed with CUDA events, each after an L2 flush (and an input rotation
// when the layer has several input sets) -> SM clock check, one re-measurement when throttled ->
// teardown. The whole case sits in an NVTX range named after it (NVBench's model: cold-L2 timing,
// throttle detection, a reason instead of an abort).
#include "timing_backend.h"

#include "l2_flush.h"
#include "nvml_clocks.h"
#include "shard.h"

#include <cuda_runtime.h>
#include <nvtx3/nvToolsExt.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

namespace aiconf::collect {

namespace {

std::string cuda_text(cudaError_t e) { return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e); }

std::string version_text(int v) { return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10); }

struct NvtxRange {
  explicit NvtxRange(const std::string& name) { nvtxRangePushA(name.c_str()); }
  ~NvtxRange() { nvtxRangePop(); }
};

// Up to this many graphs, one per input set, so graph replays rotate inputs too (a graph bakes in
// the buffer pointers it was captured with).
constexpr int kMaxGraphRing = 4;

class CudaBackend final : public TimingBackend {
public:
  Status init(int ordinal) {
    int count = 0;
    if (cudaError_t e = cudaGetDeviceCount(&count); e != cudaSuccess)
      return Status::error("no usable CUDA device (" + cuda_text(e) + ")");
    if (ordinal < 0) {
      const int local = local_rank_from_environment();
      ordinal = local >= 0 && count > 0 ? local % count : 0;
    }
    if (ordinal < 0 || ordinal >= count)
      return Status::error("CUDA device " + std::to_string(ordinal) + " requested, " + std::to_string(count) + " visible");
    device_ = ordinal;
    if (cudaError_t e = cudaSetDevice(ordinal); e != cudaSuccess) return Status::error("cudaSetDevice: " + cuda_text(e));
    if (cudaError_t e = cudaFree(nullptr); e != cudaSuccess) return Status::error("CUDA context: " + cuda_text(e));
    cudaDeviceProp prop{};
    cudaGetDeviceProperties(&prop, ordinal);
    info_.name = prop.name;
    info_.memory_bytes = static_cast<long long>(prop.totalGlobalMem);
    int v = 0;
    cudaDeviceGetAttribute(&v, cudaDevAttrClockRate, ordinal);
    info_.sm_clock_max_mhz = v / 1000.0;
    cudaDeviceGetAttribute(&v, cudaDevAttrMemoryClockRate, ordinal);
    info_.memory_clock_mhz = v / 1000.0;
    cudaDeviceGetAttribute(&v, cudaDevAttrL2CacheSize, ordinal);
    info_.l2_bytes = v;
    cudaDeviceGetAttribute(&v, cudaDevAttrMultiProcessorCount, ordinal);
    info_.sm_count = v;
    cudaRuntimeGetVersion(&v);
    info_.cuda_runtime_version = version_text(v);
    cudaDriverGetVersion(&v);
    info_.cuda_driver_version = version_text(v);
    char bus[32] = {};
    cudaDeviceGetPCIBusId(bus, sizeof bus, ordinal);
    info_.pci_bus_id = bus;

    nvml_ = std::make_unique<NvmlClocks>(info_.pci_bus_id);
    info_.driver_version = nvml_->driver_version();
    if (info_.driver_version.empty()) info_.driver_version = "cuda " + info_.cuda_driver_version;
    if (nvml_->available()) {
      info_.clock_source = "nvml";
      if (info_.sm_clock_max_mhz <= 0) info_.sm_clock_max_mhz = nvml_->max_sm_clock_mhz();
    } else {
      info_.clock_source = "none (" + nvml_->why_unavailable() + "): throttling is not detected";
    }

    if (cudaError_t e = cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking); e != cudaSuccess)
      return Status::error("cudaStreamCreate: " + cuda_text(e));
    cudaEventCreate(&start_);
    cudaEventCreate(&stop_);
    // Twice the L2 so one pass over it evicts everything a previous sample left there; one more
    // word at the end is the read flush's sink. Filled once so the read flush has data to read.
    flush_bytes_ = static_cast<std::size_t>(std::max<long long>(info_.l2_bytes, 1 << 20)) * 2;
    if (cudaError_t e = cudaMalloc(&flush_, flush_bytes_ + 16); e != cudaSuccess)
      return Status::error("cudaMalloc of the L2 flush buffer (" + std::to_string(flush_bytes_) + " B): " + cuda_text(e));
    if (cudaError_t e = cudaMemset(flush_, 0x5a, flush_bytes_ + 16); e != cudaSuccess)
      return Status::error("cudaMemset of the L2 flush buffer: " + cuda_text(e));
    return Status::ok();
  }

  ~CudaBackend() override {
    if (flush_) cudaFree(flush_);
    if (start_) cudaEventDestroy(start_);
    if (stop_) cudaEventDestroy(stop_);
    if (stream_) cudaStreamDestroy(stream_);
  }

  const DeviceInfo& device() const override { return info_; }

  bool measure(MockLayer& layer, const Params& shape, const std::string& label, const TimingOptions& opt,
               Measurement* out, CaseFailure* failure) override {
    NvtxRange range(label);
    cudaGetLastError();  // a stale non-sticky error must not be blamed on this case
    if (Status s = layer.setup(shape, stream_); !s) return fail(layer, "setup: " + s.message(), failure);
    if (cudaError_t e = cudaStreamSynchronize(stream_); e != cudaSuccess)
      return fail(layer, "setup: " + cuda_text(e), failure);

    for (int i = 0; i < std::max(opt.sampling.warmup, 1); ++i)
      if (Status s = layer.run(stream_); !s) return fail(layer, "warm-up run: " + s.message(), failure);
    if (cudaError_t e = cudaStreamSynchronize(stream_); e != cudaSuccess)
      return fail(layer, "warm-up run: " + cuda_text(e), failure);

    std::vector<cudaGraphExec_t> graphs;
    if (!opt.force_eager) capture_ring(layer, &graphs);
    if (graphs.empty() && device_broken()) return fail(layer, "graph capture broke the device", failure);

    Measurement m;
    std::string error;
    bool ok = sample(layer, graphs, opt, &m, &error);
    if (ok && m.throttled) {
      // One re-measurement after a short pause: a transient clock drop (a neighbour's burst, a
      // power-cap excursion) should not be written as the kernel's speed.
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      ok = sample(layer, graphs, opt, &m, &error);
    }
    for (auto g : graphs) cudaGraphExecDestroy(g);
    if (!ok) return fail(layer, error, failure);
    m.timing = graphs.empty() ? "eager" : "graph";
    m.kernel_source = layer.kernel_source();
    layer.teardown();
    if (cudaError_t e = cudaDeviceSynchronize(); e != cudaSuccess) {
      failure->reason = "teardown: " + cuda_text(e);
      failure->device_lost = device_broken();
      return false;
    }
    *out = m;
    return true;
  }

private:
  // Sticky errors (illegal address, launch failure...) come back from every later call: such a
  // device can time nothing more in this process.
  bool device_broken() {
    cudaGetLastError();
    return cudaDeviceSynchronize() != cudaSuccess;
  }

  bool fail(MockLayer& layer, std::string reason, CaseFailure* failure) {
    layer.teardown();
    failure->reason = std::move(reason);
    failure->device_lost = device_broken();
    if (failure->device_lost) failure->reason += " (the CUDA context is broken: sticky error)";
    return false;
  }

  // Captures run() into graphs, one per input set (up to kMaxGraphRing). Leaves `graphs` empty when
  // the layer cannot be captured (eager timing then).
  void capture_ring(MockLayer& layer, std::vector<cudaGraphExec_t>* graphs) {
    for (int i = 0; i < kMaxGraphRing; ++i) {
      if (i > 0 && !layer.rotate_inputs()) break;
      cudaGraphExec_t exec = capture_one(layer);
      if (!exec) {
        for (auto g : *graphs) cudaGraphExecDestroy(g);
        graphs->clear();
        return;
      }
      graphs->push_back(exec);
    }
  }

  cudaGraphExec_t capture_one(MockLayer& layer) {
    if (cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
      cudaGetLastError();
      return nullptr;
    }
    Status s = layer.run(stream_);
    cudaGraph_t graph = nullptr;
    cudaError_t e = cudaStreamEndCapture(stream_, &graph);
    cudaGetLastError();  // capture-invalidated errors are expected here; eager timing follows
    cudaGraphExec_t exec = nullptr;
    if (s && e == cudaSuccess && graph && cudaGraphInstantiate(&exec, graph, 0) != cudaSuccess) exec = nullptr;
    if (graph) cudaGraphDestroy(graph);
    // One trial replay: a graph that instantiates but cannot run is no better than none.
    if (exec && (cudaGraphLaunch(exec, stream_) != cudaSuccess || cudaStreamSynchronize(stream_) != cudaSuccess)) {
      cudaGraphExecDestroy(exec);
      exec = nullptr;
    }
    cudaGetLastError();
    return exec;
  }

  double current_clock() const { return nvml_ && nvml_->available() ? nvml_->sm_clock_mhz() : 0; }

  bool sample(MockLayer& layer, const std::vector<cudaGraphExec_t>& graphs, const TimingOptions& opt, Measurement* m,
              std::string* error) {
    const double clock_before = current_clock();
    std::size_t k = 0;
    SampleSummary sum;
    Status s = sample_until_stable(opt.sampling, [&](double* ms) -> Status {
      if (opt.flush == L2Flush::memset) {
        cudaMemsetAsync(flush_, static_cast<int>(k & 0xff), flush_bytes_, stream_);
      } else if (opt.flush == L2Flush::read) {
        if (cudaError_t e = enqueue_read_flush(flush_, flush_bytes_, reinterpret_cast<unsigned*>(static_cast<char*>(flush_) + flush_bytes_), stream_);
            e != cudaSuccess)
          return Status::error("L2 read flush: " + cuda_text(e));
      }
      // The flush also keeps the GPU busy while the CPU enqueues the timed launch, so host-side
      // launch cost stays out of the measured interval.
      cudaEventRecord(start_, stream_);
      if (!graphs.empty()) {
        if (cudaError_t e = cudaGraphLaunch(graphs[k % graphs.size()], stream_); e != cudaSuccess)
          return Status::error("graph replay: " + cuda_text(e));
      } else {
        if (k > 0) layer.rotate_inputs();
        if (Status r = layer.run(stream_); !r) return Status::error("run: " + r.message());
      }
      cudaEventRecord(stop_, stream_);
      ++k;
      if (cudaError_t e = cudaEventSynchronize(stop_); e != cudaSuccess) return Status::error("run: " + cuda_text(e));
      float f = 0;
      cudaEventElapsedTime(&f, start_, stop_);
      *ms = f;
      return Status::ok();
    }, &sum);
    if (!s) {
      *error = s.message();
      return false;
    }
    const double clock_after = current_clock();
    m->latency_ms = sum.median_ms;
    m->spread = sum.spread;
    m->samples = sum.samples;
    double low = 0;
    if (clock_before > 0 && clock_after > 0) low = std::min(clock_before, clock_after);
    m->sm_clock_mhz = low;
    m->throttled = low > 0 && info_.sm_clock_max_mhz > 0 && low < opt.throttle_ratio * info_.sm_clock_max_mhz &&
                   nvml_->clock_reasons() != NvmlClocks::Reasons::benign;
    return true;
  }

  int device_ = 0;
  DeviceInfo info_;
  std::unique_ptr<NvmlClocks> nvml_;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
  void* flush_ = nullptr;
  std::size_t flush_bytes_ = 0;
};

}  // namespace

bool cuda_backend_available() { return true; }

Status make_cuda_backend(int device_ordinal, std::unique_ptr<TimingBackend>* out) {
  auto b = std::make_unique<CudaBackend>();
  if (Status s = b->init(device_ordinal); !s) return s;
  *out = std::move(b);
  return Status::ok();
}

}  // namespace aiconf::collect
