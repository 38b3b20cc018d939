#include "moe_routing_plan.h"

#include <aiconf/status.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace aiconf::moe {

namespace {

// splitmix64: a small, fully specified generator, so a key gives the same routing on any platform.
struct SplitMix {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
};

std::uint64_t seed_of(const MoeShape& s) {
  std::uint64_t bits;
  std::memcpy(&bits, &s.alpha, 8);
  std::uint64_t h = 0x6d6f655f706c616eull;  // "moe_plan"
  for (std::uint64_t v : {std::uint64_t(s.tokens), std::uint64_t(s.topk), std::uint64_t(s.experts), std::uint64_t(s.ep), bits})
    h = (h ^ v) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull;
  return h;
}

// Inverse CDF of the bounded Pareto law p(x) ~ x^-alpha on [lo, hi].
double bounded_pareto(double u, double alpha, double lo, double hi) {
  if (std::abs(alpha - 1.0) < 1e-12) return lo * std::pow(hi / lo, u);
  const double a = 1 - alpha;
  return std::pow((std::pow(hi, a) - std::pow(lo, a)) * u + std::pow(lo, a), 1 / a);
}

}  // namespace

std::vector<std::int64_t> power_law_loads(const MoeShape& s) {
  const std::int64_t e = s.experts, target = s.tokens * s.topk;
  SplitMix rng{seed_of(s)};
  const bool many = target > e;
  const double lo = many ? 1.0 : 0.01, hi = many ? std::max(0.8 * double(s.tokens), 1.0 + 1e-9) : 2.0;
  std::vector<double> w(e);
  for (auto& x : w) x = bounded_pareto(rng.uniform(), s.alpha, lo, hi);
  const double sum = std::accumulate(w.begin(), w.end(), 0.0);
  std::vector<std::int64_t> load(e);
  for (std::int64_t i = 0; i < e; ++i) load[i] = std::llround(w[i] / sum * double(target));
  // Largest drawn weights first, the order in which the rounding remainder and the cap's excess
  // are settled (by weight, not by rounded load: with few assignments most loads round to 0, and
  // ties broken by id would pile the remainder onto the first experts).
  std::vector<std::int64_t> order(e);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return w[a] > w[b]; });
  std::int64_t delta = target - std::accumulate(load.begin(), load.end(), std::int64_t(0));
  for (std::int64_t i = 0; delta < 0; i = (i + 1) % e)  // too many: take from the smallest non-empty loads
    if (load[order[e - 1 - i]] > 0) --load[order[e - 1 - i]], ++delta;
  // A token picks an expert at most once: cap at `tokens`, hand the excess (and any rounding
  // deficit) to the largest loads still under the cap. topk <= experts guarantees room.
  for (std::int64_t i = 0; i < e; ++i)
    if (load[i] > s.tokens) delta += load[i] - s.tokens, load[i] = s.tokens;
  for (std::int64_t i = 0; delta > 0; i = (i + 1) % e)
    if (load[order[i]] < s.tokens) ++load[order[i]], --delta;
  // Move the busiest EP group (contiguous experts of one rank) onto rank 0.
  const std::int64_t group = s.local_experts();
  std::int64_t best = 0, best_sum = -1;
  for (std::int64_t g = 0; g < s.ep; ++g) {
    const std::int64_t sum_g = std::accumulate(load.begin() + g * group, load.begin() + (g + 1) * group, std::int64_t(0));
    if (sum_g > best_sum) best = g, best_sum = sum_g;
  }
  if (best != 0) std::swap_ranges(load.begin(), load.begin() + group, load.begin() + best * group);
  return load;
}

RoutingPlan RoutingPlan::build(const MoeShape& s) {
  RoutingPlan p;
  const std::int64_t t = s.tokens, k = s.topk, e = s.experts, le = s.local_experts();
  p.ids.assign(t * k, -1);
  if (s.alpha == 0) {
    // Consecutive assignments go to consecutive EP ranks, so that every rank gets its share
    // (floor or ceil of tokens * topk / ep) even for a single token; r = i mod e maps one to one
    // onto the experts, so a token's topk consecutive assignments hit distinct experts.
    for (std::int64_t i = 0; i < t * k; ++i) {
      const std::int64_t r = i % e;
      p.ids[i] = static_cast<std::int32_t>((r % s.ep) * le + r / s.ep);
    }
    p.expert_load.assign(e, 0);
    for (auto id : p.ids) ++p.expert_load[id];
  } else {
    p.expert_load = power_law_loads(s);
    std::vector<std::int64_t> order(e);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return p.expert_load[a] > p.expert_load[b]; });
    std::int64_t slot = 0;
    for (std::int64_t ex : order)
      for (std::int64_t n = 0; n < p.expert_load[ex]; ++n, ++slot) p.ids[(slot % t) * k + slot / t] = static_cast<std::int32_t>(ex);
    if (slot != t * k) throw Error("moe routing plan: power-law loads sum to " + std::to_string(slot) + ", expected " + std::to_string(t * k));
  }
  // Invariant: every token has topk distinct experts.
  for (std::int64_t i = 0; i < t; ++i) {
    std::vector<std::int32_t> row(p.ids.begin() + i * k, p.ids.begin() + (i + 1) * k);
    std::sort(row.begin(), row.end());
    if (row.front() < 0 || std::adjacent_find(row.begin(), row.end()) != row.end())
      throw Error("moe routing plan: token " + std::to_string(i) + " has a repeated or missing expert (" + s.distribution + ")");
  }
  // Local segments in expert order; within an expert, tokens in increasing order.
  p.local_count.assign(le, 0);
  for (auto id : p.ids)
    if (id < le) ++p.local_count[id];
  p.seg_row.resize(le);
  p.seg_rows.resize(le);
  for (std::int64_t x = 0; x < le; ++x) {
    p.seg_row[x] = p.rows;
    p.seg_rows[x] = (p.local_count[x] + kSegmentAlign - 1) / kSegmentAlign * kSegmentAlign;
    p.rows += p.seg_rows[x];
  }
  p.rows = std::max(p.rows, kSegmentAlign);  // no local token at all: keep buffers non-empty
  p.perm_src.assign(p.rows, -1);
  p.perm_seg.assign(p.rows, 0);
  p.perm_ld.assign(p.rows, kSegmentAlign);
  for (std::int64_t x = 0; x < le; ++x)
    for (std::int64_t r = p.seg_row[x]; r < p.seg_row[x] + p.seg_rows[x]; ++r)
      p.perm_seg[r] = static_cast<std::int32_t>(p.seg_row[x]), p.perm_ld[r] = static_cast<std::int32_t>(p.seg_rows[x]);
  p.slot_row.assign(t * k, -1);
  std::vector<std::int64_t> fill(le, 0);
  for (std::int64_t i = 0; i < t; ++i)
    for (std::int64_t j = 0; j < k; ++j) {
      const std::int32_t id = p.ids[i * k + j];
      if (id >= le) continue;
      const std::int64_t r = p.seg_row[id] + fill[id]++;
      p.perm_src[r] = static_cast<std::int32_t>(i);
      p.slot_row[i * k + j] = static_cast<std::int32_t>(r);
      ++p.assignments;
    }
  return p;
}

}  // namespace aiconf::moe
