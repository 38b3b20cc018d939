// The gemm_perf sweep: aiconfigurator's m axis for the (n, k) pairs of a model (--model), or a
// generic grid of square-ish weights without one.
#include "gemm_collectors.h"

#include "gemm_model_shapes.h"

#include <aiconf_plugins/sweep_collector.h>

#include <algorithm>

namespace aiconf::gemm_plugin {
using namespace aiconf::plugins;

std::vector<std::int64_t> gemm_m_values(bool quick) {
  if (quick) return {1, 16, 256, 4096};
  std::vector<std::int64_t> m;
  for (std::int64_t x = 1; x <= 16; ++x) m.push_back(x);
  for (std::int64_t x = 32; x <= 256; x += 16) m.push_back(x);
  for (std::int64_t x = 512; x <= 4096; x += 256) m.push_back(x);
  for (std::int64_t x : {6144, 8192, 12288, 16384}) m.push_back(x);
  // Latency jumps just past a power of two (one more tile row); measure both sides of the step.
  for (std::int64_t x = 32; x <= 16384; x *= 2) m.push_back(x + 1);
  std::sort(m.begin(), m.end());
  m.erase(std::unique(m.begin(), m.end()), m.end());
  return m;
}

namespace {

// cuBLASLt fp8 kernels read 16-byte rows: k % 16 and n % 8 (bf16 output rows).
bool fp8_ok(std::int64_t n, std::int64_t k) { return k % 16 == 0 && n % 8 == 0; }

std::vector<Params> gemm_sweep(const SweepOptions& opt) {
  std::set<std::pair<std::int64_t, std::int64_t>> nk;
  if (opt.model) {
    nk = model_gemm_shapes(*opt.model, opt.quick ? std::vector<std::int64_t>{1} : std::vector<std::int64_t>{1, 2, 4, 8});
    if (nk.empty()) throw Error("collector gemm: the model " + opt.model->source + " implies no linear layer (hidden_size missing?)");
  } else if (opt.quick) {
    nk = {{4096, 4096}};
  } else {
    for (std::int64_t n : {1024, 2048, 4096, 8192, 16384, 32768})
      for (std::int64_t k : {1024, 2048, 4096, 8192, 16384}) nk.emplace(n, k);
  }
  const std::vector<std::string> dtypes =
      opt.quick ? std::vector<std::string>{"bfloat16", "fp8"} : std::vector<std::string>{"bfloat16", "fp8", "fp8_block"};
  std::vector<Params> out;
  for (const auto& dtype : dtypes)
    for (const auto& [n, k] : nk) {
      if (dtype != "bfloat16" && !fp8_ok(n, k)) continue;
      for (std::int64_t m : gemm_m_values(opt.quick))
        out.push_back(Params{{"gemm_dtype", dtype}, {"m", m}, {"n", n}, {"k", k}});
    }
  return out;
}

}  // namespace

void register_gemm_collectors(Registrar& r) {
  throw_if_error(r.add_collector(new SweepCollector("gemm", "gemm", "gemm", gemm_sweep)));
}

}  // namespace aiconf::gemm_plugin
