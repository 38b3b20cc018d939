// Aggregated serving: continuous batching with chunked prefill (in the spirit of aiconfigurator's
// agg model, reformulated as a steady-state schedule). Per attention rank and micro-batch there are
// `b` request slots. A mixed step prefills C prompt tokens (C = chunk_tokens, default isl) and
// advances g decoding sequences; a generation-only step advances all b.
//
// One round = every slot completes one request:
//   ctx steps per request  c = ceil(isl / C)           (C >= isl: 1 step prefills C / isl prompts)
//   prefill slots          p = C >= isl ? ceil(C / isl) : 1   (slots busy prefilling in a mixed step)
//   mixed steps per round  M = ceil(b x isl / C)
//   generation steps       S = ceil((osl - 1) / (1 + MTP acceptance)) per request
//   round length           T = max(M, S + c) steps (a request lives c + S steps)
//   decoders in a mixed step  g = min(b - p, ceil(b x S / M))
//   generation-only steps  T - M, with b decoders
// Mixed step time = token-linear ops at C + g x (1 + MTP drafts) tokens + context attention of the
// prompt chunk (averaged over the chunks of a prompt) + generation attention of g sequences at the
// mean past isl + osl/2 (Estimator::StepPart splits a step's ops).
//   TTFT = pp x c x mixed step          (no queueing wait: aiconfigurator multiplies its TTFT by an
//                                        empirical 2-4x for it; we state the service time only)
//   TPOT = pp x (f x mixed + (1-f) x generation-only) x S / (osl - 1), f = share of a request's
//          decode steps that fall in mixed steps = g M / (g M + b (T - M))
//   tokens/s/GPU = b x osl x dp x pp / (M x mixed + (T - M) x gen-only) / GPUs
#include "estimator/estimator_impl.h"

#include <algorithm>
#include <cmath>

