// MLA module. Context (MHA mode): q_a, q_b, kv_a, kv_b (decompressing the latent of every visible
// token, prefix included), mla_context, o_proj. Generation (absorbed MQA mode): q_a, q_b, kv_a,
// q absorption BMM, mla_generation, output BMM, o_proj. num_heads heads on one GPU, batch_size *
// isl new tokens; dimensions travel in the key.
#include "mla_module.h"

#include "mla_ops.h"

#include <aiconf_plugins/mla_module_parts.h>

namespace aiconf::mla {
using namespace aiconf::plugins;

namespace {

class MlaModule final : public ComposedOperation {
public:
  explicit MlaModule(bool context)
      : ComposedOperation(context ? "mla_context_module" : "mla_generation_module",
                          context ? "one layer's dense MLA attention block in prefill (MHA mode)"
                                  : "one layer's dense MLA attention block in decode (absorbed MQA mode)",
                          attention_module_schema(context ? "mla_context_module_perf" : "mla_generation_module_perf",
                                                  context ? "mla_context_module" : "mla_generation_module")),
        context_(context) {}

protected:
  std::vector<Part> parts(const Params& key, const QueryContext* ctx) const override {
    const MlaDims d = mla_dims_from_key(key);
    const std::int64_t b = key.integer("batch_size"), isl = key.integer("isl"), step = key.integer_or("step", 0);
    const std::string gemm_type = key.text("gemm_type"), dtype = gemm_dtype_of(gemm_type);
    const double m = double(b) * double(isl);
    Params attn_key{{"mla_dtype", key.text_or("mla_dtype", "bfloat16")}, {"kv_cache_dtype", key.text("kv_cache_dtype")},
                    {"num_heads", d.num_heads}, {"batch_size", b}, {"isl", isl}, {"step", step}};
    put_mla_dims(attn_key, d);

    std::vector<Part> parts;
    add_input_projections(parts, d, m, dtype);
    Part attn;
    attn.op = context_ ? "mla_context" : "mla_generation";
    attn.label = attn.op;
    attn.plugin = "mla";
    attn.key = attn_key;
    attn.sol = context_ ? mla_context_sol(attn_key) : mla_generation_sol(attn_key);
    if (context_) {
      parts.push_back(gemm_part("kv_b_proj", double(b) * double(isl + step), d.num_heads * (d.qk_nope_head_dim + d.v_head_dim),
                                d.kv_lora_rank, dtype));
      parts.push_back(std::move(attn));
    } else {
      parts.push_back(absorb_part(true, d, m, gemm_type, ctx));
      parts.push_back(std::move(attn));
      parts.push_back(absorb_part(false, d, m, gemm_type, ctx));
    }
    add_output_projection(parts, d, m, dtype);
    return parts;
  }

private:
  bool context_;
};

}  // namespace

void register_mla_modules(Registrar& r) {
  throw_if_error(r.add_operation(new MlaModule(true)));
  throw_if_error(r.add_operation(new MlaModule(false)));
}

}  // namespace aiconf::mla
