// DeepSeek-V3.2 on 8 x H200 (tp 8, ep 8), isl 4096 / osl 1024: static, agg and disagg figures, the
// ten operations that take most of a request's time with their provenance, and the memory per GPU.
#include "example_world.h"

#include <cstdio>

int main(int argc, char** argv) try {
  example::World w(argc, argv);
  const aiconf::ModelConfig cfg = w.config("DeepSeek-V3.2.json");
  aiconf::Estimator est(w.reg, *w.engine, cfg);
  aiconf::ParallelConfig par{8, 1, 1, 8, 1};
  aiconf::RuntimeConfig rt;
  rt.isl = 4096;
  rt.osl = 1024;
  rt.batch = 64;
  aiconf::Estimate st, agg, dis;
  aiconf::throw_if_error(est.estimate_static(par, rt, &st));
  aiconf::throw_if_error(est.estimate_agg(par, rt, &agg));
  rt.prefill_batch = 1;
  aiconf::throw_if_error(est.estimate_disagg(par, par, rt, 16, &dis));
  std::printf("DeepSeek-V3.2 (%s), batch %lld, isl %lld, osl %lld\n", cfg.family.c_str(), (long long)rt.batch, (long long)rt.isl,
              (long long)rt.osl);
  example::print_figures("static", st);
  example::print_figures("agg", agg);
  example::print_figures("disagg", dis);
  std::printf("  disagg on 16 GPUs: %d prefill worker(s) + %d decode worker(s)\n\n", dis.prefill_workers, dis.decode_workers);
  std::printf("where an agg request's %.0f ms go:\n", agg.request_latency_ms);
  for (std::size_t i = 0; i < agg.request_breakdown.size() && i < 10; ++i) {
    const auto& o = agg.request_breakdown[i];
    std::printf("  %-32s %-24s %10.1f ms %5.1f%%  %s\n", o.label.c_str(), o.op.c_str(), o.ms, 100 * o.share,
                o.missing ? "missing" : aiconf::to_string(o.provenance));
  }
  std::printf("memory per GPU (agg):\n");
  for (const auto& n : agg.memory.notes) std::printf("  %s\n", n.c_str());
  for (const auto& wmsg : agg.warnings) std::printf("warning: %s\n", wmsg.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
