#include "group_timer.h"

#include <aiconf/status.h>
#include <aiconf_plugins/cuda_check.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace aiconf::nccl_collect {

namespace {

// Events per rank, created on that rank's device.
struct RankEvents {
  std::vector<cudaEvent_t> start, stop;
  explicit RankEvents(int n) : start(n), stop(n) {
    for (int r = 0; r < n; ++r) {
      AICONF_CUDA_CHECK(cudaSetDevice(r));
      AICONF_CUDA_CHECK(cudaEventCreate(&start[r]));
      AICONF_CUDA_CHECK(cudaEventCreate(&stop[r]));
    }
  }
  ~RankEvents() {
    for (std::size_t r = 0; r < start.size(); ++r) {
      cudaSetDevice(static_cast<int>(r));
      cudaEventDestroy(start[r]);
      cudaEventDestroy(stop[r]);
    }
  }
};

// Elapsed ms of `body` between events on every rank's stream: the smallest over the first
// `active` ranks. Ranks start apart (the host starts them one after another) and a collective
// holds the early ones until the last arrives, so the rank started last (the least elapsed)
// measures the operation itself. With `per_rank`, each rank's start event is recorded right
// before its own launch (graphs); else all starts, then `all` (eager group calls).
double timed(NcclGroup& g, RankEvents& ev, int active, const std::function<void(int)>& per_rank,
             const std::function<void()>& all) {
  const int n = g.size();
  for (int r = 0; r < n; ++r) {
    AICONF_CUDA_CHECK(cudaSetDevice(r));
    AICONF_CUDA_CHECK(cudaEventRecord(ev.start[r], g.stream(r)));
    if (per_rank) per_rank(r);
  }
  if (!per_rank) all();
  for (int r = 0; r < n; ++r) {
    AICONF_CUDA_CHECK(cudaSetDevice(r));
    AICONF_CUDA_CHECK(cudaEventRecord(ev.stop[r], g.stream(r)));
  }
  g.synchronize();
  double best = INFINITY;
  for (int r = 0; r < std::min(active, n); ++r) {
    float ms = 0;
    AICONF_CUDA_CHECK(cudaEventElapsedTime(&ms, ev.start[r], ev.stop[r]));
    best = std::min(best, double(ms));
  }
  return best;
}

// One graph per rank holding `repeats` calls; empty when capture is refused (then eager).
// Thread-local capture mode, as nccl-tests uses: NCCL may allocate (cudaMalloc) while captured
// calls connect peers, which the global mode would forbid.
std::vector<cudaGraphExec_t> capture(NcclGroup& g, const std::function<void()>& enqueue, int repeats) {
  const int n = g.size();
  std::vector<cudaGraph_t> graphs(n, nullptr);
  std::vector<cudaGraphExec_t> execs;
  bool ok = true;
  int begun = 0;
  for (int r = 0; r < n && ok; ++r, ++begun) {
    cudaSetDevice(r);
    ok = cudaStreamBeginCapture(g.stream(r), cudaStreamCaptureModeThreadLocal) == cudaSuccess;
  }
  if (ok) {
    try {
      for (int i = 0; i < repeats; ++i) enqueue();
    } catch (const Error&) {
      ok = false;
    }
  }
  for (int r = 0; r < begun; ++r) {
    cudaSetDevice(r);
    if (cudaStreamEndCapture(g.stream(r), &graphs[r]) != cudaSuccess) ok = false;
  }
  if (ok) {
    for (int r = 0; r < n && ok; ++r) {
      cudaSetDevice(r);
      cudaGraphExec_t e = nullptr;
      ok = cudaGraphInstantiate(&e, graphs[r], 0) == cudaSuccess;
      if (ok) execs.push_back(e);
    }
  }
  for (int r = 0; r < n; ++r)
    if (graphs[r]) cudaGraphDestroy(graphs[r]);
  if (!ok) {
    for (auto e : execs) cudaGraphExecDestroy(e);
    execs.clear();
    cudaGetLastError();  // the refusal is not sticky; eager timing follows
  }
  return execs;
}

}  // namespace

GroupTiming time_on_group(NcclGroup& g, const std::function<void()>& enqueue, int active_ranks,
                          const collect::SamplingOptions& opt, bool allow_graph, double target_sample_ms) {
  RankEvents ev(g.size());
  for (int i = 0; i < std::max(opt.warmup, 1); ++i) enqueue();
  g.synchronize();
  constexpr int kProbe = 3;
  const double probe = timed(g, ev, active_ranks, nullptr, [&] {
                         for (int i = 0; i < kProbe; ++i) enqueue();
                       }) / kProbe;
  GroupTiming t;
  t.repeats = std::clamp(static_cast<int>(std::ceil(target_sample_ms / std::max(probe, 1e-4))), 1, 64);
  std::vector<cudaGraphExec_t> graphs;
  if (allow_graph) graphs = capture(g, enqueue, t.repeats);
  t.graph = !graphs.empty();
  std::function<void(int)> launch_graph;
  if (t.graph)
    launch_graph = [&](int r) {
      AICONF_CUDA_CHECK(cudaSetDevice(r));
      AICONF_CUDA_CHECK(cudaGraphLaunch(graphs[r], g.stream(r)));
    };
  auto eager = [&] {
    for (int i = 0; i < t.repeats; ++i) enqueue();
  };
  collect::SampleSummary sum;
  Status s;
  try {
    if (t.graph) {  // one untimed replay: the first launch of a graph uploads it
      for (int r = 0; r < g.size(); ++r) launch_graph(r);
      g.synchronize();
    }
    s = collect::sample_until_stable(opt, [&](double* ms) {
      *ms = timed(g, ev, active_ranks, launch_graph, eager) / t.repeats;
      return Status::ok();
    }, &sum);
  } catch (...) {
    for (auto e : graphs) cudaGraphExecDestroy(e);
    throw;
  }
  for (auto e : graphs) cudaGraphExecDestroy(e);
  if (!s) throw Error("sampling: " + s.message());
  t.latency_ms = sum.median_ms;
  t.spread = sum.spread;
  t.samples = sum.samples;
  return t;
}

}  // namespace aiconf::nccl_collect
