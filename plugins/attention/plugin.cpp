// Entry of the attention plugin: GQA/MHA attention for Llama/Qwen/Mistral and the dense_gqa family.
#include <aiconf/plugin/abi.h>

#include "attention_collectors.h"
#include "attention_mock_layers.h"
#include "attention_ops.h"
#include "dense_gqa_builder.h"

namespace {
void register_attention(aiconf::Registrar& r) {
  using namespace aiconf::attention;
  for (const char* arch : {"LlamaForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM", "MistralForCausalLM"})
    aiconf::throw_if_error(r.add_arch_mapping(arch, kDenseFamily));
  aiconf::throw_if_error(r.add_detection_rule(new DenseGqaDetectionRule));
  register_attention_operations(r);
  aiconf::throw_if_error(r.add_model_builder(new DenseGqaBuilder));
  register_attention_collectors(r);
  register_attention_mock_layers(r);  // none in a build without CUDA
}
}  // namespace

AICONF_PLUGIN("attention", "0.1.0", "GQA/MHA attention (context, generation) and the dense_gqa model family",
              register_attention)
