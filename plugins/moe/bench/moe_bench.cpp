// aiconf_bench_moe: times the `moe` mock layer (loaded through the plugin, as aiconf-collect does)
// on Qwen3-235B-A22B expert dims (hidden 4096, inter 1536, topk 8, 128 experts) for tokens
// {1, 64, 1024, 8192} x {balanced, power_law_1.01} x {bfloat16, fp8, fp8_block} x moe_ep {1, 8},
// after a self-check of each case against the CPU reference. Timing: the forward captured in a
// CUDA graph, each replay after a 2x-L2 memset (outside the timed interval), median of 20.
// Achieved TFLOP/s counts the expert GEMMs of this rank (6 * hidden * inter_local per local
// assignment, from the same routing plan the layer builds); the ceilings are the measured ones of
// perfdb/systems/h200_sxm.json or h100_sxm.json (by device name). Weight TB/s = bytes of the local
// experts actually hit (gate/up and down, once each) over the time, against the measured copy ceiling.
// --sweep-streams adds a table of moe_streams 1/2/4/8 (how many streams the expert GEMMs use).
// usage: aiconf_bench_moe [--no-check] [--sweep-streams] [--ep N ...]   Exit 77 without a GPU.
#include "mock/moe_routing_plan.h"
#include "mock/moe_shape.h"

#include <aiconf/loader.h>
#include <aiconf/registry.h>
#include <aiconf_plugins/bench_util.h>

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace aiconf;
namespace bench = aiconf::plugins::bench;

namespace {

struct Timing {
  double median_ms = 0;
  bool graph = true;
};

Timing time_layer(MockLayer* layer, cudaStream_t stream, void* flush, std::size_t flush_bytes) {
  Timing tm;
  for (int i = 0; i < 3; ++i)
    if (auto s = layer->run(stream); !s) throw Error("warmup run: " + s.message());
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  AICONF_GPU_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  const Status captured = layer->run(stream);
  AICONF_GPU_CHECK(cudaStreamEndCapture(stream, &graph));
  if (!captured) throw Error("run() during graph capture: " + captured.message());
  AICONF_GPU_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  AICONF_GPU_CHECK(cudaGraphLaunch(exec, stream));  // trial replay
  tm.median_ms = bench::median_ms(stream, 20, [&] { AICONF_GPU_CHECK(cudaGraphLaunch(exec, stream)); }, flush, flush_bytes);
  AICONF_GPU_CHECK(cudaGraphExecDestroy(exec));
  AICONF_GPU_CHECK(cudaGraphDestroy(graph));
  return tm;
}

}  // namespace

