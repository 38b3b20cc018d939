#pragma once
/// \file composed_operation.h
/// An operation that has its own perf table (e.g. a whole attention block as an engine runs it)
/// and, where the table cannot answer from measured data, sums the operations it is made of,
/// queried by name through the core (so the plugins that provide them are never linked).
/// Its speed-of-light is the sum of the parts' speed-of-light work. Header-only.

#include <aiconf/plugin/plugin_base.h>
#include <aiconf_plugins/formula_operation.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace aiconf::plugins {

/// One operation a composed operation is made of.
struct Part {
  std::string label;   ///< what it is inside the module ("q_a_proj", "indexer.topk")
  std::string op;      ///< operation name in the registry
  std::string plugin;  ///< the plugin that provides `op` (named in the error when it is missing)
  Params key;
  double count = 1;    ///< multiplicity inside the module
  SolCost sol;         ///< the part's speed-of-light work (the module's own formula for it)
};

/// SolCost of a GEMM C[m,n] = A[m,k] B[k,n] at a table dtype: A and B read in that dtype (block
/// scales are < 0.1% of the bytes and ignored), C written in bf16.
inline SolCost gemm_sol(double m, double n, double k, const std::string& gemm_dtype) {
  SolCost c;
  const double in = dtype_bytes(gemm_dtype);
  c.compute_dtype = compute_dtype(gemm_dtype);
  c.flops = 2 * m * n * k;
  c.bytes = (m * k + k * n) * in + m * n * 2;
  return c;
}

/// One SolCost for several parts. A SolCost has one compute precision, so fp8 FLOPs are counted
/// at half their number in bf16 terms (Hopper and Blackwell tensor cores run fp8 at twice the
/// bf16 rate) and fp32 (CUDA-core) FLOPs at Hopper's ratio (67 vs 989 TFLOP/s: 14.8x the cost).
/// Bytes, interconnect terms and kernel launches add up.
inline SolCost sum_sol(const std::vector<Part>& parts) {
  SolCost total;
  total.compute_dtype = "bf16";
  total.kernels = 0;
  for (const Part& p : parts) {
    double scale = 1;
    if (p.sol.compute_dtype == "fp8") scale = 0.5;
    else if (p.sol.compute_dtype == "fp32") scale = 989.0 / 67.0;
    total.flops += p.count * p.sol.flops * scale;
    total.bytes += p.count * p.sol.bytes;
    total.comm_bytes += p.count * p.sol.comm_bytes;
    total.comm_latency_s += p.count * p.sol.comm_latency_s;
    total.comm_gpus = std::max(total.comm_gpus, p.sol.comm_gpus);
    total.kernels += static_cast<int>(p.count * std::max(p.sol.kernels, 1));
  }
  return total;
}

/// Worse of two provenances (the enum lists best first).
inline Provenance worst(Provenance a, Provenance b) { return static_cast<int>(a) >= static_cast<int>(b) ? a : b; }

/// Whether a latency came from measured rows (which carry the per-row timing overhead).
inline bool is_measured(Provenance p) {
  return p == Provenance::exact || p == Provenance::interpolated || p == Provenance::extrapolated;
}

/// A measured-table operation that falls back to the sum of its parts.
class ComposedOperation : public OperationBase {
public:
  using OperationBase::OperationBase;

protected:
  /// The parts for a key. `ctx` tells which optional operations (e.g. mla_bmm_*) are registered;
  /// speed_of_light() passes null (the work is the same whichever plugin would answer).
  virtual std::vector<Part> parts(const Params& key, const QueryContext* ctx) const = 0;

  SolCost cost(const Params& key) const override { return sum_sol(parts(key, nullptr)); }

  Status compute(const Params& key, const QueryContext& ctx, Latency* out) const override {
    Latency table;
    Status looked = ctx.lookup(*this, key, &table);
    const bool measured = looked.is_ok() && is_measured(table.provenance);
    if (measured) {
      *out = std::move(table);
      return Status::ok();
    }
    // The module table cannot answer from measurements: the sum of the parts, each through its
    // own table, is closer to the truth than the module's own speed-of-light.
    Latency sum;
    sum.provenance = Provenance::exact;
    double launched = 0, largest = 0;  // measured part launches; the largest part's latency
    for (Part& p : parts(key, &ctx)) {
      if (!ctx.has_operation(p.op))
        throw Error(std::string(name()) + ": part '" + p.label + "' needs operation '" + p.op + "' from plugin '" + p.plugin +
                    "' (libaiconf_" + p.plugin + ".so), which is not loaded; add that plugin to the plugin directory");
      Latency part;
      Status s = ctx.query(p.op, p.key, &part);
      if (!s) throw Error(std::string(name()) + ": part '" + p.label + "' (" + p.op + " " + p.key.str() + "): " + s.message());
      sum.ms += p.count * part.ms;
      largest = std::max(largest, part.ms);
      if (is_measured(part.provenance)) launched += p.count;
      sum.provenance = worst(sum.provenance, part.provenance);
      const std::string label = p.count == 1 ? p.label : p.label + " x" + std::to_string(static_cast<long long>(p.count));
      sum.parts.emplace_back(label, std::move(part));
    }
    sum.note = std::string("summed from ") + std::to_string(sum.parts.size()) + " parts: " +
               (looked.is_ok() ? "the module table gave only " + std::string(to_string(table.provenance))
                               : "no measured module row (" + looked.message() + ")");
    // Each measured part was timed alone and carries the card's per-row overhead; inside the module
    // the kernels run back to back, so all but one of those overheads go (never below the largest part).
    const double overhead_ms = ctx.system().row_overhead_us * 1e-3;
    if (overhead_ms > 0 && launched > 1) {
      const double cut = std::min((launched - 1) * overhead_ms, sum.ms - largest);
      if (cut > 0) {
        sum.ms -= cut;
        char buf[96];
        std::snprintf(buf, sizeof buf, "; minus %.0f x %.2f us per-row overhead (system row_overhead_us)", launched - 1,
                      ctx.system().row_overhead_us);
        sum.note += buf;
      }
    }
    *out = std::move(sum);
    return Status::ok();
  }
};

}  // namespace aiconf::plugins