namespace aiconf {

namespace {

struct MixedParts {
  double tokens_ms = 0, ctx_attn_ms = 0, gen_attn_ms = 0;
  double total() const { return tokens_ms + ctx_attn_ms + gen_attn_ms; }
};

// The context attention (sequence ops) of one prompt chunk step, averaged over a prompt's chunks.
Status chunk_attention(const Estimator& e, const ParallelConfig& par, const RuntimeConfig& rt, std::int64_t chunk,
                       double* ms, StepCost* detail) {
  if (chunk >= rt.isl) {
    const std::int64_t prompts = std::max<std::int64_t>(1, chunk / rt.isl);
    StepShape s{Phase::context, prompts, rt.isl, 0};
    if (detail) {
      Status st = e.step(par, s, rt, detail, StepPart::sequence);
      *ms = detail->ms;
      return st;
    }
    return e.step_ms(par, s, rt, ms, StepPart::sequence);
  }
  const std::int64_t n = (rt.isl + chunk - 1) / chunk;
  const std::int64_t samples = std::min<std::int64_t>(n, 4);
  double total = 0;
  for (std::int64_t i = 0; i < samples; ++i) {
    const std::int64_t j = samples == n ? i : (i * n + n / 2) / samples;
    StepShape s{Phase::context, 1, std::min(chunk, rt.isl - j * chunk), j * chunk};
    double t = 0;
    Status st = e.step_ms(par, s, rt, &t, StepPart::sequence);
    if (!st) return st;
    total += t;
  }
  *ms = total / samples;
  if (detail) {
    // The middle chunk stands for the average in the breakdown.
    const std::int64_t j = n / 2;
    Status st = e.step(par, StepShape{Phase::context, 1, std::min(chunk, rt.isl - j * chunk), j * chunk}, rt, detail,
                       StepPart::sequence);
    if (!st) return st;
  }
  return Status::ok();
}

}  // namespace

Status Estimator::estimate_agg(const ParallelConfig& par, const RuntimeConfig& rt, Estimate* out, bool detail) const {
  Status s = check_runtime(rt);
  if (!s) return s;
  const std::int64_t b = rt.batch;
  const std::int64_t C = rt.chunk_tokens > 0 ? rt.chunk_tokens : rt.isl;
  const double c_steps = C >= rt.isl ? 1.0 : std::ceil(double(rt.isl) / C);
  const std::int64_t p = C >= rt.isl ? (C + rt.isl - 1) / rt.isl : 1;
  if (b < p)
    return Status::error("agg: batch " + std::to_string(b) + " is smaller than the " + std::to_string(p) +
                         " prompts a mixed step of " + std::to_string(C) + " tokens prefills");
  const double S = generation_steps(rt);
  const double M = std::ceil(double(b) * rt.isl / C);
  const double T = std::max(M, S + c_steps);
  const std::int64_t g =
      S > 0 ? std::min<std::int64_t>(b - p, static_cast<std::int64_t>(std::ceil(double(b) * S / M))) : 0;
  const std::int64_t draft = 1 + rt.mtp_tokens;

  Estimate e;
  e.mode = ServingMode::agg;
  e.par = par;
  e.runtime = rt;
  e.gpus = par.gpus();
  e.mixed_steps = M;
  e.generation_only_steps = T - M;
  e.mixed_generation_seqs = g;

  MixedParts mix;
  StepCost tok_d, cat_d, gat_d, gen_d;
  const StepShape tok_shape{Phase::context, 1, C + g * draft, 0};
  s = detail ? step(par, tok_shape, rt, &tok_d, StepPart::tokens) : step_ms(par, tok_shape, rt, &mix.tokens_ms, StepPart::tokens);
  if (!s) return s;
  if (detail) mix.tokens_ms = tok_d.ms;
  s = chunk_attention(*this, par, rt, C, &mix.ctx_attn_ms, detail ? &cat_d : nullptr);
  if (!s) return s;
  if (g > 0) {
    const StepShape gs{Phase::generation, g, draft, rt.isl + rt.osl / 2};
    s = detail ? step(par, gs, rt, &gat_d, StepPart::sequence) : step_ms(par, gs, rt, &mix.gen_attn_ms, StepPart::sequence);
    if (!s) return s;
    if (detail) mix.gen_attn_ms = gat_d.ms;
  }
  const double mixed_ms = mix.total();
  double gen_ms = 0;
  if (T > M) {
    s = generation_stage(*this, par, rt, b, &gen_ms, detail ? &gen_d : nullptr);
    if (!s) return s;
  }

  const double round_ms = M * mixed_ms + (T - M) * gen_ms;
  const double dec_mixed = double(g) * M, dec_gen = double(b) * (T - M);
  const double f = dec_mixed + dec_gen > 0 ? dec_mixed / (dec_mixed + dec_gen) : 0;
  const double decode_step_ms = f * mixed_ms + (1 - f) * gen_ms;
  e.ttft_ms = par.pp * c_steps * mixed_ms;
  e.tpot_ms = rt.osl > 1 ? par.pp * decode_step_ms * S / double(rt.osl - 1) : 0;
  e.request_latency_ms = e.ttft_ms + e.tpot_ms * double(rt.osl - 1);
  e.concurrency = b * par.dp * par.pp;
  e.requests_per_s = round_ms > 0 ? double(b) * par.dp * par.pp * 1000.0 / (par.pp * round_ms) : 0;
  e.tokens_per_s_per_gpu = e.requests_per_s * rt.osl / e.gpus;
  e.tokens_per_s_per_user = e.tpot_ms > 0 ? 1000.0 / e.tpot_ms : 0;
  auto f6 = [](double v) { return std::to_string(v).substr(0, 8); };
  e.notes.push_back("schedule per round: " + std::to_string(std::llround(M)) + " mixed steps (" + std::to_string(C) +
                    " prompt tokens + " + std::to_string(g) + " decoders) and " + std::to_string(std::llround(T - M)) +
                    " generation-only steps (" + std::to_string(b) + " decoders)");
  e.notes.push_back("mixed step " + f6(mixed_ms) + " ms = token ops " + f6(mix.tokens_ms) + " + prompt attention " +
                    f6(mix.ctx_attn_ms) + " + decode attention " + f6(mix.gen_attn_ms) + "; generation-only step " + f6(gen_ms) + " ms");
  e.notes.push_back("TTFT = pp x " + std::to_string(std::llround(c_steps)) + " mixed steps (service time, no queueing); TPOT mixes " +
                    std::to_string(std::lround(100 * f)) + "% mixed steps");

  const double kv_tokens = double(b) * par.pp * double(rt.isl + rt.osl);
  s = memory(par, rt, kv_tokens, tok_shape, &e.memory);
  if (!s) return s;
  e.fits = e.memory.fits;

  if (detail) {
    StepCost mixed = tok_d;
    mixed.name = "mixed (" + std::to_string(C) + " prompt tokens + " + std::to_string(g) + " decoders)";
    for (const StepCost* part : {&cat_d, &gat_d})
      for (const auto& o : part->ops) mixed.ops.push_back(o);
    mixed.ms = mixed_ms;
    mixed.by_provenance = {};
    for (const StepCost* part : {&cat_d, &gat_d})
      for (const auto& m : part->missing_ops) mixed.missing_ops.push_back(m);
    for (auto& o : mixed.ops) {
      o.share = mixed_ms > 0 ? o.ms / mixed_ms : 0;
      if (!o.missing) mixed.by_provenance[static_cast<int>(o.provenance)] += o.ms;
    }
    // Per request: its c mixed steps for the prompt, then S decode steps of which a share f is mixed.
    const double mixed_weight = par.pp * (c_steps + f * S);
    accumulate(&e.request_breakdown, mixed, mixed_weight);
    if (T > M && gen_d.ms > 0) accumulate(&e.request_breakdown, gen_d, par.pp * (1 - f) * S * gen_ms / gen_d.ms);
    finish_breakdown(&e.request_breakdown, &e.by_provenance);
    e.steps.push_back(std::move(mixed));
    if (T > M) e.steps.push_back(std::move(gen_d));
    add_quality_warnings(rt, &e);
  }
  if (!e.fits)
    e.warnings.push_back("does not fit: " + std::to_string(e.memory.total / 1073741824.0).substr(0, 7) + " GiB needed of " +
                         std::to_string(e.memory.capacity / 1073741824.0).substr(0, 7) + " GiB per GPU");
  *out = std::move(e);
  return Status::ok();
}

}  // namespace aiconf
