// The deepseek plugin: parameter and cache sizes (DeepSeek-V3, V3.2, a DSA model with other
// dimensions found by dsa_indexer's detection rule) and per-GPU step op lists checked by hand.
#include "deepseek_plugins_fixture.h"

using namespace aiconf;
using namespace aiconf::test;

namespace {

void load_deepseek_side(Registry& reg) { load_real_plugins(reg, {"dsa_indexer", "mla", "sparse_mla", "deepseek"}); }

ModelConfig load(const Registry& reg, const std::string& path) {
  ModelConfig cfg;
  Status s = load_model_config(path, reg, &cfg);
  INFO(s.message());
  REQUIRE(s.is_ok());
  return cfg;
}

ModelSummary summary_of(const Registry& reg, const ModelConfig& cfg) {
  const ModelBuilder* b = reg.find_builder(cfg.family);
  REQUIRE(b != nullptr);
  ModelSummary sum;
  Status s = b->summarize(cfg, &sum);
  INFO(s.message());
  REQUIRE(s.is_ok());
  return sum;
}

Status build(const Registry& reg, const ModelConfig& cfg, const ParallelConfig& par, const StepShape& shape, Model* out) {
  const ModelBuilder* b = reg.find_builder(cfg.family);
  REQUIRE(b != nullptr);
  return b->build(cfg, par, shape, out);
}

const OpInvocation& by_label(const Model& m, const std::string& label) {
  for (const auto& op : m.ops)
    if (op.label == label) return op;
  FAIL("no op labelled " << label);
  throw;
}

// A DSA model nobody has named, with dimensions unlike DeepSeek-V3.2's.
const char* kAcme = R"({
  "architectures": ["AcmeSparseForCausalLM"], "model_type": "acme", "hidden_size": 1024, "num_hidden_layers": 4,
  "num_attention_heads": 16, "num_key_value_heads": 16, "intermediate_size": 4096, "vocab_size": 1000,
  "max_position_embeddings": 4096, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
  "kv_lora_rank": 256, "qk_rope_head_dim": 32, "qk_nope_head_dim": 64, "v_head_dim": 64, "q_lora_rank": 384,
  "index_n_heads": 8, "index_head_dim": 64, "index_topk": 256,
  "n_routed_experts": 8, "num_experts_per_tok": 2, "moe_intermediate_size": 512, "n_shared_experts": 1,
  "first_k_dense_replace": 1, "moe_layer_freq": 1, "num_nextn_predict_layers": 0})";

}  // namespace

TEST_CASE("deepseek: DeepSeek-V3 has 671B main-model parameters, 37B active, a 1152 B latent cache") {
  Registry reg;
  load_deepseek_side(reg);
  ModelConfig cfg = load(reg, example_config("DeepSeek-V3.json"));
  REQUIRE(cfg.family == "deepseek_v3");
  ModelSummary sum = summary_of(reg, cfg);
  // `parameters` is the main model; the ~11.6B MTP layer (embedding and head shared) is in the notes.
  CHECK(sum.parameters == Approx(671e9).epsilon(0.01));
  CHECK(sum.active_parameters == Approx(37e9).epsilon(0.03));
  CHECK(contains(sum.notes, "MTP: 1 layer(s), 11.6"));
  // fp8 block-quantized linear weights: about one byte per parameter plus bf16 embeddings.
  CHECK(sum.weight_bytes > 0.99 * sum.parameters);
  CHECK(sum.weight_bytes < 1.02 * sum.parameters);
  CHECK(sum.kv_bytes_per_token_per_layer == Approx(1152));
  CHECK(sum.attention_layers == 61);
}

TEST_CASE("deepseek: DeepSeek-V3.2 adds the indexer and its 132 B index cache") {
  Registry reg;
  load_deepseek_side(reg);
  ModelConfig v32 = load(reg, example_config("DeepSeek-V3.2.json"));
  ModelConfig v3 = load(reg, example_config("DeepSeek-V3.json"));
  REQUIRE(v32.family == "deepseek_v32");
  ModelSummary a = summary_of(reg, v32), b = summary_of(reg, v3);
  CHECK(a.kv_bytes_per_token_per_layer == Approx(1152 + 132));
  // Indexer per layer: wq_b 1536*64*128 + wk 7168*128 + k_norm 2*128 + weights_proj 7168*64.
  const double indexer = 1536.0 * 64 * 128 + 7168.0 * 128 + 256 + 7168.0 * 64;
  CHECK(a.parameters - b.parameters == Approx(61 * indexer));
  // The NVFP4 example has no quantization_config: counted at its torch_dtype.
  ModelConfig nv = load(reg, example_config("DeepSeek-V3.2-NVFP4.json"));
  CHECK(summary_of(reg, nv).weight_bytes == Approx(2 * a.parameters));
}

