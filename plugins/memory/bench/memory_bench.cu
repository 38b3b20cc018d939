// aiconf_bench_memory: achieved memory bandwidth of the memory plugin's mock layers (loaded
// through the plugin, as aiconf-collect does) at large shapes, against this GPU's own copy
// bandwidth measured first: 2 x 1 GiB / time of an SM copy kernel (16-byte vectors, 4 loads in
// flight per thread; a cudaMemcpyAsync node reads about a third lower on an H200). Bytes per
// case come from the operation's speed-of-light (memory_op_cost), so the fraction is the one the
// perf database's speed-of-light assumes. Each case is self-checked first (CPU reference),
// then its forward is captured in a CUDA graph and replayed; median of 20 replays, inputs far
// larger than L2. Target: >= 70% of the copy bandwidth at these sizes.
// usage: aiconf_bench_memory [--no-check] [tokens hidden]   Exit 77 without a GPU, 1 on a failed check.
#include <aiconf/loader.h>
#include <aiconf/registry.h>
#include <aiconf_plugins/bench_util.h>

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace aiconf;
namespace bench = aiconf::plugins::bench;

namespace {

// dst = src, 16-byte vectors, kUnroll loads in flight per thread before the stores.
constexpr int kUnroll = 4;
__global__ void copy_kernel(const uint4* __restrict__ src, uint4* __restrict__ dst, std::size_t n) {
  const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
  for (std::size_t base = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; base < n; base += stride * kUnroll) {
    uint4 v[kUnroll];
#pragma unroll
    for (int k = 0; k < kUnroll; ++k)
      if (base + k * stride < n) v[k] = src[base + k * stride];
#pragma unroll
    for (int k = 0; k < kUnroll; ++k)
      if (base + k * stride < n) dst[base + k * stride] = v[k];
  }
}

// Median ms of 20 replays of `enqueue` captured once in a graph.
template <class F>
double time_graph(cudaStream_t stream, F&& enqueue) {
  for (int i = 0; i < 3; ++i) enqueue();
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  AICONF_GPU_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  enqueue();
  AICONF_GPU_CHECK(cudaStreamEndCapture(stream, &graph));
  AICONF_GPU_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  AICONF_GPU_CHECK(cudaGraphLaunch(exec, stream));
  const double ms = bench::median_ms(stream, 20, [&] { AICONF_GPU_CHECK(cudaGraphLaunch(exec, stream)); });
  AICONF_GPU_CHECK(cudaGraphExecDestroy(exec));
  AICONF_GPU_CHECK(cudaGraphDestroy(graph));
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  aiconf::plugins::exit_if_no_gpu();
  bool check = true;
  std::int64_t tokens = 16384, hidden = 8192;
  std::vector<std::string> pos;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--no-check") == 0) check = false;
    else pos.push_back(argv[i]);
  }
  if (pos.size() == 2) tokens = std::stoll(pos[0]), hidden = std::stoll(pos[1]);
  cudaDeviceProp prop{};
  AICONF_GPU_CHECK(cudaGetDeviceProperties(&prop, 0));
  cudaStream_t stream;
  AICONF_GPU_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));

  // This GPU's copy bandwidth: read + write of 1 GiB.
  const std::size_t copy_bytes = std::size_t(1) << 30;
  void *src = nullptr, *dst = nullptr;
  AICONF_GPU_CHECK(cudaMalloc(&src, copy_bytes));
  AICONF_GPU_CHECK(cudaMalloc(&dst, copy_bytes));
  AICONF_GPU_CHECK(cudaMemsetAsync(src, 1, copy_bytes, stream));
  const std::size_t vecs = copy_bytes / 16;
  const unsigned copy_grid = static_cast<unsigned>((vecs + 256 * kUnroll - 1) / (256 * kUnroll));
  const double copy_ms = time_graph(stream, [&] {
    copy_kernel<<<copy_grid, 256, 0, stream>>>(static_cast<const uint4*>(src), static_cast<uint4*>(dst), vecs);
    AICONF_GPU_CHECK(cudaGetLastError());
  });
  const double copy_tbps = 2.0 * copy_bytes / (copy_ms * 1e-3) / 1e12;
  AICONF_GPU_CHECK(cudaFree(src));
  AICONF_GPU_CHECK(cudaFree(dst));
  std::printf("device: %s; SM copy kernel %.3f TB/s (2 x 1 GiB in %.3f ms); shape num_tokens=%lld hidden_size=%lld\n", prop.name,
              copy_tbps, copy_ms, static_cast<long long>(tokens), static_cast<long long>(hidden));

  Registry reg;
  LoadOptions lo;
  lo.use_environment = false;
  lo.plugin_dirs = {AICONF_BUILD_PLUGIN_DIR};
  if (auto s = load_plugins(lo, &reg); !s) {
    std::printf("FAIL: %s\n", s.message().c_str());
    return 1;
  }
  struct Case {
    const char* op;
    const char* dtype;
  };
  int failures = 0;
  std::printf("%-15s %-9s %12s %10s %9s %9s  %s\n", "op", "dtype", "MB moved", "ms", "TB/s", "of copy", "check");
  for (const Case& c : {Case{"embedding", "bfloat16"}, Case{"rms_norm", "bfloat16"}, Case{"activation", "bfloat16"},
                        Case{"quantize", "fp8"}, Case{"kv_cache_write", "bfloat16"}, Case{"kv_cache_write", "fp8"},
                        Case{"elementwise", "bfloat16"}}) {
    auto op = reg.operations.find(c.op);
    auto factory = reg.mock_layers.find(c.op);
    if (op == reg.operations.end() || factory == reg.mock_layers.end()) {
      std::printf("FAIL %s: the memory plugin (with its CUDA mock layers) is not loaded from %s\n", c.op, AICONF_BUILD_PLUGIN_DIR);
      return 1;
    }
    const Params key{{"num_tokens", tokens}, {"hidden_size", hidden}, {"dtype", std::string(c.dtype)}};
    SolCost cost;
    if (auto s = op->second.object->speed_of_light(key, &cost); !s) {
      std::printf("FAIL %s: speed_of_light: %s\n", c.op, s.message().c_str());
      return 1;
    }
    MockLayer* layer = nullptr;
    if (auto s = factory->second.object->create(&layer); !s) {
      std::printf("FAIL %s: create: %s\n", c.op, s.message().c_str());
      return 1;
    }
    std::string verdict = "not checked";
    Status s = layer->setup(key, stream);
    if (s && check) {
      CheckReport report;
      s = layer->check(stream, &report);
      if (s) {
        verdict = report.passed ? "ok" : "FAILED: " + report.details;
        if (!report.passed) ++failures;
      }
    }
    if (!s) {
      std::printf("FAIL %s %s: %s\n", c.op, c.dtype, s.message().c_str());
      ++failures;
      layer->release();
      continue;
    }
    const double ms = time_graph(stream, [&] {
      if (auto r = layer->run(stream); !r) {
        std::fprintf(stderr, "run: %s\n", r.message().c_str());
        std::exit(1);
      }
    });
    const double tbps = cost.bytes / (ms * 1e-3) / 1e12;
    std::printf("%-15s %-9s %12.1f %10.4f %9.3f %8.1f%%  %s\n", c.op, c.dtype, cost.bytes / 1e6, ms, tbps, 100 * tbps / copy_tbps,
                verdict.c_str());
    layer->teardown();
    layer->release();
  }
  AICONF_GPU_CHECK(cudaStreamDestroy(stream));
  return failures ? 1 : 0;
}
