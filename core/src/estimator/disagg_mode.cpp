// Disaggregated serving: a prefill pool of x workers (prefill_par, prefill_batch prompts per step)
// and a decode pool of y workers (par, batch sequences per rank), with rate matching.
//   prefill worker: stage time t_p; TTFT = pp x t_p + KV transfer; sustains prefill_batch x dp / t_p requests/s
//   decode worker:  mean stage time t_d; TPOT = pp x t_d x S / (osl - 1); sustains batch x dp / (t_d x S) requests/s
//   system: min(x R_p, y R_d) requests/s; tokens/s/GPU = that x osl / (x G_p + y G_d)
// With a GPU limit the integer (x, y) with the best tokens/s/GPU is chosen (ties: more throughput);
// without, the ideal ratio x/y = R_d/R_p gives 1 / (G_p/R_p + G_d/R_d) requests/s per GPU.
// KV transfer: the prompt's cache over NVLink when both pools fit in one node, else over the
// network, spread over the prefill worker's GPUs.
#include "estimator/estimator_impl.h"

#include <algorithm>
#include <cmath>

namespace aiconf {

bool match_rates(double rp, int gp, double rd, int gd, int total, RateMatch* out) {
  RateMatch best;
  double best_per_gpu = -1;
  for (int x = 1; x * gp + gd <= total; ++x)
    for (int y = 1; x * gp + y * gd <= total; ++y) {
      const double rps = std::min(x * rp, y * rd);
      const double per_gpu = rps / (x * gp + y * gd);
      if (per_gpu > best_per_gpu * (1 + 1e-9) || (per_gpu >= best_per_gpu * (1 - 1e-9) && rps > best.rps)) {
        best_per_gpu = per_gpu;
        best = RateMatch{x, y, x * gp + y * gd, rps};
      }
    }
  *out = best;
  return best.x > 0;
}

double kv_transfer_ms(const ModelSummary& sum, const SystemSpec& sys, const RuntimeConfig& rt, int gp, int gd) {
  const double kv_bytes = sum.kv_bytes_per_token_per_layer * double(sum.attention_layers) * double(rt.isl) * rt.prefill_batch;
  const bool one_node = gp + gd <= sys.gpus_per_node;
  const double link_gbps = one_node ? sys.nvlink_gbps : sys.network_gbps;
  const double link_us = one_node ? sys.nvlink_latency_us : sys.network_latency_us;
  return link_gbps > 0 ? kv_bytes / (link_gbps * 1e9 * gp) * 1e3 + link_us * 1e-3 : 0;
}

Status Estimator::estimate_disagg(const ParallelConfig& prefill_par, const ParallelConfig& par, const RuntimeConfig& rt,
                                  int total_gpus, Estimate* out, bool detail) const {
  Status s = check_runtime(rt);
  if (!s) return s;
  Estimate e;
  e.mode = ServingMode::disagg;
  e.par = par;
  e.prefill_par = prefill_par;
  e.runtime = rt;
  StepCost ctx_d, gen_d;
  double t_p = 0, t_d = 0;
  s = context_stage(*this, prefill_par, rt, rt.prefill_batch, rt.chunk_tokens, &t_p, detail ? &ctx_d : nullptr);
  if (!s) return s;
  const double S = generation_steps(rt);
  if (S > 0) {
    s = generation_stage(*this, par, rt, rt.batch, &t_d, detail ? &gen_d : nullptr);
    if (!s) return s;
  }
  ModelSummary sum;
  s = summary(&sum);
  if (!s) return s;
  const SystemSpec& sys = ctx_.system();
  const int gp = prefill_par.gpus(), gd = par.gpus();
  const bool one_node = gp + gd <= sys.gpus_per_node;
  const double transfer_ms = kv_transfer_ms(sum, sys, rt, gp, gd);

  e.ttft_ms = prefill_par.pp * t_p + transfer_ms;
  const double gen_total = par.pp * t_d * S;
  e.tpot_ms = rt.osl > 1 ? gen_total / double(rt.osl - 1) : 0;
  e.request_latency_ms = e.ttft_ms + gen_total;
  e.tokens_per_s_per_user = e.tpot_ms > 0 ? 1000.0 / e.tpot_ms : 0;
  e.prefill_rps_per_worker = t_p > 0 ? double(rt.prefill_batch) * prefill_par.dp * 1000.0 / t_p : 0;
  // A decode worker with no generation step (osl 1) never limits the system.
  e.decode_rps_per_worker = S > 0 && t_d > 0 ? double(rt.batch) * par.dp * 1000.0 / (t_d * S) : 1e30;
  const double rp = e.prefill_rps_per_worker, rd = e.decode_rps_per_worker;

  if (total_gpus > 0) {
    RateMatch m;
    match_rates(rp, gp, rd, gd, total_gpus, &m);
    e.prefill_workers = m.x;
    e.decode_workers = m.y;
    const double best_rps = m.rps;
    if (e.prefill_workers == 0)
      return Status::error("disagg: one prefill worker (" + std::to_string(gp) + " GPUs) and one decode worker (" +
                           std::to_string(gd) + " GPUs) need more than the " + std::to_string(total_gpus) + " GPUs allowed");
    e.gpus = e.prefill_workers * gp + e.decode_workers * gd;
    e.requests_per_s = best_rps;
    e.notes.push_back("rate matching within " + std::to_string(total_gpus) + " GPUs: " + std::to_string(e.prefill_workers) +
                      " prefill x " + std::to_string(gp) + " GPUs + " + std::to_string(e.decode_workers) + " decode x " +
                      std::to_string(gd) + " GPUs");
  } else {
    e.requests_per_s = 1.0 / (gp / rp + (S > 0 ? gd / rd : 0.0));
    e.gpus = gp + gd;
    e.prefill_workers = 1;
    e.decode_workers = 1;
    e.notes.push_back("ideal rate matching: " + std::to_string(rd / rp).substr(0, 6) +
                      " prefill workers per decode worker; figures per GPU of such a system");
  }
  e.tokens_per_s_per_gpu = e.requests_per_s * rt.osl / (total_gpus > 0 ? e.gpus : 1.0);
  if (total_gpus <= 0) e.requests_per_s *= e.gpus;  // report the requests/s of the (gp + gd)-GPU unit
  e.concurrency = static_cast<std::int64_t>(e.decode_workers) * rt.batch * par.dp * par.pp;
  auto f6 = [](double v) { return std::to_string(v).substr(0, 8); };
  e.notes.push_back("prefill worker " + par_name(prefill_par) + " batch " + std::to_string(rt.prefill_batch) + ": stage " +
                    f6(t_p) + " ms, " + f6(rp) + " requests/s; KV transfer " + f6(transfer_ms) + " ms over " +
                    (one_node ? "NVLink" : "the network"));
  e.notes.push_back("decode worker " + par_name(par) + " batch " + std::to_string(rt.batch) + ": mean stage " + f6(t_d) +
                    " ms x " + std::to_string(std::llround(S)) + " steps, " + f6(rd) + " requests/s");

  s = memory(prefill_par, rt, double(rt.prefill_batch) * prefill_par.pp * rt.isl,
             StepShape{Phase::context, rt.prefill_batch, rt.isl, 0}, &e.prefill_memory);
  if (!s) return s;
  s = memory(par, rt, double(rt.batch) * par.pp * double(rt.isl + rt.osl),
             StepShape{Phase::generation, rt.batch, 1 + rt.mtp_tokens, rt.isl + rt.osl}, &e.memory);
  if (!s) return s;
  e.fits = e.memory.fits && e.prefill_memory.fits;

  if (detail) {
    accumulate(&e.request_breakdown, ctx_d, prefill_par.pp);
    if (S > 0 && gen_d.ms > 0) accumulate(&e.request_breakdown, gen_d, par.pp * S * t_d / gen_d.ms);
    finish_breakdown(&e.request_breakdown, &e.by_provenance);
    ctx_d.name = "prefill: " + ctx_d.name;
    e.steps.push_back(std::move(ctx_d));
    if (S > 0) e.steps.push_back(std::move(gen_d));
    add_quality_warnings(rt, &e);
  }
  if (!e.prefill_memory.fits)
    e.warnings.push_back("prefill worker does not fit: " + std::to_string(e.prefill_memory.total / 1073741824.0).substr(0, 7) +
                         " GiB needed per GPU");
  if (!e.memory.fits)
    e.warnings.push_back("decode worker does not fit: " + std::to_string(e.memory.total / 1073741824.0).substr(0, 7) +
                         " GiB needed per GPU");
  *out = std::move(e);
  return Status::ok();
}

}  // namespace aiconf
