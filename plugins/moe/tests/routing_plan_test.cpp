// CPU test of the moe mock layer's routing plan (mock/moe_routing_plan.h): for balanced and
// power-law keys over Qwen3-235B / Mixtral / DeepSeek-V3 expert counts, every token has topk
// distinct experts, per-expert loads add up, the balanced shares are floor/ceil, the power-law
// busiest EP group sits on rank 0, the permutation is consistent, and a key always gives the
// same routing. Exits 1 on the first broken property (naming the case).
#include "mock/moe_routing_plan.h"

#include <aiconf/status.h>

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <string>

using namespace aiconf;
using namespace aiconf::moe;

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
  if (!ok) {
    std::printf("FAIL %s\n", what.c_str());
    ++failures;
  }
}

void check_case(std::int64_t tokens, std::int64_t topk, std::int64_t experts, std::int64_t ep, const std::string& dist) {
  const Params key{{"moe_dtype", std::string("fp8_block")}, {"num_tokens", tokens},       {"hidden_size", std::int64_t{4096}},
                   {"inter_size", std::int64_t{1536}},       {"topk", topk},               {"num_experts", experts},
                   {"moe_tp_size", std::int64_t{1}},         {"moe_ep_size", ep},          {"distribution", dist}};
  const std::string name = key.str();
  const MoeShape s = MoeShape::from(key);
  const RoutingPlan p = RoutingPlan::build(s);
  const std::int64_t le = s.local_experts();
  // Loads: sum to tokens * topk, none above tokens, consistent with ids.
  expect(std::accumulate(p.expert_load.begin(), p.expert_load.end(), std::int64_t(0)) == tokens * topk, name + ": loads sum");
  std::vector<std::int64_t> counted(experts, 0);
  for (auto id : p.ids) ++counted[id];
  expect(counted == p.expert_load, name + ": ids match loads");
  expect(*std::max_element(p.expert_load.begin(), p.expert_load.end()) <= tokens, name + ": load capped at tokens");
  if (dist == "balanced") {
    const std::int64_t share = tokens * topk / ep;
    expect(p.assignments == share || p.assignments == share + 1, name + ": balanced rank share " + std::to_string(p.assignments));
    for (auto c : p.expert_load)
      expect(c == tokens * topk / experts || c == tokens * topk / experts + 1, name + ": balanced expert load");
  } else {
    std::int64_t best = 0;
    for (std::int64_t g = 0; g < ep; ++g)
      best = std::max(best, std::accumulate(p.expert_load.begin() + g * le, p.expert_load.begin() + (g + 1) * le, std::int64_t(0)));
    expect(p.assignments == best, name + ": rank 0 is the busiest EP group");
  }
  // Permutation: every local (token, choice) has a row of its expert's segment holding that token.
  std::int64_t local = 0;
  for (std::int64_t i = 0; i < tokens * topk; ++i) {
    const std::int32_t id = p.ids[i], r = p.slot_row[i];
    if (id >= le) {
      expect(r == -1, name + ": non-local slot has a row");
      continue;
    }
    ++local;
    expect(r >= p.seg_row[id] && r < p.seg_row[id] + p.local_count[id], name + ": row inside its expert's segment");
    expect(p.perm_src[r] == i / topk, name + ": row holds its token");
    expect(p.perm_seg[r] == p.seg_row[id] && p.perm_ld[r] == p.seg_rows[id], name + ": row's segment and ld");
  }
  expect(local == p.assignments, name + ": assignment count");
  for (std::int64_t x = 0; x < le; ++x) expect(p.seg_row[x] % kSegmentAlign == 0, name + ": segment alignment");
  // Deterministic.
  expect(RoutingPlan::build(s).ids == p.ids, name + ": same key, same routing");
}

}  // namespace

int main() {
  try {
    for (const std::string dist : {"balanced", "power_law_1.01", "power_law_1.2"})
      for (std::int64_t tokens : {1, 3, 64, 1000, 8192}) {
        for (std::int64_t ep : {1, 8, 128}) check_case(tokens, 8, 128, ep, dist);  // Qwen3-235B
        for (std::int64_t ep : {1, 2, 8}) check_case(tokens, 2, 8, ep, dist);      // Mixtral
        check_case(tokens, 8, 256, 32, dist);                                       // DeepSeek-V3
      }
    // Bad keys are refused with the field named.
    bool refused = false;
    try {
      MoeShape::from(Params{{"moe_dtype", std::string("nvfp4")}, {"num_tokens", std::int64_t{1}}, {"hidden_size", std::int64_t{4096}},
                            {"inter_size", std::int64_t{1536}}, {"topk", std::int64_t{8}}, {"num_experts", std::int64_t{128}}});
    } catch (const Error& e) {
      refused = std::string(e.what()).find("moe_dtype") != std::string::npos;
    }
    expect(refused, "nvfp4 refused naming moe_dtype");
  } catch (const std::exception& e) {
    std::printf("FAIL exception: %s\n", e.what());
    return 1;
  }
  std::printf("%s (%d failures)\n", failures ? "FAIL" : "ok", failures);
  return failures ? 1 : 0;
}
