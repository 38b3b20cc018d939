// Memory per GPU and the static / disagg formulas on a hand-computable fake model.
#include "aiconf_test.h"
#include "estimator_fake_model.h"

using namespace aiconf;
using aiconf::test::FakeWorld;

TEST_CASE("estimator memory: weights split by tp and ep, KV by layers and heads, activations, comm, reserved") {
  FakeWorld w;
  Estimator est(w.reg, *w.engine, w.cfg);
  REQUIRE(est.builder() != nullptr);
  ParallelConfig par{2, 1, 2, 4, 1};  // tp 2, dp 2, ep 4, moe_tp 1
  RuntimeConfig rt;
  MemoryEstimate m;
  REQUIRE(est.memory(par, rt, 1000, StepShape{Phase::context, 1, 100, 0}, &m).is_ok());
  // Experts: (10 G - 4 G) / (8 - 2) per expert x 8 = 8 G, dense 2 G; 2 B each.
  CHECK(m.weights == Approx(2e9 * 2 / 2 + 8e9 * 2 / 4));
  // 1000 tokens x 1000 B x 10 layers / (8 KV heads / 4 per rank).
  CHECK(m.kv_bytes_per_token == Approx(5000));
  CHECK(m.kv_cache == Approx(5e6));
  // Largest GEMM (100x300 in + 100x200 out, 2 B) + residual stream 2 x 100 tokens x 64 x 2 B.
  CHECK(m.activations == Approx((100 * 300 + 100 * 200) * 2 + 2 * 100 * 64 * 2));
  CHECK(m.comm_buffers == Approx(1000 * 2 * 2));
  CHECK(m.reserved == Approx(1e9));
  CHECK(m.total == Approx(6e9 + 5e6 + 125600 + 4000 + 1e9));
  CHECK(m.fits);
  CHECK(m.max_kv_tokens == Approx((8e9 - (6e9 + 125600 + 4000 + 1e9)) / 5000));

  SECTION("pp halves weights and layers; fp8 KV halves the cache") {
    ParallelConfig p2 = par;
    p2.pp = 2;
    rt.kv_dtype = "fp8";
    REQUIRE(est.memory(p2, rt, 1000, StepShape{Phase::context, 1, 100, 0}, &m).is_ok());
    CHECK(m.weights == Approx((2e9 * 2 / 2 + 8e9 * 2 / 4) / 2));
    CHECK(m.kv_cache == Approx(1000 * 1000 * 5 / 2 * 0.5));
  }
  SECTION("a configuration that does not fit says so with the numbers") {
    ParallelConfig one{1, 1, 1, 1, 1};
    REQUIRE(est.memory(one, rt, 1000, StepShape{Phase::context, 1, 100, 0}, &m).is_ok());
    CHECK(m.weights == Approx(20e9));
    CHECK_FALSE(m.fits);
    CHECK(m.max_kv_tokens == 0);
    Estimate e;
    REQUIRE(est.estimate_static(one, rt, &e).is_ok());
    CHECK_FALSE(e.fits);
    REQUIRE_FALSE(e.warnings.empty());
    CHECK(e.warnings.back().find("does not fit") != std::string::npos);
  }
}

