// DSA module = projections (q_a, q_b, kv_a, indexer wq_b / wk / weights_proj, o_proj) + q/o
// absorption BMMs + indexer logits + top-k + sparse MLA, for num_heads heads on one GPU and
// batch_size * isl new tokens. Keys: the table columns plus every MLA/DSA dimension (builders put
// them there from the config).
#include "dsa_module.h"

#include "sparse_mla_ops.h"

#include <aiconf_plugins/attention_shapes.h>
#include <aiconf_plugins/mla_module_parts.h>

namespace aiconf::sparse_mla {
using namespace aiconf::plugins;

namespace {

// The indexer's speed-of-light, the same formulas as the dsa_indexer plugin's operations (kept
// here because a plugin's speed-of-light cannot query another plugin).
SolCost indexer_logits_sol(double h, double d, double b, double isl, double step) {
  SolCost c;
  c.compute_dtype = "fp8";
  c.flops = 2 * h * d * b * causal_pairs(isl, step);
  c.bytes = b * (isl * h * d + isl * h * 4 + (step + isl) * (d + 4) + isl * (step + isl) * 4);
  return c;
}

SolCost topk_sol(double k, double b, double isl, double step) {
  SolCost c;
  c.compute_dtype = "fp32";
  c.bytes = b * (4 * causal_pairs(isl, step) + 4 * isl * k);
  return c;
}

class DsaModule final : public ComposedOperation {
public:
  DsaModule(bool context, TableSchema schema)
      : ComposedOperation(context ? "dsa_context_module" : "dsa_generation_module",
                          context ? "one layer's DSA attention block in prefill: projections, indexer, top-k, sparse MLA"
                                  : "one layer's DSA attention block in decode: projections, indexer, top-k, sparse MLA",
                          std::move(schema)),
        context_(context) {}

protected:
  std::vector<Part> parts(const Params& key, const QueryContext* ctx) const override {
    const MlaDims d = mla_dims_from_key(key);
    if (d.q_lora_rank <= 0) throw Error("key 'q_lora_rank': expected a positive query latent rank (the DSA indexer projects it)");
    const std::int64_t idx_heads = key.integer("index_n_heads"), idx_dim = key.integer("index_head_dim");
    const std::int64_t topk = key.integer("index_topk");
    const std::int64_t b = key.integer("batch_size"), isl = key.integer("isl"), step = key.integer_or("step", 0);
    const std::string gemm_type = key.text("gemm_type"), dtype = gemm_dtype_of(gemm_type);
    const std::string kv_dtype = key.text("kv_cache_dtype");
    const double m = double(b) * double(isl);
    const char* phase = context_ ? "context" : "generation";

    std::vector<Part> parts;
    add_input_projections(parts, d, m, dtype);
    // The indexer's projections are not split by tensor parallelism (every rank scores all keys).
    parts.push_back(gemm_part("indexer.wq_b", m, idx_heads * idx_dim, d.q_lora_rank, dtype));
    parts.push_back(gemm_part("indexer.wk", m, idx_dim, d.hidden_size, dtype));
    parts.push_back(gemm_part("indexer.weights_proj", m, idx_heads, d.hidden_size, "bfloat16"));

    Part logits;
    logits.label = "indexer.logits";
    logits.op = std::string("dsa_indexer_logits_") + phase;
    logits.plugin = "dsa_indexer";
    logits.key = Params{{"index_n_heads", idx_heads}, {"index_head_dim", idx_dim}, {"batch_size", b}, {"isl", isl}, {"step", step}};
    logits.sol = indexer_logits_sol(double(idx_heads), double(idx_dim), double(b), double(isl), double(step));
    parts.push_back(std::move(logits));

    Part topk_part;
    topk_part.label = "indexer.topk";
    topk_part.op = std::string("dsa_topk_") + phase;
    topk_part.plugin = "dsa_indexer";
    topk_part.key = Params{{"index_topk", topk}, {"batch_size", b}, {"isl", isl}, {"step", step}};
    topk_part.sol = topk_sol(double(topk), double(b), double(isl), double(step));
    parts.push_back(std::move(topk_part));

    // Sparse MLA runs in MQA mode in both phases: q_nope is absorbed into the latent before it
    // and the latent output is projected to v after it.
    parts.push_back(absorb_part(true, d, m, gemm_type, ctx));
    Part attn;
    attn.label = "sparse_mla";
    attn.op = std::string("sparse_mla_") + phase;
    attn.plugin = "sparse_mla";
    attn.key = Params{{"num_heads", d.num_heads}, {"kv_lora_rank", d.kv_lora_rank}, {"qk_rope_head_dim", d.qk_rope_head_dim},
                      {"index_topk", topk}, {"kv_cache_dtype", kv_dtype}, {"batch_size", b}, {"isl", isl}, {"step", step}};
    attn.sol = sparse_mla_sol(attn.key);
    parts.push_back(std::move(attn));
    parts.push_back(absorb_part(false, d, m, gemm_type, ctx));
    add_output_projection(parts, d, m, dtype);
    return parts;
  }

private:
  bool context_;
};

}  // namespace

void register_dsa_modules(Registrar& r) {
  throw_if_error(r.add_operation(new DsaModule(true, attention_module_schema("dsa_context_module_perf", "dsa_context_module"))));
  throw_if_error(r.add_operation(new DsaModule(false, attention_module_schema("dsa_generation_module_perf", "dsa_generation_module"))));
}

}  // namespace aiconf::sparse_mla
