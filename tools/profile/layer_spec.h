#pragma once
/// \file layer_spec.h
/// What `aiconf-profile` is asked to run: one or more mock layers, each with a shape given as
/// key=value words, separated by "+" on the command line:
///   dsa_indexer_logits_context index_n_heads=64 index_head_dim=128 batch_size=1 isl=4096 + dsa_topk_context ...
/// CPU only.

#include <aiconf/status.h>
#include <aiconf/value.h>

#include <string>
#include <vector>

namespace aiconf::profile {

struct LayerSpec {
  std::string name;  ///< mock layer factory name
  Params shape;      ///< as given (typed: integer, real, else string)
};

/// "k=v" into a typed value: an integer when v is one, a real when v is one, else the string.
Status parse_key_value(const std::string& kv, std::string* key, Value* value);
/// Splits the positional words at "+" into layer specs. Error names the offending word.
Status parse_layer_specs(const std::vector<std::string>& words, std::vector<LayerSpec>* out);

}  // namespace aiconf::profile
