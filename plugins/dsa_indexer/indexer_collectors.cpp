// Standard sweeps of the indexer tables. Dimensions come from the model config (--model).
#include "indexer_collectors.h"

#include <aiconf_plugins/standard_sweeps.h>
#include <aiconf_plugins/sweep_collector.h>

namespace aiconf::dsa {
using namespace aiconf::plugins;

namespace {

Params dims(const ModelConfig& m) {
  return Params{{"index_n_heads", m.integer("dsa", "index_n_heads")},
                {"index_head_dim", m.integer("dsa", "index_head_dim")},
                {"index_topk", m.integer("dsa", "index_topk")}};
}

std::vector<Params> context_cases(const SweepOptions& opt, const char* who) {
  const ModelConfig& m = require_model(opt, who);
  const auto topk = m.integer("dsa", "index_topk");
  std::vector<Params> out;
  for (auto b : context_batches(opt.quick))
    for (auto isl : context_lengths(opt.quick, topk))
      if (b * isl <= kContextTokenLimit) out.push_back(Params(dims(m)).set("batch_size", b).set("isl", isl).set("step", std::int64_t(0)));
  return out;
}

std::vector<Params> generation_cases(const SweepOptions& opt, const char* who) {
  const ModelConfig& m = require_model(opt, who);
  const auto topk = m.integer("dsa", "index_topk");
  std::vector<Params> out;
  for (std::int64_t next_n : opt.quick ? std::vector<std::int64_t>{1} : std::vector<std::int64_t>{1, 2})
    for (auto b : generation_batches(opt.quick))
      for (auto past : generation_lengths(opt.quick, topk))
        if (b * past <= kGenerationTokenLimit)
          out.push_back(Params(dims(m)).set("batch_size", b).set("isl", next_n).set("step", past));
  return out;
}

std::vector<Params> logits_context(const SweepOptions& o) { return context_cases(o, "dsa_indexer_logits_context"); }
std::vector<Params> logits_generation(const SweepOptions& o) { return generation_cases(o, "dsa_indexer_logits_generation"); }
std::vector<Params> topk_context(const SweepOptions& o) { return context_cases(o, "dsa_topk_context"); }
std::vector<Params> topk_generation(const SweepOptions& o) { return generation_cases(o, "dsa_topk_generation"); }

}  // namespace

void register_indexer_collectors(Registrar& r) {
  for (auto [name, fn] : {std::pair{"dsa_indexer_logits_context", &logits_context},
                          std::pair{"dsa_indexer_logits_generation", &logits_generation},
                          std::pair{"dsa_topk_context", &topk_context}, std::pair{"dsa_topk_generation", &topk_generation}})
    throw_if_error(r.add_collector(new SweepCollector(name, name, name, fn)));
}

}  // namespace aiconf::dsa
