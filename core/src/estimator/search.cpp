// run_search: every parallel configuration is one task; worker threads take tasks from an atomic
// counter and evaluate agg points and disagg prefill/decode candidates; the disagg pools are then
// rate-matched within the GPU budget and everything kept goes through the Pareto filter.
#include <aiconf/search.h>

#include "estimator/estimator_impl.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <thread>

namespace aiconf {

namespace {

struct PrefillCand {
  ParallelConfig par;
  std::int64_t batch = 0;
  double stage_ms = 0, rps = 0, memory = 0;
};
struct DecodeCand {
  ParallelConfig par;
  std::int64_t batch = 0;
  double tpot_ms = 0, rps = 0, memory = 0;
};

// What one task found; merged after the threads join.
struct TaskOut {
  std::vector<SearchPoint> agg;
  std::vector<PrefillCand> prefill;
  std::vector<DecodeCand> decode;
  std::size_t evaluated = 0, rej_mem = 0, rej_ttft = 0, rej_tpot = 0;
  bool invalid = false;
  std::vector<std::string> examples;
};

std::vector<std::int64_t> default_batches() {
  std::vector<std::int64_t> b;
  for (std::int64_t v = 1; v < 16; v *= 2) b.push_back(v);
  for (std::int64_t v = 16; v < 64; v += 16) b.push_back(v);
  for (std::int64_t v = 64; v < 256; v += 32) b.push_back(v);
  for (std::int64_t v = 256; v <= 512; v += 64) b.push_back(v);
  return b;
}

std::string gib(double b) { return std::to_string(b / 1073741824.0).substr(0, 6) + " GiB"; }

void note_example(TaskOut& t, std::size_t limit, const std::string& s) {
  if (t.examples.size() < limit * 3) t.examples.push_back(s);
}

void run_task(const Estimator& est, const SearchOptions& o, const ParallelConfig& par, const std::vector<std::int64_t>& batches,
              const std::vector<std::int64_t>& chunks, const std::vector<std::int64_t>& prefill_batches, TaskOut& t) {
  const RuntimeConfig& base = o.rt;
  const double S = generation_steps(base);
  // Validity first: the builder rejects configurations it cannot split (heads, experts, layers).
  {
    double ms = 0;
    Status s = est.step_ms(par, StepShape{Phase::generation, 1, 1 + base.mtp_tokens, base.isl}, base, &ms);
    if (!s) {
      t.invalid = true;
      note_example(t, o.examples, "invalid: " + s.message());
      return;
    }
  }
  if (o.agg)
    for (std::int64_t chunk : chunks)
      for (std::int64_t b : batches) {
        RuntimeConfig rt = base;
        rt.batch = b;
        rt.chunk_tokens = chunk;
        if (b < (chunk + rt.isl - 1) / rt.isl) continue;
        Estimate e;
        Status s = est.estimate_agg(par, rt, &e, false);
        ++t.evaluated;
        if (!s) {
          note_example(t, o.examples, "error: agg " + par_name(par) + " b" + std::to_string(b) + ": " + s.message());
          break;
        }
        // Memory and TPOT only grow with the batch: the first failure ends this batch sweep.
        if (!e.fits) {
          ++t.rej_mem;
          note_example(t, o.examples, "memory: agg " + par_name(par) + " b" + std::to_string(b) + " needs " + gib(e.memory.total) +
                                          " of " + gib(e.memory.capacity) + " per GPU");
          break;
        }
        if (o.tpot_limit_ms > 0 && e.tpot_ms > o.tpot_limit_ms) {
          ++t.rej_tpot;
          break;
        }
        if (o.ttft_limit_ms > 0 && e.ttft_ms > o.ttft_limit_ms) {
          ++t.rej_ttft;
          continue;
        }
        SearchPoint p;
        p.mode = ServingMode::agg;
        p.par = par;
        p.batch = b;
        p.chunk = chunk;
        p.gpus = par.gpus();
        p.ttft_ms = e.ttft_ms;
        p.tpot_ms = e.tpot_ms;
        p.request_latency_ms = e.request_latency_ms;
        p.tokens_per_s_per_gpu = e.tokens_per_s_per_gpu;
        p.tokens_per_s_per_user = e.tokens_per_s_per_user;
        p.memory_bytes = e.memory.total;
        t.agg.push_back(p);
      }
  if (!o.disagg) return;
  // Prefill candidates: whole prompts, no chunking (a prefill worker does nothing else).
  for (std::int64_t bp : prefill_batches) {
    RuntimeConfig rt = base;
    rt.prefill_batch = bp;
    rt.chunk_tokens = 0;
    double t_p = 0;
    Status s = context_stage(est, par, rt, bp, 0, &t_p, nullptr);
    ++t.evaluated;
    if (!s) break;
    if (o.ttft_limit_ms > 0 && par.pp * t_p > o.ttft_limit_ms) {
      ++t.rej_ttft;
      break;
    }
    MemoryEstimate m;
    s = est.memory(par, rt, double(bp) * par.pp * rt.isl, StepShape{Phase::context, bp, rt.isl, 0}, &m);
    if (!s || !m.fits) {
      ++t.rej_mem;
      if (s) note_example(t, o.examples, "memory: prefill " + par_name(par) + " b" + std::to_string(bp) + " needs " + gib(m.total));
      break;
    }
    t.prefill.push_back(PrefillCand{par, bp, t_p, double(bp) * par.dp * 1000.0 / t_p, m.total});
  }
  if (S <= 0) return;
  for (std::int64_t b : batches) {
    RuntimeConfig rt = base;
    rt.batch = b;
    double t_d = 0;
    Status s = generation_stage(est, par, rt, b, &t_d, nullptr);
    ++t.evaluated;
    if (!s) break;
    const double tpot = par.pp * t_d * S / double(rt.osl - 1);
    if (o.tpot_limit_ms > 0 && tpot > o.tpot_limit_ms) {
      ++t.rej_tpot;
      break;
    }
    MemoryEstimate m;
    s = est.memory(par, rt, double(b) * par.pp * double(rt.isl + rt.osl),
                   StepShape{Phase::generation, b, 1 + rt.mtp_tokens, rt.isl + rt.osl}, &m);
    if (!s || !m.fits) {
      ++t.rej_mem;
      if (s)
        note_example(t, o.examples, "memory: decode " + par_name(par) + " b" + std::to_string(b) + " needs " + gib(m.total) + " of " +
                                        gib(m.capacity) + " per GPU");
      break;
    }
    t.decode.push_back(DecodeCand{par, b, tpot, double(b) * par.dp * 1000.0 / (t_d * S), m.total});
  }
}

// Pairs every decode candidate with the best prefill candidate of each prefill GPU count.
void combine_disagg(const Estimator& est, const SearchOptions& o, const std::vector<PrefillCand>& prefill,
                    const std::vector<DecodeCand>& decode, SearchResult* r) {
  ModelSummary sum;
  if (!est.summary(&sum)) return;
  const SystemSpec& sys = est.context().system();
  std::map<int, PrefillCand> best;  // prefill GPUs -> the candidate with most requests/s per GPU
  for (const auto& p : prefill) {
    auto it = best.find(p.par.gpus());
    if (it == best.end() || p.rps / p.par.gpus() > it->second.rps / it->second.par.gpus()) best[p.par.gpus()] = p;
  }
  for (const auto& d : decode)
    for (const auto& [gp, p] : best) {
      const int gd = d.par.gpus();
      RateMatch m;
      if (!match_rates(p.rps, gp, d.rps, gd, o.total_gpus, &m)) continue;
      RuntimeConfig rt = o.rt;
      rt.prefill_batch = p.batch;
      const double ttft = p.par.pp * p.stage_ms + kv_transfer_ms(sum, sys, rt, gp, gd);
      if (o.ttft_limit_ms > 0 && ttft > o.ttft_limit_ms) {
        ++r->rejected_ttft;
        continue;
      }
      SearchPoint s;
      s.mode = ServingMode::disagg;
      s.par = d.par;
      s.prefill_par = p.par;
      s.batch = d.batch;
      s.prefill_batch = p.batch;
      s.prefill_workers = m.x;
      s.decode_workers = m.y;
      s.gpus = m.gpus;
      s.ttft_ms = ttft;
      s.tpot_ms = d.tpot_ms;
      s.request_latency_ms = ttft + d.tpot_ms * double(o.rt.osl - 1);
      s.tokens_per_s_per_gpu = m.rps * o.rt.osl / m.gpus;
      s.tokens_per_s_per_user = d.tpot_ms > 0 ? 1000.0 / d.tpot_ms : 0;
      s.memory_bytes = std::max(p.memory, d.memory);
      r->kept.push_back(s);
    }
}

}  // namespace

Status run_search(const Estimator& est, const SearchOptions& o, SearchResult* out) {
  const auto t0 = std::chrono::steady_clock::now();
  if (!est.builder()) return Status::error(est.config().source + ": no model builder for family '" + est.config().family + "'");
  Status s = check_runtime(o.rt);
  if (!s) return s;
  if (o.total_gpus < 1) return Status::error("search: total_gpus: expected at least 1");
  SearchResult r;
  const SystemSpec& sys = est.context().system();
  const int max_tp = o.max_tp > 0 ? o.max_tp : std::max(1, sys.gpus_per_node);
  const auto configs = enumerate_parallel(est.config(), o.total_gpus, max_tp, std::max(1, o.max_pp));
  const auto batches = o.batches.empty() ? default_batches() : o.batches;
  std::vector<std::int64_t> chunks = o.agg_chunks;
  if (chunks.empty()) {
    chunks.push_back(o.rt.isl);
    if (2 * o.rt.isl <= 16384) chunks.push_back(2 * o.rt.isl);
  }
  std::vector<std::int64_t> prefill_batches = o.prefill_batches;
  if (prefill_batches.empty())
    for (std::int64_t b = 1; b <= 8 && (b == 1 || b * o.rt.isl <= 32768); b *= 2) prefill_batches.push_back(b);

  std::vector<TaskOut> tasks(configs.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < configs.size();) run_task(est, o, configs[i], batches, chunks, prefill_batches, tasks[i]);
  };
  unsigned n = o.threads > 0 ? unsigned(o.threads) : std::max(1u, std::thread::hardware_concurrency());
  n = std::min<unsigned>(n, std::max<std::size_t>(1, configs.size()));
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < n; ++i) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();

  std::vector<PrefillCand> prefill;
  std::vector<DecodeCand> decode;
  for (auto& t : tasks) {
    if (t.invalid) ++r.invalid_configs;
    else ++r.parallel_configs;
    r.evaluated += t.evaluated;
    r.rejected_memory += t.rej_mem;
    r.rejected_ttft += t.rej_ttft;
    r.rejected_tpot += t.rej_tpot;
    for (auto& p : t.agg) r.kept.push_back(std::move(p));
    prefill.insert(prefill.end(), t.prefill.begin(), t.prefill.end());
    decode.insert(decode.end(), t.decode.begin(), t.decode.end());
    for (auto& e : t.examples)
      if (r.rejected_examples.size() < o.examples * 3) r.rejected_examples.push_back(std::move(e));
  }
  if (r.parallel_configs == 0)
    return Status::error("search: no parallel configuration of up to " + std::to_string(o.total_gpus) + " GPUs is valid for " +
                         est.config().source + (r.rejected_examples.empty() ? "" : " (" + r.rejected_examples.front() + ")"));
  if (o.disagg) combine_disagg(est, o, prefill, decode, &r);

  if (o.disagg && std::none_of(r.kept.begin(), r.kept.end(), [](const SearchPoint& p) { return p.mode == ServingMode::disagg; }))
    r.notes.push_back("disagg: no prefill worker + decode worker pair fits memory and the limits within " +
                      std::to_string(o.total_gpus) + " GPUs (" + std::to_string(prefill.size()) + " prefill and " +
                      std::to_string(decode.size()) + " decode candidates)");
  std::vector<SearchPoint> agg, dis;
  for (const auto& p : r.kept) (p.mode == ServingMode::disagg ? dis : agg).push_back(p);
  r.agg_frontier = pareto_frontier(std::move(agg));
  r.disagg_frontier = pareto_frontier(std::move(dis));
  r.frontier = pareto_frontier(r.kept);
  r.notes.push_back(std::to_string(configs.size()) + " parallel configurations, " + std::to_string(batches.size()) +
                    " batch sizes, agg chunks " + std::to_string(chunks.size()) + ", prefill batches " +
                    std::to_string(prefill_batches.size()) + ", " + std::to_string(n) + " threads");
  r.queries = est.queries();
  r.cache_hits = est.cache_hits();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  *out = std::move(r);
  return Status::ok();
}

}  // namespace aiconf
