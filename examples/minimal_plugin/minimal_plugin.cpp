// The smallest useful plugin: one architecture mapping, one config parser and one operation
// (a fused "swiglu" activation whose speed-of-light is its memory traffic). Everything a plugin
// registers goes through the Registrar; the AICONF_PLUGIN macro writes the versioned entry.
#include <aiconf/plugin/abi.h>
#include <aiconf/plugin/plugin_base.h>

namespace {

class SwigluOp final : public aiconf::OperationBase {
public:
  SwigluOp()
      : OperationBase("minimal_swiglu", "silu(gate) * up over num_tokens x width bf16 values",
                      {"minimal_swiglu_perf",
                       {"minimal_swiglu"},
                       {{"num_tokens", aiconf::ColumnKind::numeric, aiconf::AxisTransform::log},
                        {"width", aiconf::ColumnKind::numeric, aiconf::AxisTransform::log}}}) {}

protected:
  aiconf::SolCost cost(const aiconf::Params& key) const override {
    aiconf::SolCost c;
    const double elems = key.number("num_tokens") * key.number("width");
    c.bytes = elems * 2 * 2 + elems * 2;  // read gate and up, write the product (bf16)
    c.flops = elems * 4;
    c.compute_dtype = "fp32";
    return c;
  }
};

// Reads one field of its own into the "minimal" extension.
class MinimalParser final : public aiconf::ConfigParserBase {
public:
  MinimalParser() : ConfigParserBase("minimal", "minimal", {"minimal_family"}) {}

protected:
  void read(const aiconf::ConfigView& json, aiconf::ModelConfig& cfg) const override {
    take_int(json, cfg, "intermediate_size");
  }
};

void register_minimal(aiconf::Registrar& r) {
  aiconf::throw_if_error(r.add_arch_mapping("MinimalForCausalLM", "minimal_family"));
  aiconf::throw_if_error(r.add_config_parser(new MinimalParser));
  aiconf::throw_if_error(r.add_operation(new SwigluOp));
}

}  // namespace

AICONF_PLUGIN("minimal", "1.0.0", "example out-of-tree plugin: one operation, one architecture mapping", register_minimal)