TEST_CASE("deepseek: a DSA model with another architecture name is detected and sized by its own dims") {
  Registry reg;
  load_deepseek_side(reg);
  ModelConfig cfg = load(reg, temp_config("acme_dsa.json", kAcme));
  CHECK(cfg.family == "deepseek_v32");
  CHECK(contains(cfg.detected_by, "dsa_indexer"));
  ModelSummary sum = summary_of(reg, cfg);
  const double attention = 1024.0 * 384 + 384 + 384.0 * 16 * 96  // q_a, q_a_norm, q_b
                           + 1024.0 * 288 + 256 + 256.0 * 16 * 128  // kv_a, kv_a_norm, kv_b
                           + 16.0 * 64 * 1024                       // o_proj
                           + 384.0 * 8 * 64 + 1024.0 * 64 + 128 + 1024.0 * 8  // indexer
                           + 2 * 1024.0;                            // layer norms
  const double dense = 3.0 * 1024 * 4096;
  const double moe = 9.0 * 3 * 1024 * 512 + 8.0 * 1024 + 8;  // 8 routed + 1 shared, router + bias
  const double total = 4 * attention + dense + 3 * moe + 2 * 1000.0 * 1024 + 1024;
  CHECK(sum.parameters == Approx(total));
  CHECK(sum.active_parameters == Approx(total - 3 * 6.0 * 3 * 1024 * 512));
  CHECK(sum.weight_bytes == Approx(2 * total));
  CHECK(sum.kv_bytes_per_token_per_layer == Approx((256 + 32) * 2 + 64 + 4));
  CHECK(sum.attention_layers == 4);

  Model m;
  REQUIRE(build(reg, cfg, ParallelConfig{2, 1, 1, 2, 1}, StepShape{Phase::context, 2, 300, 0}, &m).is_ok());
  const auto& attn = by_label(m, "layers[0..3].attn");
  CHECK(attn.op == "dsa_context_module");
  CHECK(attn.key.integer("num_heads") == 8);
  CHECK(attn.key.integer("kv_lora_rank") == 256);
  CHECK(attn.key.integer("index_topk") == 256);
  CHECK(attn.key.text("architecture") == "AcmeSparseForCausalLM");
  CHECK(attn.key.text("gemm_type") == "bfloat16");
  CHECK(by_label(m, "layers[1..3].moe.experts").key.integer("num_experts") == 8);
}

