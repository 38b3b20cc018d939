// Static batch: `batch` requests per attention rank (and per pipeline micro-batch) start together,
// run their prompts (chunked or not), then decode osl-1 tokens together.
//   TTFT  = pp x context stage time (a request passes every stage; micro-batches overlap, a request
//           does not)
//   TPOT  = pp x mean generation stage time x generation steps / (osl - 1)   (MTP: fewer steps)
//   concurrency = batch x dp x pp (pp micro-batches keep every stage busy)
//   tokens/s/GPU = concurrency x osl / request latency / GPUs
#include "estimator/estimator_impl.h"

#include <cmath>

namespace aiconf {

Status Estimator::estimate_static(const ParallelConfig& par, const RuntimeConfig& rt, Estimate* out, bool detail) const {
  Status s = check_runtime(rt);
  if (!s) return s;
  Estimate e;
  e.mode = ServingMode::static_batch;
  e.par = par;
  e.runtime = rt;
  e.gpus = par.gpus();
  StepCost ctx_detail, gen_detail;
  double ctx_ms = 0, gen_ms = 0;
  s = context_stage(*this, par, rt, rt.batch, rt.chunk_tokens, &ctx_ms, detail ? &ctx_detail : nullptr);
  if (!s) return s;
  const double steps = generation_steps(rt);
  if (steps > 0) {
    s = generation_stage(*this, par, rt, rt.batch, &gen_ms, detail ? &gen_detail : nullptr);
    if (!s) return s;
  }
  e.ttft_ms = par.pp * ctx_ms;
  const double gen_total = par.pp * gen_ms * steps;
  e.tpot_ms = rt.osl > 1 ? gen_total / double(rt.osl - 1) : 0;
  e.request_latency_ms = e.ttft_ms + gen_total;
  e.concurrency = rt.batch * par.dp * par.pp;
  e.requests_per_s = e.request_latency_ms > 0 ? e.concurrency * 1000.0 / e.request_latency_ms : 0;
  e.tokens_per_s_per_gpu = e.requests_per_s * rt.osl / e.gpus;
  e.tokens_per_s_per_user = e.tpot_ms > 0 ? 1000.0 / e.tpot_ms : 0;
  e.notes.push_back("TTFT = pp " + std::to_string(par.pp) + " x context stage " + std::to_string(ctx_ms).substr(0, 8) + " ms");
  if (steps > 0)
    e.notes.push_back("TPOT = pp " + std::to_string(par.pp) + " x mean generation stage " + std::to_string(gen_ms).substr(0, 8) +
                      " ms x " + std::to_string(std::llround(steps)) + " steps / " + std::to_string(rt.osl - 1) + " tokens" +
                      (rt.mtp_tokens > 0 ? " (MTP: " + std::to_string(tokens_per_step(rt)).substr(0, 4) + " tokens per step)" : ""));
  e.notes.push_back("concurrency = batch " + std::to_string(rt.batch) + " x dp " + std::to_string(par.dp) + " x pp " +
                    std::to_string(par.pp) + " micro-batches; tokens/s/GPU = concurrency x osl / request latency / " +
                    std::to_string(e.gpus) + " GPUs");

  // Memory: every stage holds the KV of all micro-batches' sequences at full length.
  const double kv_tokens = double(rt.batch) * par.pp * double(rt.isl + rt.osl);
  const std::int64_t peak_tokens = rt.chunk_tokens > 0 && rt.chunk_tokens < rt.isl ? rt.chunk_tokens : rt.isl;
  s = memory(par, rt, kv_tokens, StepShape{Phase::context, rt.batch, peak_tokens, 0}, &e.memory);
  if (!s) return s;
  e.fits = e.memory.fits;

  if (detail) {
    accumulate(&e.request_breakdown, ctx_detail, par.pp);
    if (steps > 0 && gen_detail.ms > 0) accumulate(&e.request_breakdown, gen_detail, par.pp * steps * gen_ms / gen_detail.ms);
    finish_breakdown(&e.request_breakdown, &e.by_provenance);
    e.steps.push_back(std::move(ctx_detail));
    if (steps > 0) e.steps.push_back(std::move(gen_detail));
    add_quality_warnings(rt, &e);
  }
  if (!e.fits)
    e.warnings.push_back("does not fit: " + std::to_string(e.memory.total / 1073741824.0).substr(0, 7) + " GiB needed of " +
                         std::to_string(e.memory.capacity / 1073741824.0).substr(0, 7) + " GiB per GPU");
  *out = std::move(e);
  return Status::ok();
}

}  // namespace aiconf
