#include <aiconf/model_sol_key.h>

#include <algorithm>
#include <set>

namespace aiconf {

Status model_sol_key(const Registry& reg, const ModelConfig& cfg, const Operation& op, Params* out) noexcept {
  try {
    *out = Params{};
    const ModelBuilder* builder = reg.find_builder(cfg.family);
    if (!builder)
      return Status::error(cfg.source + ": no loaded plugin builds model family '" + cfg.family +
                           "': its dimensions cannot complete " + op.name() + "'s speed-of-light key");
    std::set<std::string, std::less<>> columns;
    for (const auto& c : op.schema().keys) columns.insert(c.name);
    // Both phases (a context module and a generation module are distinct operations of one model),
    // each at two different sizes: an entry that is not a column yet changes with batch or length
    // is a per-call size, not a model dimension, and two equal-sized probes could not tell.
    std::vector<std::pair<std::string, Value>> kept;
    std::set<std::string> conflicting;
    for (StepShape shape : {StepShape{Phase::context, 1, 1, 0}, StepShape{Phase::context, 2, 3, 4},
                            StepShape{Phase::generation, 1, 1, 1}, StepShape{Phase::generation, 3, 1, 6}}) {
      Model m;
      if (Status s = builder->build(cfg, ParallelConfig{}, shape, &m); !s)
        return Status::error(cfg.source + ": building a " + to_string(shape.phase) + " step of family '" + cfg.family +
                             "' to read " + op.name() + "'s dimensions: " + s.message());
      for (const auto& inv : m.ops) {
        if (inv.op != op.name()) continue;
        for (const auto& [k, v] : inv.key.items()) {
          if (columns.count(k) || conflicting.count(k)) continue;
          auto it = std::find_if(kept.begin(), kept.end(), [&](const auto& e) { return e.first == k; });
          if (it == kept.end()) kept.emplace_back(k, v);
          else if (!(it->second == v)) {
            // Varies between calls (a per-call size, not a model dimension): not a constant to add.
            conflicting.insert(k);
            kept.erase(it);
          }
        }
      }
    }
    for (auto& [k, v] : kept) out->set(k, std::move(v));
    return Status::ok();
  } catch (const std::exception& e) {
    return Status::error(cfg.source + ": " + op.name() + "'s dimensions from the model: " + e.what());
  }
}

}  // namespace aiconf