TEST_CASE("deepseek: V3.2 generation step with attention DP and expert parallelism, by hand") {
  Registry reg;
  load_deepseek_side(reg);
  ModelConfig cfg = load(reg, example_config("DeepSeek-V3.2.json"));
  ParallelConfig par;
  par.tp = 2;
  par.dp = 2;
  par.ep = 4;
  par.moe_tp = 1;
  Model m;
  Status s = build(reg, cfg, par, StepShape{Phase::generation, 8, 2, 1000}, &m);
  INFO(s.message());
  REQUIRE(s.is_ok());
  // 17 main ops (embedding, 4 per attention, 3 dense MLP, 7 MoE, final norm, lm_head) + 15 MTP ops.
  CHECK(m.ops.size() == 32);
  const std::int64_t tokens = 16;  // batch 8 x (1 + 1 MTP draft)
  const auto& attn = by_label(m, "layers[0..60].attn");
  CHECK(attn.op == "dsa_generation_module");
  CHECK(attn.count == 61);
  CHECK(attn.key.integer("num_heads") == 64);
  CHECK(attn.key.integer("batch_size") == 8);
  CHECK(attn.key.integer("isl") == 2);
  CHECK(attn.key.integer("step") == 1000);
  CHECK(attn.key.text("gemm_type") == "fp8_block");
  const auto& ar = by_label(m, "layers[0..60].attn.all_reduce");
  CHECK(ar.key.integer("num_gpus") == 2);
  CHECK(ar.key.text("nccl_dtype") == "half");
  CHECK(ar.key.integer("message_size") == tokens * 7168);  // elements
  const auto& up = by_label(m, "layers[0..2].mlp.gate_up");
  CHECK(up.count == 3);
  CHECK(up.key.integer("m") == tokens);
  CHECK(up.key.integer("n") == 18432);  // 2 * 18432 / tp
  CHECK(by_label(m, "layers[0..2].mlp.down").key.integer("k") == 9216);
  const auto& moe = by_label(m, "layers[3..60].moe.experts");
  CHECK(moe.count == 58);
  CHECK(moe.key.integer("num_tokens") == tokens * 2);  // both attention-DP ranks' tokens
  CHECK(moe.key.integer("moe_ep_size") == 4);
  CHECK(moe.key.integer("moe_tp_size") == 1);
  CHECK(moe.key.text("distribution") == "power_law_1.01");
  const auto& dispatch = by_label(m, "layers[3..60].moe.dispatch");
  CHECK(dispatch.key.integer("num_gpus") == 4);                        // tp x dp
  CHECK(dispatch.key.integer("message_size") == tokens * 8 * 7168);  // one copy per chosen expert
  CHECK(by_label(m, "layers[3..60].moe.combine").op == "alltoall");
  CHECK(by_label(m, "layers[3..60].moe.router").key.integer("n") == 256);
  CHECK(by_label(m, "layers[3..60].moe.shared_gate_up").key.integer("n") == 2048);  // 2 * 2048 / tp
  CHECK(by_label(m, "lm_head").key.integer("n") == 64640);
  CHECK(by_label(m, "lm_head").key.integer("m") == tokens);
  CHECK(by_label(m, "mtp.attn").count == 1);
  CHECK(by_label(m, "mtp.enorm_hnorm").count == 2);
  CHECK(by_label(m, "mtp.eh_proj").key.integer("k") == 2 * 7168);
}

TEST_CASE("deepseek: V3 context step on tp 8 with pipeline stages") {
  Registry reg;
  load_deepseek_side(reg);
  ModelConfig cfg = load(reg, example_config("DeepSeek-V3.json"));
  ParallelConfig par;
  par.tp = 8;
  par.pp = 2;
  par.ep = 8;
  Model m;
  REQUIRE(build(reg, cfg, par, StepShape{Phase::context, 2, 1000, 0}, &m).is_ok());
  const std::string stage = " (largest of 2 pipeline stages)";
  const auto& attn = by_label(m, "layers[0..60].attn" + stage);
  CHECK(attn.op == "mla_context_module");
  CHECK(attn.count == 31);
  CHECK(by_label(m, "layers[3..60].moe.experts" + stage).count == Approx(58.0 * 31 / 61));
  CHECK(attn.key.integer("num_heads") == 16);
  CHECK(attn.key.integer("isl") == 1000);
  CHECK(by_label(m, "lm_head").key.integer("m") == 2);  // last token of each sequence only
  CHECK(by_label(m, "pipeline.p2p").key.integer("message_size") == 2000 * 7168);
  for (const auto& op : m.ops) CHECK_FALSE(contains(op.label, "mtp"));
}

TEST_CASE("deepseek: parallel configs that do not divide the model are refused by name") {
  Registry reg;
  load_deepseek_side(reg);
  ModelConfig cfg = load(reg, example_config("DeepSeek-V3.2.json"));
  Model m;
  ParallelConfig par;
  par.tp = 3;
  par.moe_tp = 3;
  Status s = build(reg, cfg, par, StepShape{}, &m);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "num_attention_heads (128) is not divisible by tp (3)"));
  par = ParallelConfig{};
  par.tp = 2;
  par.ep = 4;
  s = build(reg, cfg, par, StepShape{}, &m);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "moe_tp * ep"));
}

TEST_CASE("deepseek: without the sparse_mla plugin the V3.2 builder names it") {
  Registry reg;
  load_real_plugins(reg, {"dsa_indexer", "mla", "deepseek"});
  ModelConfig cfg = load(reg, example_config("DeepSeek-V3.2.json"));
  ModelSummary sum;
  Status s = reg.find_builder("deepseek_v32")->summarize(cfg, &sum);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "libaiconf_sparse_mla.so"));
}