int main(int argc, char** argv) {
  aiconf::plugins::exit_if_no_gpu();
  bool check = true, sweep_streams = false;
  std::vector<std::int64_t> eps;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--no-check")) check = false;
    else if (!std::strcmp(argv[i], "--sweep-streams")) sweep_streams = true;
    else if (!std::strcmp(argv[i], "--ep") && i + 1 < argc) eps.push_back(std::stoll(argv[++i]));
    else {
      std::fprintf(stderr, "usage: %s [--no-check] [--sweep-streams] [--ep N ...]\n", argv[0]);
      return 1;
    }
  }
  if (eps.empty()) eps = {1, 8};
  cudaDeviceProp prop{};
  AICONF_GPU_CHECK(cudaGetDeviceProperties(&prop, 0));
  const bench::MeasuredCeilings ceil = bench::measured_ceilings(prop.name);
  std::printf("device: %s, %d SMs, L2 %d MiB; ceilings of %s: bf16 %.1f, fp8 %.1f TFLOP/s, HBM %.2f TB/s\n\n", prop.name,
              prop.multiProcessorCount, prop.l2CacheSize >> 20, ceil.system, ceil.bf16_tflops, ceil.fp8_tflops, ceil.hbm_tbps);

  Registry reg;
  LoadOptions opt;
  opt.use_environment = false;
  opt.use_default_dir = false;
  opt.plugin_dirs = {AICONF_BUILD_PLUGIN_DIR};
  if (auto s = load_plugins(opt, &reg); !s) {
    std::printf("FAIL: %s\n", s.message().c_str());
    return 1;
  }
  auto factory = reg.mock_layers.find("moe");
  if (factory == reg.mock_layers.end()) {
    std::printf("FAIL: no 'moe' mock layer registered (plugin built without CUDA?)\n");
    return 1;
  }
  MockLayer* layer = nullptr;
  if (auto s = factory->second.object->create(&layer); !s) {
    std::printf("FAIL: create: %s\n", s.message().c_str());
    return 1;
  }
  cudaStream_t stream;
  AICONF_GPU_CHECK(cudaStreamCreate(&stream));
  const std::size_t flush_bytes = std::size_t(2) * prop.l2CacheSize;
  void* flush = nullptr;
  AICONF_GPU_CHECK(cudaMalloc(&flush, flush_bytes));

  int failures = 0;
  // One case: setup, self-check, time; prints one table row.
  auto run_case = [&](const char* dtype, const char* dist, std::int64_t ep, std::int64_t tokens, std::int64_t streams,
                      bool do_check) {
    using I = std::int64_t;
    const Params key{{"moe_dtype", std::string(dtype)}, {"num_tokens", I{tokens}}, {"hidden_size", I{4096}},
                     {"inter_size", I{1536}}, {"topk", I{8}}, {"num_experts", I{128}}, {"moe_tp_size", I{1}},
                     {"moe_ep_size", I{ep}}, {"distribution", std::string(dist)}, {"moe_streams", I{streams}}};
    const moe::MoeShape shape = moe::MoeShape::from(key);
    const moe::RoutingPlan plan = moe::RoutingPlan::build(shape);
    std::string verdict = "-";
    try {
      if (auto s = layer->setup(key, stream); !s) throw Error("setup: " + s.message());
      if (do_check) {
        CheckReport rep;
        if (auto s = layer->check(stream, &rep); !s) throw Error("check: " + s.message());
        verdict = rep.passed ? "ok" : "FAIL";
        std::fprintf(stderr, "%s %s\n", rep.passed ? "ok  " : "FAIL", rep.details.c_str());
        failures += !rep.passed;
      }
      const Timing tm = time_layer(layer, stream, flush, flush_bytes);
      std::int64_t hit = 0, busiest = 0;
      for (auto c : plan.local_count) hit += c > 0, busiest = std::max(busiest, c);
      const double eb = std::string(dtype) == "bfloat16" ? 2 : 1;
      const double flops = double(plan.assignments) * 6 * shape.hidden * shape.inter_local();
      const double tflops = flops / (tm.median_ms * 1e-3) / 1e12;
      const double peak = std::string(dtype) == "bfloat16" ? ceil.bf16_tflops : ceil.fp8_tflops;
      const double wbytes = double(hit) * 3 * shape.hidden * shape.inter_local() * eb;
      const double tbps = wbytes / (tm.median_ms * 1e-3) / 1e12;
      std::printf("| %s | %s | %lld | %lld | %lld | %lld | %lld | %lld | %.1f | %.1f | %.1f%% | %.2f | %.0f%% | %s |\n", dtype, dist,
                  (long long)ep, (long long)tokens, (long long)streams, (long long)plan.assignments, (long long)hit,
                  (long long)busiest, tm.median_ms * 1e3, tflops, 100 * tflops / peak, tbps, 100 * tbps / ceil.hbm_tbps,
                  verdict.c_str());
      std::fflush(stdout);
    } catch (const std::exception& ex) {
      ++failures;
      std::printf("| %s | %s | %lld | %lld | %lld | ERROR: %s |\n", dtype, dist, (long long)ep, (long long)tokens,
                  (long long)streams, ex.what());
    }
    layer->teardown();
  };
  auto header = [&](const char* title) {
    std::printf("\n### %s\n\n| dtype | distribution | ep | tokens | streams | local assignments | experts hit | busiest expert | "
                "time (us) | TFLOP/s | %% of %s peak | weight TB/s | %% of %.2f | check |\n", title, ceil.system, ceil.hbm_tbps);
    std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  };
  header("Qwen3-235B-A22B experts (hidden 4096, inter 1536, topk 8, 128 experts, moe_tp 1), default streams");
  for (std::int64_t ep : eps)
    for (const char* dtype : {"bfloat16", "fp8", "fp8_block"})
      for (const char* dist : {"balanced", "power_law_1.01"})
        for (std::int64_t tokens : {1, 64, 1024, 8192}) run_case(dtype, dist, ep, tokens, moe::kDefaultStreams, check);
  if (sweep_streams) {
    header("Streams the expert GEMMs are spread over (moe_streams), unchecked");
    for (std::int64_t ep : eps)
      for (const char* dtype : {"bfloat16", "fp8"})
        for (const char* dist : {"balanced", "power_law_1.01"})
          for (std::int64_t tokens : {64, 8192})
            for (std::int64_t streams : {1, 2, 4, 8}) run_case(dtype, dist, ep, tokens, streams, false);
  }
  layer->release();
  AICONF_GPU_CHECK(cudaFree(flush));
  AICONF_GPU_CHECK(cudaStreamDestroy(stream));
  std::printf("%d failures\n", failures);
  return failures == 0 ? 0 : 1;
}
