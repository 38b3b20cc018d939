// GPU test: every registered mock layer, on the small shapes of its collector's quick sweep for one
// model config, against its CPU reference (fresh random inputs, poisoned outputs). A collector that
// refuses the config (a DSA sweep on a Llama config) is reported as not applicable, not failed; the
// ctest entries run one config per family so every collector is exercised. Exits 77 without a GPU.
#include <aiconf/hf_config.h>
#include <aiconf/loader.h>

#include <cuda_runtime_api.h>

#include <cstdio>
#include <string>

using namespace aiconf;

int main(int argc, char** argv) {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("SKIP: no CUDA device\n");
    return 77;
  }
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  std::printf("device: %s\n", prop.name);
  const std::string model = argc > 1 ? argv[1] : AICONF_SOURCE_DIR "/examples/configs/DeepSeek-V3.2.json";
  const int max_cases = argc > 2 ? std::stoi(argv[2]) : 4;

  Registry reg;
  LoadOptions opt;
  opt.use_environment = false;
  opt.plugin_dirs = {AICONF_BUILD_PLUGIN_DIR};
  if (auto s = load_plugins(opt, &reg); !s) {
    std::printf("FAIL: %s\n", s.message().c_str());
    return 1;
  }
  ModelConfig cfg;
  if (auto s = load_model_config(model, reg, &cfg); !s) {
    std::printf("FAIL: %s\n", s.message().c_str());
    return 1;
  }
  cudaStream_t stream;
  cudaStreamCreate(&stream);
  int failures = 0, checked = 0, not_applicable = 0;
  for (const auto& [name, collector] : reg.collectors) {
    auto factory = reg.mock_layers.find(collector.object->mock_layer());
    if (factory == reg.mock_layers.end()) continue;  // no CUDA mock layer for this collector
    SweepOptions sweep;
    sweep.quick = true;
    sweep.model = &cfg;
    std::vector<Params> cases;
    if (auto s = collector.object->cases(sweep, &cases); !s) {
      std::printf("n/a  %-32s not for this model: %s\n", name.c_str(), s.message().c_str());
      ++not_applicable;
      continue;
    }
    MockLayer* layer = nullptr;
    if (auto s = factory->second.object->create(&layer); !s) {
      std::printf("FAIL %s: create: %s\n", name.c_str(), s.message().c_str());
      ++failures;
      continue;
    }
    // Spread the checked cases over the quick sweep (small and large shapes).
    const std::size_t n = cases.size(), take = std::min<std::size_t>(n, max_cases);
    for (std::size_t i = 0; i < take; ++i) {
      const Params& shape = cases[take == 1 ? 0 : i * (n - 1) / (take - 1)];
      CheckReport report;
      Status s = layer->setup(shape, stream);
      if (s) s = layer->check(stream, &report);
      ++checked;
      if (!s || !report.passed) {
        ++failures;
        std::printf("FAIL %-32s %s: %s\n", name.c_str(), shape.str().c_str(), s ? report.details.c_str() : s.message().c_str());
      } else {
        std::printf("ok   %-32s %s: %s\n", name.c_str(), shape.str().c_str(), report.details.c_str());
      }
      layer->teardown();
    }
    layer->release();
  }
  cudaStreamDestroy(stream);
  std::printf("%d checked, %d failed, %d collectors not applicable to %s\n", checked, failures, not_applicable, model.c_str());
  return failures == 0 && checked > 0 ? 0 : 1;
}
