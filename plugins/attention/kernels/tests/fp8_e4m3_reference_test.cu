// CPU test of the e4m3 reference (reference/fp8_e4m3_reference.h), no GPU needed: the encoder
// against CUDA's own host conversion (__nv_cvt_float_to_fp8, satfinite, e4m3) on every bf16
// value and on random floats, the decoder on all 256 codes, known codes, and the error bound the
// GPU test applies (every e4m3 rounding of a bf16 value must be within it). Also the quantize
// launcher's refusals (host-side checks, before any CUDA call). If this passes, a mismatch in
// fp8_quantize_kernels_test is the kernel's, not the reference's.
#include <aiconf/flash_attention/fp8_quantize.h>
#include <fp8_e4m3_reference.h>
#include <flash_attention_reference.h>

#include <cuda_fp8.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>

namespace fa = aiconf::flash_attention;
namespace ref = aiconf::flash_attention::reference;

namespace {

int failures = 0;

void expect(bool ok, const char* what) {
  if (!ok) {
    ++failures;
    std::printf("FAIL %s\n", what);
  }
}

std::uint8_t cuda_e4m3(float x) { return static_cast<std::uint8_t>(__nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3)); }

}  // namespace

int main() {
  // Known codes: 1 = 0x38, 448 = 0x7E (and beyond saturates), smallest subnormal 2^-9 = 0x01,
  // ties to even in the subnormals (2^-10 -> 0, 3 * 2^-10 -> 2^-8 = 0x02), smallest normal 0x08.
  expect(ref::float_to_e4m3(1.f) == 0x38, "1.0 -> 0x38");
  expect(ref::float_to_e4m3(-1.5f) == 0xBC, "-1.5 -> 0xBC");
  expect(ref::float_to_e4m3(448.f) == 0x7E && ref::float_to_e4m3(1e6f) == 0x7E && ref::float_to_e4m3(-500.f) == 0xFE,
         "saturation at +-448");
  expect(ref::float_to_e4m3(0x1p-9f) == 0x01 && ref::float_to_e4m3(0x1p-10f) == 0x00 && ref::float_to_e4m3(0x3p-10f) == 0x02,
         "subnormals round to nearest even");
  expect(ref::float_to_e4m3(0x1p-6f) == 0x08, "2^-6 -> 0x08");

  // Decoder: all finite codes round-trip through the encoder.
  std::size_t bad_decode = 0;
  for (int b = 0; b < 256; ++b) {
    if ((b & 0x7F) == 0x7F) {
      bad_decode += !std::isnan(ref::e4m3_to_float(static_cast<std::uint8_t>(b)));
      continue;
    }
    const float f = ref::e4m3_to_float(static_cast<std::uint8_t>(b));
    bad_decode += b != 0x80 && ref::float_to_e4m3(f) != b;  // -0 encodes as 0x80 too; skip the sign of zero
  }
  expect(bad_decode == 0, "decode/encode round trip of all codes");

  // Encoder vs CUDA's conversion: every finite bf16 value, times a few scales (the kernel
  // multiplies by 1 / scale before converting), plus random fp32 values over the whole range.
  std::size_t mismatch = 0, out_of_bound = 0, checked = 0;
  const float scales[] = {1.f, 1.f / 448.f, 40.f / 448.f, 8.f / 448.f, 3.7e-5f};
  for (std::uint32_t bits = 0; bits < 0x10000; ++bits) {
    const float x = ref::bf16_to_float(static_cast<std::uint16_t>(bits));
    if (!std::isfinite(x)) continue;
    for (float s : scales) {
      const float y = x * (1.f / s);
      const std::uint8_t got = ref::quantize_e4m3(x, s);
      mismatch += got != cuda_e4m3(y);
      if (std::isfinite(y)) out_of_bound += !ref::e4m3_within_bound(x, got, s);
      ++checked;
    }
  }
  std::mt19937 rng(12345);
  std::uniform_real_distribution<float> e(-30.f, 12.f);
  for (int i = 0; i < 2000000; ++i) {
    const float x = std::exp2(e(rng)) * ((rng() & 1) ? 1.f : -1.f);
    mismatch += ref::float_to_e4m3(x) != cuda_e4m3(x);
    ++checked;
  }
  std::printf("%zu conversions: %zu differ from __nv_cvt_float_to_fp8, %zu outside the error bound\n", checked, mismatch,
              out_of_bound);
  expect(mismatch == 0, "encoder equals CUDA's host conversion");
  expect(out_of_bound == 0, "every rounding within the e4m3 bound");

  // Host-side refusals (no device touched: the check runs first).
  alignas(16) static std::uint8_t buf[256];
  const float one = 1.f;
  const auto* src = reinterpret_cast<const __nv_bfloat16*>(buf);
  fa::Fp8QuantizeTensor t{src, buf + 128, 12, &one};
  expect(fa::fp8_quantize_check(&t, 1) != nullptr, "n % 8 != 0 refused");
  expect(fa::launch_fp8_quantize(&t, 1, nullptr) == cudaErrorInvalidValue, "launch refuses n % 8 != 0");
  t.n = 16;
  expect(fa::fp8_quantize_check(&t, 1) == nullptr, "n = 16 accepted");
  t.src = src + 1;
  expect(fa::fp8_quantize_check(&t, 1) != nullptr, "misaligned src refused");
  expect(fa::fp8_quantize_check(&t, 0) != nullptr && fa::fp8_quantize_check(&t, 5) != nullptr, "count outside 1..4 refused");

  std::printf("%d failed\n", failures);
  return failures == 0 ? 0 : 1;
}
