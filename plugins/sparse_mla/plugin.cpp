// Entry of the sparse_mla plugin: sparse MLA over top-k selected keys and the DSA attention block.
#include <aiconf/plugin/abi.h>

#include "dsa_module.h"
#include "sparse_mla_collectors.h"
#include "sparse_mla_config.h"
#include "sparse_mla_mock_layers.h"
#include "sparse_mla_ops.h"

namespace {
void register_sparse_mla(aiconf::Registrar& r) {
  using namespace aiconf::sparse_mla;
  aiconf::throw_if_error(r.add_config_parser(new SparseMlaConfigParser));
  register_sparse_mla_operations(r);
  register_dsa_modules(r);
  register_sparse_mla_collectors(r);
  register_sparse_mla_mock_layers(r);  // none in a build without CUDA
}
}  // namespace

AICONF_PLUGIN("sparse_mla", "0.1.0",
              "DeepSeek Sparse Attention: sparse MLA over top-k keys (MQA mode) and the DSA attention-block modules",
              register_sparse_mla)
