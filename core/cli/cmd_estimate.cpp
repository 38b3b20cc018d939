// `aiconf estimate`: TTFT, TPOT, throughput and memory of one model on one system under one parallel
// configuration, with the per-operation breakdown and the provenance of every millisecond.
#include "estimator_session.h"

#include <iostream>

namespace aiconf::cli {

namespace {

struct EstimateOptions {
  WorkloadOptions w;
  std::string mode = "static";
  ParallelConfig par;
  int moe_tp = 0;  // 0: tp x dp / ep
  int batch = 1;
  ParallelConfig prefill;
  int prefill_moe_tp = 0, prefill_tp = 0, prefill_ep = 0;
  int total_gpus = 0;
  std::size_t top = 20;
};

void run(const EstimateOptions& o, CliContext& ctx) {
  auto s = open_session(o.w, ctx.registry());
  ServingMode mode;
  throw_if_error(parse_serving_mode(o.mode, &mode));
  auto finish = [](ParallelConfig p, int moe_tp, const char* what) {
    const int attn = p.tp * p.dp;
    if (moe_tp <= 0) {
      if (attn % p.ep != 0)
        throw Error(std::string(what) + ": tp x dp (" + std::to_string(attn) + ") must be a multiple of ep (" + std::to_string(p.ep) + ")");
      moe_tp = attn / p.ep;
    }
    if (moe_tp * p.ep != attn)
      throw Error(std::string(what) + ": moe_tp x ep (" + std::to_string(moe_tp * p.ep) + ") must equal tp x dp (" +
                  std::to_string(attn) + ")");
    p.moe_tp = moe_tp;
    return p;
  };
  const ParallelConfig par = finish(o.par, o.moe_tp, "parallel config");
  RuntimeConfig rt = o.w.rt;
  rt.batch = o.batch;
  Estimate e;
  if (mode == ServingMode::disagg) {
    // Prefill pool: the decode pool's tp unless given, its own attention DP, no pipeline, and the
    // decode pool's ep when it divides the prefill's tp x dp.
    ParallelConfig pp;
    pp.tp = o.prefill_tp > 0 ? o.prefill_tp : par.tp;
    pp.dp = o.prefill.dp;
    pp.ep = o.prefill_ep > 0 ? o.prefill_ep : ((pp.tp * pp.dp) % par.ep == 0 ? par.ep : 1);
    pp = finish(pp, o.prefill_moe_tp, "prefill parallel config");
    throw_if_error(s->estimator->estimate_disagg(pp, par, rt, o.total_gpus, &e));
  } else {
    throw_if_error(s->estimator->estimate(mode, par, rt, &e));
  }
  if (o.w.as_json) {
    auto j = estimate_json(e);
    j["model"] = s->cfg.source;
    j["family"] = s->cfg.family;
    j["system"] = s->system.name;
    j["perfdb"] = s->db ? s->db->directory() : "";
    j["query_mode"] = to_string(s->mode);
    CliContext::print_json(j);
  } else {
    print_estimate(std::cout, e, *s, o.top);
  }
}

}  // namespace

void add_estimate_command(CLI::App& app, CliContext& ctx) {
  auto o = std::make_shared<EstimateOptions>();
  auto* c = app.add_subcommand("estimate", "TTFT, TPOT, tokens/s/GPU, tokens/s/user and memory of one configuration, "
                                           "with the per-operation breakdown and provenance");
  add_workload_options(c, &o->w);
  c->add_option("--mode", o->mode, "static, agg (continuous batching, chunked prefill) or disagg")->capture_default_str();
  c->add_option("--tp", o->par.tp, "Tensor parallel size")->capture_default_str();
  c->add_option("--pp", o->par.pp, "Pipeline stages")->capture_default_str();
  c->add_option("--dp", o->par.dp, "Attention data parallel size")->capture_default_str();
  c->add_option("--ep", o->par.ep, "Expert parallel size")->capture_default_str();
  c->add_option("--moe-tp", o->moe_tp, "Tensor parallel inside experts (default tp x dp / ep)");
  c->add_option("--batch", o->batch, "Sequences per attention rank (disagg: decode batch)")->capture_default_str();
  c->add_option("--prefill-batch", o->w.rt.prefill_batch, "disagg: prompts per prefill step")->capture_default_str();
  c->add_option("--prefill-tp", o->prefill_tp, "disagg: prefill tensor parallel size (default: the decode split)");
  c->add_option("--prefill-dp", o->prefill.dp, "disagg: prefill attention data parallel size")->capture_default_str();
  c->add_option("--prefill-ep", o->prefill_ep, "disagg: prefill expert parallel size");
  c->add_option("--prefill-moe-tp", o->prefill_moe_tp, "disagg: prefill tensor parallel inside experts");
  c->add_option("--total-gpus", o->total_gpus, "disagg: GPUs for both pools (integer rate matching); 0 = ideal ratio");
  c->add_option("--top", o->top, "Breakdown lines to print")->capture_default_str();
  c->callback([o, &ctx] { run(*o, ctx); });
}

}  // namespace aiconf::cli
