#pragma once
/// \file formula_operation.h
/// An operation defined by its table schema and a speed-of-light formula (a plain function), the
/// shape most operator plugins need. Header-only, compiled into each plugin.

#include <aiconf/plugin/plugin_base.h>

namespace aiconf::plugins {

/// Speed-of-light work for a query key; throws aiconf::Error naming a bad or missing key.
using CostFormula = SolCost (*)(const Params& key);

class FormulaOperation final : public OperationBase {
public:
  FormulaOperation(std::string name, std::string description, TableSchema schema, CostFormula formula)
      : OperationBase(std::move(name), std::move(description), std::move(schema)), formula_(formula) {}

protected:
  SolCost cost(const Params& key) const override { return formula_(key); }

private:
  CostFormula formula_;
};

/// Column shorthands for schemas.
/// The transform of the cached-tokens axis (`step`) of an attention-like table: sqrt in context
/// tables (prefill work grows with new x cached tokens), affine in generation tables (decode time is
/// a fixed cost plus cached-token bytes, a + b * step: blending the latency itself follows it
/// exactly; leave-one-out on generation_mla_perf 1.30% -> 1.16% interior on H200).
inline AxisTransform past_length_transform(const std::string& table) {
  return table.find("generation") != std::string::npos ? AxisTransform::affine : AxisTransform::sqrt;
}

inline Column numeric(std::string name, AxisTransform t = AxisTransform::linear) {
  return Column{std::move(name), ColumnKind::numeric, t};
}
inline Column numeric_or(std::string name, AxisTransform t, double default_value) {
  return Column{std::move(name), ColumnKind::numeric, t, default_value};
}
inline Column categorical(std::string name) { return Column{std::move(name), ColumnKind::categorical}; }

/// Bytes of one element of a dtype name used in tables ("bfloat16", "fp8", "float32", ...).
inline double dtype_bytes(const std::string& dtype) {
  if (dtype == "fp8" || dtype == "fp8_e4m3" || dtype == "fp8_block" || dtype == "int8") return 1;
  if (dtype == "bfloat16" || dtype == "float16" || dtype == "half" || dtype == "bf16" || dtype == "fp16") return 2;
  if (dtype == "float32" || dtype == "fp32" || dtype == "float") return 4;
  if (dtype == "nvfp4" || dtype == "fp4" || dtype == "w4a8" || dtype == "int4") return 0.5;
  throw Error("unknown dtype '" + dtype + "' (expected bfloat16, float16, fp8, fp8_block, float32, nvfp4)");
}

/// The tensor-core precision of a dtype name, as SolCost::compute_dtype wants it.
inline std::string compute_dtype(const std::string& dtype) {
  return dtype_bytes(dtype) <= 1 ? "fp8" : (dtype_bytes(dtype) == 4 ? "fp32" : "bf16");
}

}  // namespace aiconf::plugins