TEST_CASE("estimator static: TTFT, TPOT, throughput and the breakdown by hand") {
  FakeWorld w;
  Estimator est(w.reg, *w.engine, w.cfg);
  ParallelConfig par{2, 1, 2, 4, 1};
  RuntimeConfig rt;
  rt.isl = 1000;
  rt.osl = 101;
  rt.batch = 4;
  Estimate e;
  REQUIRE(est.estimate_static(par, rt, &e).is_ok());
  // Context: 100 ms x 2 + attention 10 ms x 4 sequences. Generation: 4 + 1 ms per step.
  CHECK(e.ttft_ms == Approx(240));
  CHECK(e.tpot_ms == Approx(5));
  CHECK(e.request_latency_ms == Approx(240 + 500));
  CHECK(e.concurrency == 8);  // batch 4 x dp 2
  CHECK(e.tokens_per_s_per_gpu == Approx(8 * 1000.0 / 740 * 101 / 4));
  CHECK(e.tokens_per_s_per_user == Approx(200));
  double sum = 0, share = 0;
  for (const auto& o : e.request_breakdown) sum += o.ms, share += o.share;
  CHECK(sum == Approx(e.request_latency_ms));
  CHECK(share == Approx(1));
  // The missing gemm and all_reduce operations are named, not silently dropped.
  bool warned = false;
  for (const auto& wmsg : e.warnings) warned = warned || wmsg.find("all_reduce") != std::string::npos;
  CHECK(warned);
  CHECK(e.by_provenance[static_cast<int>(Provenance::exact)] == Approx(e.request_latency_ms));

  SECTION("MTP: 1 + 0.5 tokens per step, 67 steps for 100 tokens") {
    rt.mtp_tokens = 1;
    rt.mtp_acceptance = 0.5;
    REQUIRE(est.estimate_static(par, rt, &e).is_ok());
    CHECK(e.tpot_ms == Approx(5.0 * 67 / 100));
  }
  SECTION("pp 2: a request crosses both stages, two micro-batches in flight") {
    par.pp = 2;
    REQUIRE(est.estimate_static(par, rt, &e).is_ok());
    CHECK(e.ttft_ms == Approx(480));
    CHECK(e.tpot_ms == Approx(10));
    CHECK(e.concurrency == 16);
  }
  SECTION("strict mode turns a missing operation into an error") {
    rt.strict_ops = true;
    Status s = est.estimate_static(par, rt, &e);
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.message().find("gemm") != std::string::npos);
  }
}

TEST_CASE("estimator disagg: integer rate matching and the ideal ratio") {
  FakeWorld w;
  Estimator est(w.reg, *w.engine, w.cfg);
  ParallelConfig one{1, 1, 1, 1, 1};
  RuntimeConfig rt;
  rt.isl = 1000;
  rt.osl = 101;
  rt.batch = 4;
  rt.prefill_batch = 1;
  Estimate e;
  // Prefill: 210 ms per prompt -> 4.76 req/s per 1-GPU worker. Decode: 5 ms x 100 steps for 4 -> 8 req/s.
  REQUIRE(est.estimate_disagg(one, one, rt, 8, &e).is_ok());
  const double rp = 1000.0 / 210, rd = 8;
  // Best requests/s per GPU within 8 GPUs: 5 prefill + 3 decode = min(23.8, 24) / 8.
  CHECK(e.prefill_workers == 5);
  CHECK(e.decode_workers == 3);
  CHECK(e.gpus == 8);
  CHECK(e.tokens_per_s_per_gpu == Approx(std::min(5 * rp, 3 * rd) * 101 / 8));
  CHECK(e.tpot_ms == Approx(5));
  CHECK(e.ttft_ms > 210);  // plus the KV transfer over NVLink
  REQUIRE(est.estimate_disagg(one, one, rt, 0, &e).is_ok());
  CHECK(e.tokens_per_s_per_gpu == Approx(101.0 / (1 / rp + 1 / rd)));
}

TEST_CASE("estimator agg: the mixed-step schedule") {
  FakeWorld w;
  Estimator est(w.reg, *w.engine, w.cfg);
  ParallelConfig one{1, 1, 1, 1, 1};
  RuntimeConfig rt;
  rt.isl = 1000;
  rt.osl = 101;
  rt.batch = 10;
  Estimate e;
  REQUIRE(est.estimate_agg(one, rt, &e).is_ok());
  // M = 10 mixed steps per round, S = 100 decode steps, round T = 101; g = min(10 - 1, ceil(10 x 100 / 10)) = 9.
  CHECK(e.mixed_steps == Approx(10));
  CHECK(e.generation_only_steps == Approx(91));
  CHECK(e.mixed_generation_seqs == 9);
  // Mixed step: tokens 200 + prompt attention 10 + decode attention 1; generation-only 5.
  CHECK(e.ttft_ms == Approx(211));
  const double f = 9.0 * 10 / (9.0 * 10 + 10.0 * 91);
  CHECK(e.tpot_ms == Approx(f * 211 + (1 - f) * 5));
  CHECK(e.tokens_per_s_per_gpu == Approx(10.0 * 101 * 1000 / (10 * 211 + 91 * 5)));
}
