// GPU test of the mla plugin's mock layers on shapes the harness's quick sweep does not reach:
// FP8 caches and FP8 BMMs, mla_context with an FP8 KV cache (e4m3 Q/K/V quantize pass), next_n =
// 2, TP-split head counts, the longest cache (131071), a check after input-set rotation,
// mla_context with a cached prefix, and the module layers with FP8 block GEMMs. Each case: setup,
// check (CPU reference), 3 rotated runs, check again. Also asserts that configs the kernels cannot
// do are refused with a message naming the field.
// Loads the plugins built into AICONF_BUILD_PLUGIN_DIR. Exits 77 without a GPU.
#include <aiconf/loader.h>

#include <cuda_runtime_api.h>

#include <cstdio>
#include <string>
#include <vector>

using namespace aiconf;

namespace {

Params gen(const char* kv, std::int64_t heads, std::int64_t batch, std::int64_t isl, std::int64_t step, std::int64_t kv_lora = 512) {
  return Params{{"mla_dtype", std::string("bfloat16")}, {"kv_cache_dtype", std::string(kv)}, {"num_heads", heads},
                {"batch_size", batch}, {"isl", isl}, {"step", step}, {"kv_lora_rank", kv_lora},
                {"qk_rope_head_dim", std::int64_t(64)}, {"qk_nope_head_dim", std::int64_t(128)}, {"v_head_dim", std::int64_t(128)},
                {"q_lora_rank", std::int64_t(1536)}, {"hidden_size", std::int64_t(7168)}};
}

Params bmm(const char* dtype, std::int64_t tokens, std::int64_t heads) {
  return Params{{"bmm_dtype", std::string(dtype)}, {"num_tokens", tokens}, {"num_heads", heads},
                {"kv_lora_rank", std::int64_t(512)}, {"qk_rope_head_dim", std::int64_t(64)},
                {"qk_nope_head_dim", std::int64_t(128)}, {"v_head_dim", std::int64_t(128)}};
}

Params module(const char* gemm, const char* kv, std::int64_t heads, std::int64_t batch, std::int64_t isl, std::int64_t step) {
  Params p = gen(kv, heads, batch, isl, step);
  p.set("architecture", std::string("DeepseekV3ForCausalLM"));
  p.set("gemm_type", std::string(gemm));
  p.set("tp_size", std::int64_t(1));
  return p;
}

}  // namespace

