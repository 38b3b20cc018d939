// GPU test of GemmRunner: bf16, per-tensor fp8 and block-scaled fp8 against a float64 CPU
// reference computed from the very values the GPU read (dequantized fp8, device scales).
// Exit 0 pass, 1 fail, 77 no CUDA device.
#include <aiconf/gemm/fp8_quantize.h>
#include <aiconf/gemm/gemm_runner.h>
#include <aiconf/gemm/random_fill.h>

#include "test_util.h"

#include <string>

using namespace aiconf::gemm;
using namespace aiconf::gemm::test;

namespace {

struct Case {
  GemmDtype dtype;
  std::int64_t m, n, k;
  bool fast_accum = true;
  bool may_be_unsupported = false;  // k % 128 != 0 with block scales: cuBLASLt may refuse
};

// Host copies of what the GPU multiplied, as floats, plus scale lookups.
struct HostOperands {
  std::vector<float> x, w;                 // dequantization NOT applied (raw bf16 / e4m3 values)
  std::vector<float> act_scale, w_scale;   // raw scale buffers as stored on the device
  float a_scale = 1.f, b_scale = 1.f;      // per-tensor
};

using ScaleFn = std::function<double(const HostOperands&, std::int64_t /*row or n-block*/, std::int64_t /*group*/)>;

double ref_entry(const Case& c, const HostOperands& h, std::int64_t i, std::int64_t j, const ScaleFn& act_s,
                 const ScaleFn& w_s) {
  const float* xr = h.x.data() + i * c.k;
  const float* wr = h.w.data() + j * c.k;
  if (c.dtype != GemmDtype::kFp8Block) {
    double acc = 0;
    for (std::int64_t p = 0; p < c.k; ++p) acc += static_cast<double>(xr[p]) * wr[p];
    return c.dtype == GemmDtype::kFp8 ? acc * h.a_scale * h.b_scale : acc;
  }
  double acc = 0;
  const std::int64_t groups = (c.k + kFp8BlockSize - 1) / kFp8BlockSize;
  for (std::int64_t g = 0; g < groups; ++g) {
    double part = 0;
    const std::int64_t end = std::min<std::int64_t>(c.k, (g + 1) * kFp8BlockSize);
    for (std::int64_t p = g * kFp8BlockSize; p < end; ++p) part += static_cast<double>(xr[p]) * wr[p];
    acc += part * act_s(h, i, g) * w_s(h, j / kFp8BlockSize, g);
  }
  return acc;
}

double lookup(const std::vector<float>& v, std::int64_t idx) {
  return (idx >= 0 && idx < static_cast<std::int64_t>(v.size())) ? v[idx] : std::nan("");
}

// The layout GemmArgs documents, and the alternatives we report when the documented one fails.
struct Layout {
  const char* name;
  ScaleFn fn;
};

std::vector<Layout> act_layouts(const Case& c) {
  const std::int64_t kb = (c.k + 127) / 128, ld = act_scale_ld(c.m), m = c.m;
  return {{"act[g*ld4(m)+i] (documented)", [=](const HostOperands& h, std::int64_t i, std::int64_t g) { return lookup(h.act_scale, g * ld + i); }},
          {"act[g*m+i]", [=](const HostOperands& h, std::int64_t i, std::int64_t g) { return lookup(h.act_scale, g * m + i); }},
          {"act[i*kb+g]", [=](const HostOperands& h, std::int64_t i, std::int64_t g) { return lookup(h.act_scale, i * kb + g); }}};
}

std::vector<Layout> w_layouts(const Case& c) {
  const std::int64_t kb = (c.k + 127) / 128, ldk = weight_scale_ld(c.k), nb = (c.n + 127) / 128,
                     ldn = (nb + 3) / 4 * 4;
  return {{"w[j*ld4(kb)+g] (documented)", [=](const HostOperands& h, std::int64_t j, std::int64_t g) { return lookup(h.w_scale, j * ldk + g); }},
          {"w[j*kb+g]", [=](const HostOperands& h, std::int64_t j, std::int64_t g) { return lookup(h.w_scale, j * kb + g); }},
          {"w[g*nb+j]", [=](const HostOperands& h, std::int64_t j, std::int64_t g) { return lookup(h.w_scale, g * nb + j); }},
          {"w[g*ld4(nb)+j]", [=](const HostOperands& h, std::int64_t j, std::int64_t g) { return lookup(h.w_scale, g * ldn + j); }}};
}

// ||out - ref|| / ||ref|| over the checked entries; NaN (poison left over) fails.
double rel_error(const Case& c, const HostOperands& h, const std::vector<std::uint16_t>& out,
                 const std::vector<std::int64_t>& entries, const ScaleFn& act_s, const ScaleFn& w_s) {
  std::vector<double> num(entries.size()), den(entries.size());
  parallel_for(static_cast<std::int64_t>(entries.size()), [&](std::int64_t e) {
    const std::int64_t idx = entries[e], i = idx / c.n, j = idx % c.n;
    const double r = ref_entry(c, h, i, j, act_s, w_s);
    const double o = bf16_to_float(out[idx]);
    num[e] = (o - r) * (o - r);
    den[e] = r * r;
  });
  double sn = 0, sd = 0;
  for (std::size_t e = 0; e < entries.size(); ++e) {
    sn += num[e];
    sd += den[e];
  }
  return std::sqrt(sn) / std::sqrt(sd);
}

bool run_case(GemmRunner& runner, const Case& c, void* workspace, cudaStream_t stream) {
  const std::uint64_t seed = fresh_seed();
  const bool fp8 = c.dtype != GemmDtype::kBf16;
  const std::size_t in_bytes = fp8 ? 1 : 2;
  void *x = nullptr, *w = nullptr, *d = nullptr, *x_bf16 = nullptr;
  float *sa = nullptr, *sb = nullptr;
  const std::int64_t rows = gemm_rows_allocated(c.dtype, c.m);
  AICONF_GPU_CHECK(cudaMalloc(&x, rows * c.k * in_bytes));
  AICONF_GPU_CHECK(cudaMalloc(&w, c.n * c.k * in_bytes));
  AICONF_GPU_CHECK(cudaMalloc(&d, rows * c.n * 2));
  // Padding rows of x (block-scaled only) hold random finite values: they must not leak into rows < m.
  if (rows > c.m) AICONF_GPU_CHECK(fill_random_fp8(static_cast<std::uint8_t*>(x), rows * c.k, seed + 9, 448.f, stream));
  HostOperands h;
  if (c.dtype == GemmDtype::kBf16) {
    AICONF_GPU_CHECK(fill_random_bf16(x, c.m * c.k, seed, -1.f, 1.f, stream));
    AICONF_GPU_CHECK(fill_random_bf16(w, c.n * c.k, seed + 1, -1.f, 1.f, stream));
  } else if (c.dtype == GemmDtype::kFp8) {
    AICONF_GPU_CHECK(fill_random_fp8(static_cast<std::uint8_t*>(x), c.m * c.k, seed, 448.f, stream));
    AICONF_GPU_CHECK(fill_random_fp8(static_cast<std::uint8_t*>(w), c.n * c.k, seed + 1, 448.f, stream));
    AICONF_GPU_CHECK(cudaMalloc(&sa, sizeof(float)));
    AICONF_GPU_CHECK(cudaMalloc(&sb, sizeof(float)));
    AICONF_GPU_CHECK(fill_random_f32(sa, 1, seed + 2, 1e-3f, 1e-2f, stream));
    AICONF_GPU_CHECK(fill_random_f32(sb, 1, seed + 3, 1e-3f, 1e-2f, stream));
  } else {
    // Activations go through our own quantizer (bf16 -> e4m3 + 1x128 scales), end to end.
    AICONF_GPU_CHECK(cudaMalloc(&x_bf16, c.m * c.k * 2));
    AICONF_GPU_CHECK(fill_random_bf16(x_bf16, c.m * c.k, seed, -4.f, 4.f, stream));
    AICONF_GPU_CHECK(cudaMalloc(&sa, act_scale_elems(c.m, c.k) * sizeof(float)));
    AICONF_GPU_CHECK(quantize_fp8_per_token_group(x_bf16, static_cast<std::uint8_t*>(x), sa, c.m, c.k, stream));
    AICONF_GPU_CHECK(fill_random_fp8(static_cast<std::uint8_t*>(w), c.n * c.k, seed + 1, 448.f, stream));
    // Padding entries get random values too, so a GEMM that reads them shows up as an error.
    AICONF_GPU_CHECK(cudaMalloc(&sb, weight_scale_elems(c.n, c.k) * sizeof(float)));
    AICONF_GPU_CHECK(fill_random_f32(sb, weight_scale_elems(c.n, c.k), seed + 2, 5e-4f, 2e-3f, stream));
  }
  AICONF_GPU_CHECK(cudaMemsetAsync(d, 0xFF, rows * c.n * 2, stream));  // bf16 0xFFFF is NaN: poison

  GemmArgs args;
  args.dtype = c.dtype;
  args.m = c.m;
  args.n = c.n;
  args.k = c.k;
  args.a = x;
  args.b = w;
  args.d = d;
  args.a_scale = sa;
  args.b_scale = sb;
  args.fp8_fast_accum = c.fast_accum;

  char label[128];
  std::snprintf(label, sizeof(label), "%-9s m=%-5lld n=%-5lld k=%-5lld%s", gemm_dtype_name(c.dtype),
                static_cast<long long>(c.m), static_cast<long long>(c.n), static_cast<long long>(c.k),
                c.dtype == GemmDtype::kFp8 ? (c.fast_accum ? " fast_accum" : " exact_accum") : "");
  GemmStatus st = runner.run(args, workspace, stream);
  bool ok = true;
  if (!st.ok()) {
    const bool unsupported = st.cublas == 15;  // CUBLAS_STATUS_NOT_SUPPORTED
    std::printf("%s %s: %s\n", c.may_be_unsupported && unsupported ? "UNSUPPORTED" : "FAIL", label, st.message.c_str());
    ok = c.may_be_unsupported && unsupported;
  } else {
    AICONF_GPU_CHECK(cudaGetLastError());
    AICONF_GPU_CHECK(cudaStreamSynchronize(stream));
    const auto out = to_host<std::uint16_t>(d, c.m * c.n);
    std::int64_t unwritten = 0;
    for (auto v : out) unwritten += std::isnan(bf16_to_float(v)) ? 1 : 0;

    auto raw_x = fp8 ? to_host<std::uint8_t>(x, c.m * c.k) : std::vector<std::uint8_t>{};
    auto raw_w = fp8 ? to_host<std::uint8_t>(w, c.n * c.k) : std::vector<std::uint8_t>{};
    h.x.resize(c.m * c.k);
    h.w.resize(c.n * c.k);
    if (fp8) {
      for (std::size_t i = 0; i < h.x.size(); ++i) h.x[i] = e4m3_to_float(raw_x[i]);
      for (std::size_t i = 0; i < h.w.size(); ++i) h.w[i] = e4m3_to_float(raw_w[i]);
    } else {
      auto bx = to_host<std::uint16_t>(x, c.m * c.k), bw = to_host<std::uint16_t>(w, c.n * c.k);
      for (std::size_t i = 0; i < h.x.size(); ++i) h.x[i] = bf16_to_float(bx[i]);
      for (std::size_t i = 0; i < h.w.size(); ++i) h.w[i] = bf16_to_float(bw[i]);
    }
    if (c.dtype == GemmDtype::kFp8) {
      h.a_scale = to_host<float>(sa, 1)[0];
      h.b_scale = to_host<float>(sb, 1)[0];
    } else if (c.dtype == GemmDtype::kFp8Block) {
      h.act_scale = to_host<float>(sa, act_scale_elems(c.m, c.k));
      h.w_scale = to_host<float>(sb, weight_scale_elems(c.n, c.k));
    }

    // Full check up to 2^22 outputs x k; beyond that a fixed-size random sample of entries
    // (the poison check above still covers every output).
    std::vector<std::int64_t> entries;
    const std::int64_t total = c.m * c.n;
    if (total * c.k <= (std::int64_t{1} << 31)) {
      entries.resize(total);
      for (std::int64_t i = 0; i < total; ++i) entries[i] = i;
    } else {
      std::mt19937_64 rng(seed);
      for (int s = 0; s < 8192; ++s) entries.push_back(static_cast<std::int64_t>(rng() % total));
    }
    const auto acts = act_layouts(c);
    const auto ws = w_layouts(c);
    const double err = rel_error(c, h, out, entries, acts[0].fn, ws[0].fn);
    const double tol = 1e-2;
    ok = unwritten == 0 && err < tol;
    std::printf("%s %s rel_err=%.3e (tol %.0e, %zu entries checked, %lld unwritten)\n", ok ? "PASS" : "FAIL", label,
                err, tol, entries.size(), static_cast<long long>(unwritten));
    if (!ok && c.dtype == GemmDtype::kFp8Block && entries.size() <= 1 << 20) {
      // Say which scale layout the library actually read, to fix the documented one.
      for (const auto& al : acts)
        for (const auto& wl : ws) {
          const double e = rel_error(c, h, out, entries, al.fn, wl.fn);
          std::printf("    layout probe: %-30s %-30s rel_err=%.3e\n", al.name, wl.name, e);
        }
    }
  }
  cudaFree(x);
  cudaFree(w);
  cudaFree(d);
  cudaFree(x_bf16);
  cudaFree(sa);
  cudaFree(sb);
  return ok;
}

}  // namespace

