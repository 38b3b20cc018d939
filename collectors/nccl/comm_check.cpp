#include "comm_check.h"

#include <aiconf/status.h>
#include <aiconf_plugins/cuda_check.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

namespace aiconf::nccl_collect {

double element_value(ncclDataType_t dtype, const unsigned char* p) {
  switch (dtype) {
    case ncclInt8: return static_cast<double>(static_cast<std::int8_t>(*p));
    case ncclFloat32: {
      float f;
      std::memcpy(&f, p, 4);
      return f;
    }
    case ncclBfloat16: {
      std::uint16_t b;
      std::memcpy(&b, p, 2);
      const std::uint32_t w = std::uint32_t(b) << 16;
      float f;
      std::memcpy(&f, &w, 4);
      return f;
    }
    case ncclHalf: {
      std::uint16_t h;
      std::memcpy(&h, p, 2);
      const int sign = h >> 15, exp = (h >> 10) & 31, mant = h & 1023;
      double v = exp == 0 ? std::ldexp(mant, -24) : exp == 31 ? (mant ? NAN : INFINITY) : std::ldexp(1024 + mant, exp - 25);
      return sign ? -v : v;
    }
    default: throw Error("element_value: dtype not supported");
  }
}

namespace {

// Rounding unit of one addition in the dtype (the reduction kernels add in the dtype or in fp32).
double unit_roundoff(ncclDataType_t t) {
  switch (t) {
    case ncclHalf: return std::ldexp(1.0, -11);
    case ncclBfloat16: return std::ldexp(1.0, -8);
    case ncclFloat32: return std::ldexp(1.0, -24);
    default: return 0;
  }
}

}  // namespace

CommCheck check_collective(NcclGroup& g, CommOp op, ncclDataType_t dtype, std::int64_t message_size,
                           const std::function<void()>& enqueue, std::uint64_t seed) {
  const int n = g.size();
  const CaseCounts c = case_counts(op, message_size, n);
  const std::size_t elem = nccl_dtype_bytes(dtype);
  // Inputs: random words, bit 14 of every 16-bit word clear for float types (finite, |x| < 2).
  std::vector<std::vector<unsigned char>> in(n, std::vector<unsigned char>(c.send * elem));
  std::mt19937_64 rng(seed);
  for (int r = 0; r < n; ++r) {
    auto& v = in[r];
    for (std::size_t i = 0; i + 1 < v.size(); i += 2) {
      std::uint16_t w = static_cast<std::uint16_t>(rng());
      if (dtype != ncclInt8) w &= 0xBFFFu;
      std::memcpy(&v[i], &w, 2);
    }
    if (v.size() % 2) v.back() = static_cast<unsigned char>(rng());
    AICONF_CUDA_CHECK(cudaSetDevice(r));
    AICONF_CUDA_CHECK(cudaMemcpy(g.send(r), v.data(), v.size(), cudaMemcpyHostToDevice));
    AICONF_CUDA_CHECK(cudaMemset(g.recv(r), 0xFF, c.recv * elem));
    AICONF_CUDA_CHECK(cudaDeviceSynchronize());
  }
  enqueue();
  g.synchronize();

  auto value = [&](int rank, std::size_t i) { return element_value(dtype, &in[rank][i * elem]); };
  const bool reduces = op == CommOp::all_reduce || op == CommOp::reduce_scatter || op == CommOp::custom_all_reduce;
  // custom all-reduce sums in fp32 and rounds once; NCCL may round after every addition.
  const double u = unit_roundoff(dtype);
  CommCheck out;
  out.passed = true;
  std::string worst;
  std::vector<unsigned char> got;
  for (int r = 0; r < n; ++r) {
    if (op == CommOp::p2p && r != 1) continue;  // only rank 1 receives
    got.resize(c.recv * elem);
    AICONF_CUDA_CHECK(cudaSetDevice(r));
    AICONF_CUDA_CHECK(cudaMemcpy(got.data(), g.recv(r), got.size(), cudaMemcpyDeviceToHost));
    for (std::size_t i = 0; i < c.recv; ++i) {
      double ref = 0, scale = 0;
      switch (op) {
        case CommOp::all_reduce:
        case CommOp::custom_all_reduce:
        case CommOp::reduce_scatter: {
          const std::size_t j = op == CommOp::reduce_scatter ? r * c.recv + i : i;
          for (int p = 0; p < n; ++p) ref += value(p, j), scale += std::fabs(value(p, j));
          if (dtype == ncclInt8) ref = static_cast<double>(static_cast<std::int8_t>(static_cast<std::uint8_t>(static_cast<long long>(ref) & 0xFF)));
          break;
        }
        case CommOp::all_gather: ref = value(static_cast<int>(i / c.count), i % c.count); break;
        case CommOp::alltoall: ref = value(static_cast<int>(i / c.count), r * c.count + i % c.count); break;
        case CommOp::p2p: ref = value(0, i); break;
      }
      const double v = element_value(dtype, &got[i * elem]);
      // Sums: n roundings of partial sums bounded by sum|x|, plus the final rounding. Copies and
      // int8 (modular) sums: exact.
      const double tol = reduces && dtype != ncclInt8 ? (n + 1) * u * scale + 1e-30 : 0;
      const double err = std::fabs(v - ref);
      const double ratio = tol > 0 ? err / tol : (err == 0 ? 0 : INFINITY);
      ++out.compared;
      if (!(ratio <= 1)) {
        if (out.passed) {
          char buf[200];
          std::snprintf(buf, sizeof buf, "rank %d element %zu: got %.9g, expected %.9g (tolerance %.3g)", r, i, v, ref, tol);
          worst = buf;
        }
        out.passed = false;
        out.max_error = INFINITY;
      } else if (ratio > out.max_error) {
        out.max_error = ratio;
      }
    }
  }
  char head[160];
  std::snprintf(head, sizeof head, "%s %zu x %zu B elements over %d GPUs: %zu compared, ", comm_op_name(op),
                static_cast<std::size_t>(message_size), elem, n, out.compared);
  out.details = std::string(head) + (out.passed ? "worst error " + std::to_string(out.max_error) + " of the tolerance: ok"
                                                 : "FAILED, first mismatch " + worst);
  return out;
}

}  // namespace aiconf::nccl_collect