int main() {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("SKIP: no CUDA device\n");
    return 77;
  }
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  std::printf("device: %s\n", prop.name);
  Registry reg;
  LoadOptions opt;
  opt.use_environment = false;
  opt.plugin_dirs = {AICONF_BUILD_PLUGIN_DIR};
  if (auto s = load_plugins(opt, &reg); !s) {
    std::printf("FAIL: %s\n", s.message().c_str());
    return 1;
  }
  struct Case {
    const char* layer;
    Params shape;
  };
  const std::vector<Case> cases = {
      {"mla_generation", gen("bfloat16", 128, 1, 1, 1)},
      {"mla_generation", gen("bfloat16", 128, 64, 2, 2048)},
      {"mla_generation", gen("bfloat16", 16, 7, 1, 5000)},
      {"mla_generation", gen("fp8", 128, 1, 1, 16384)},
      {"mla_generation", gen("fp8", 16, 3, 2, 4097)},
      {"mla_generation", gen("fp8", 128, 64, 1, 2048)},
      {"mla_generation", gen("bfloat16", 128, 1, 1, 131071)},
      {"mla_generation", gen("fp8", 32, 2, 2, 131071)},
      {"mla_bmm_pre", bmm("bfloat16", 1, 128)},
      {"mla_bmm_pre", bmm("bfloat16", 37, 16)},
      {"mla_bmm_pre", bmm("bfloat16", 4096, 128)},
      {"mla_bmm_pre", bmm("fp8", 1, 128)},
      {"mla_bmm_pre", bmm("fp8", 100, 32)},
      {"mla_bmm_pre", bmm("fp8", 4096, 128)},
      {"mla_bmm_post", bmm("bfloat16", 1, 128)},
      {"mla_bmm_post", bmm("bfloat16", 1500, 64)},
      {"mla_bmm_post", bmm("fp8", 1, 128)},
      {"mla_bmm_post", bmm("fp8", 333, 16)},
      {"mla_bmm_post", bmm("fp8", 8192, 128)},
      // Last: these chain other folders' kernels (gemm, flash attention); a device fault here
      // must not hide the results above.
      {"mla_generation_module", module("bfloat16", "bfloat16", 128, 64, 1, 8192)},
      {"mla_generation_module", module("fp8_block", "fp8", 16, 7, 2, 3000)},
      {"mla_context", gen("bfloat16", 16, 2, 300, 200)},
      // FP8 KV cache: the e4m3 quantize pass of Q/K/V, then the attention (isl 1, a cached
      // prefix, a full 128-head chunk).
      {"mla_context", gen("fp8", 128, 1, 1, 0)},
      {"mla_context", gen("fp8", 16, 2, 300, 200)},
      {"mla_context", gen("fp8", 128, 4, 1024, 0)},
      {"mla_context_module", module("bfloat16", "bfloat16", 128, 2, 1024, 0)},
      {"mla_context_module", module("fp8_block", "bfloat16", 16, 3, 500, 700)},
      // FP8 KV cache: Q/K/V quantized (V strided, in place) before the attention, every run.
      {"mla_context_module", module("bfloat16", "fp8", 128, 2, 1024, 0)},
      {"mla_context_module", module("fp8_block", "fp8", 16, 3, 500, 700)},
  };
  cudaStream_t stream;
  cudaStreamCreate(&stream);
  int failures = 0;
  auto layer_of = [&](const char* name) -> MockLayer* {
    auto f = reg.mock_layers.find(name);
    if (f == reg.mock_layers.end()) return nullptr;
    MockLayer* l = nullptr;
    return f->second.object->create(&l) ? l : nullptr;
  };
  for (const Case& c : cases) {
    MockLayer* layer = layer_of(c.layer);
    if (!layer) {
      std::printf("FAIL %s: no such mock layer\n", c.layer);
      ++failures;
      continue;
    }
    CheckReport first, second;
    Status s = layer->setup(c.shape, stream);
    if (s) s = layer->check(stream, &first);
    bool rotated = false;
    for (int i = 0; s && i < 3; ++i) {
      rotated = layer->rotate_inputs() || rotated;
      s = layer->run(stream);
    }
    if (s) s = layer->check(stream, &second);
    if (s && cudaStreamSynchronize(stream) != cudaSuccess) s = Status::error("stream error after runs");
    const bool ok = s && first.passed && second.passed;
    failures += !ok;
    std::printf("%s %-15s %s [%s, rotated %s]: %s\n", ok ? "ok  " : "FAIL", c.layer, c.shape.str().c_str(), layer->kernel_source(),
                rotated ? "yes" : "no", s ? second.details.c_str() : s.message().c_str());
    std::fflush(stdout);
    layer->teardown();
    layer->release();
  }
  // Dimensions the kernel cannot do must be refused at setup, with a message naming them.
  if (MockLayer* layer = layer_of("mla_generation")) {
    const Status s = layer->setup(gen("bfloat16", 128, 1, 1, 100, 256), stream);
    const bool ok = !s && s.message().find("kv_lora_rank") != std::string::npos;
    failures += !ok;
    std::printf("%s refusal of kv_lora_rank=256: %s\n", ok ? "ok  " : "FAIL", s ? "accepted" : s.message().c_str());
    layer->teardown();
    layer->release();
  }
  // A KV dtype the context layer has no path for is refused naming the field.
  if (MockLayer* layer = layer_of("mla_context")) {
    const Status s = layer->setup(gen("int8", 16, 1, 100, 0), stream);
    const bool ok = !s && s.message().find("kv_cache_dtype") != std::string::npos;
    failures += !ok;
    std::printf("%s refusal of mla_context kv_cache_dtype=int8: %s\n", ok ? "ok  " : "FAIL", s ? "accepted" : s.message().c_str());
    layer->teardown();
    layer->release();
  }
  cudaStreamDestroy(stream);
  std::printf("%d failed\n", failures);
  return failures == 0 ? 0 : 1;
}