int main() {
  require_device_or_skip();
  cudaStream_t stream;
  AICONF_GPU_CHECK(cudaStreamCreate(&stream));
  void* workspace = nullptr;
  AICONF_GPU_CHECK(cudaMalloc(&workspace, GemmRunner::workspace_bytes()));

  // Argument validation needs no GPU work but belongs to the contract.
  {
    GemmArgs bad;
    bad.dtype = GemmDtype::kFp8;
    bad.m = 4;
    bad.n = 64;
    bad.k = 100;  // not a multiple of 16
    bad.a = bad.b = bad.d = workspace;
    const GemmStatus s = GemmRunner::validate(bad);
    std::printf("%s validate rejects fp8 k=100: %s\n", s.ok() ? "FAIL" : "PASS", s.message.c_str());
    if (s.ok()) return 1;
  }

  const std::vector<Case> cases = {
      {GemmDtype::kBf16, 1, 4096, 7168},
      {GemmDtype::kBf16, 7, 2112, 7168},
      {GemmDtype::kBf16, 100, 1000, 1000},  // k not a multiple of 128 (nor of 16)
      {GemmDtype::kBf16, 4096, 4096, 7168},
      {GemmDtype::kFp8, 1, 2048, 7168},
      {GemmDtype::kFp8, 7, 7168, 2048},
      {GemmDtype::kFp8, 64, 1024, 1040},  // k % 128 != 0
      {GemmDtype::kFp8, 33, 2112, 7168, false},
      {GemmDtype::kFp8, 4096, 4096, 7168},
      {GemmDtype::kFp8Block, 1, 2112, 7168},
      {GemmDtype::kFp8Block, 7, 1536, 640},  // m % 4 != 0 and ceil(k/128) = 5: exercises both paddings
      {GemmDtype::kFp8Block, 130, 384, 1024},
      {GemmDtype::kFp8Block, 64, 1024, 1040, true, true},  // k % 128 != 0: partial last group
      {GemmDtype::kFp8Block, 4096, 4096, 7168},
  };
  GemmRunner runner;  // owns its handle, created on the first run
  int failures = 0;
  for (const auto& c : cases) failures += run_case(runner, c, workspace, stream) ? 0 : 1;

  // The cache must hold one plan per distinct problem, and a repeat must not add one.
  const std::size_t plans = runner.cached_plans();
  run_case(runner, cases[0], workspace, stream);
  if (runner.cached_plans() != plans) {
    std::printf("FAIL plan cache grew on a repeated problem (%zu -> %zu)\n", plans, runner.cached_plans());
    ++failures;
  }
  AICONF_GPU_CHECK(cudaFree(workspace));
  AICONF_GPU_CHECK(cudaStreamDestroy(stream));
  std::printf("%s: %d failure(s)\n", failures ? "FAILED" : "ALL PASSED", failures);
  return failures ? 1 : 0;
}
