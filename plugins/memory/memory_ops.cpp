// Byte formulas of the memory-bound operations (their FLOPs never bind on a GPU).
#include "memory_ops.h"

#include <aiconf_plugins/formula_operation.h>

#include <cmath>

namespace aiconf::memory {
using namespace aiconf::plugins;

SolCost memory_op_cost(const std::string& op, const Params& key) {
  const double t = key.number("num_tokens"), h = key.number("hidden_size");
  if (!(t >= 1) || !(h >= 1)) throw Error(op + " key " + key.str() + ": expected num_tokens >= 1 and hidden_size >= 1");
  const double b = dtype_bytes(key.text("dtype"));
  const double bf16 = 2;
  SolCost c;
  c.compute_dtype = "fp32";
  if (op == "embedding") {
    c.bytes = t * 4 + 2 * t * h * b;
  } else if (op == "rms_norm") {
    c.bytes = 2 * t * h * b + h * b;
  } else if (op == "activation") {
    c.bytes = 3 * t * h * b;
  } else if (op == "quantize") {
    c.bytes = t * h * bf16 + t * h * b + t * std::ceil(h / 128) * 4;
  } else if (op == "kv_cache_write") {
    c.bytes = t * h * bf16 + t * h * b;
  } else if (op == "elementwise") {
    c.bytes = 3 * t * h * b;
  } else {
    throw Error("memory op '" + op + "' is not known (expected embedding, rms_norm, activation, quantize, kv_cache_write, elementwise)");
  }
  return c;
}

namespace {

// A FormulaOperation takes a plain function; one per op keeps the op name out of the key.
template <const char* Name>
SolCost cost_of(const Params& key) {
  return memory_op_cost(Name, key);
}

constexpr char kEmbedding[] = "embedding", kRmsNorm[] = "rms_norm", kActivation[] = "activation",
               kQuantize[] = "quantize", kKvCacheWrite[] = "kv_cache_write", kElementwise[] = "elementwise";

}  // namespace

void register_memory_operations(Registrar& r) {
  struct Entry {
    const char* name;
    const char* what;
    CostFormula f;
  };
  for (const Entry& e :
       {Entry{kEmbedding, "token embedding lookup: gather num_tokens rows of the table", &cost_of<kEmbedding>},
        Entry{kRmsNorm, "RMSNorm of num_tokens rows of hidden_size", &cost_of<kRmsNorm>},
        Entry{kActivation, "gated activation SiLU(gate) * up; hidden_size is the output width", &cost_of<kActivation>},
        Entry{kQuantize, "bf16 -> dtype (fp8) quantization with one fp32 scale per 1x128 group", &cost_of<kQuantize>},
        Entry{kKvCacheWrite, "write new tokens' K and V (hidden_size = K+V width) into the KV cache in dtype",
              &cost_of<kKvCacheWrite>},
        Entry{kElementwise, "binary elementwise op (residual add) of num_tokens x hidden_size", &cost_of<kElementwise>}}) {
    TableSchema schema{"memory_op_perf", {e.name},
                       {numeric("num_tokens", AxisTransform::log), numeric("hidden_size", AxisTransform::log), categorical("dtype")}};
    throw_if_error(r.add_operation(new FormulaOperation(e.name, e.what, std::move(schema), e.f)));
  }
}

}  // namespace aiconf::memory
