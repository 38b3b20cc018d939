// The comm plugin: bus-bandwidth speed-of-light by hand, schemas, sweeps.
#include "plugin_test_util.h"

using namespace aiconf;
using namespace aiconf::test;

namespace {
Params nccl(const std::string& dtype, std::int64_t gpus, std::int64_t size) {
  return Params{{"nccl_dtype", dtype}, {"num_gpus", gpus}, {"message_size", size}};
}
}  // namespace

TEST_CASE("comm: ring bus bytes, GPU count and latency steps") {
  Registry reg;
  load_plugin("comm", &reg);
  SECTION("all_reduce: 2(n-1)/n of the message, 2(n-1) hops") {
    SolCost c = sol(reg, "all_reduce", nccl("half", 8, 1 << 20));
    CHECK(c.comm_bytes == Approx(2.0 * 7 / 8 * (1 << 20) * 2));
    CHECK(c.comm_gpus == 8);
    CHECK(c.comm_steps == 14);
    CHECK(c.flops == 0);
  }
  SECTION("all_gather, reduce_scatter, alltoall: (n-1)/n") {
    CHECK(sol(reg, "all_gather", nccl("int8", 4, 4096)).comm_bytes == Approx(3072));
    CHECK(sol(reg, "reduce_scatter", nccl("half", 4, 4096)).comm_bytes == Approx(6144));
    CHECK(sol(reg, "alltoall", nccl("half", 2, 4096)).comm_bytes == Approx(4096));
    CHECK(sol(reg, "alltoall", nccl("half", 16, 4096)).comm_gpus == 16);  // beyond a node: the core picks the network
  }
  SECTION("p2p moves the message once; one GPU moves nothing") {
    CHECK(sol(reg, "p2p", nccl("half", 2, 1000)).comm_bytes == Approx(2000));
    CHECK(sol(reg, "all_reduce", nccl("half", 1, 1000)).comm_bytes == 0);
    CHECK(sol(reg, "all_reduce", nccl("half", 1, 1000)).comm_steps == 0);
  }
  SECTION("custom all-reduce reads allreduce_dtype") {
    CHECK(sol(reg, "custom_all_reduce",
              Params{{"allreduce_dtype", std::string("bfloat16")}, {"num_gpus", std::int64_t(4)}, {"message_size", std::int64_t(1024)}})
              .comm_bytes == Approx(2.0 * 3 / 4 * 1024 * 2));
    CHECK(contains(sol_error(reg, "custom_all_reduce", nccl("half", 4, 1024)), "missing key 'allreduce_dtype'"));
  }
  SECTION("bad keys") { CHECK(contains(sol_error(reg, "all_reduce", nccl("half", 0, 1024)), "num_gpus >= 1")); }
}

TEST_CASE("comm: schemas and sweeps") {
  Registry reg;
  load_plugin("comm", &reg);
  const Operation* op = nullptr;
  REQUIRE(reg.find_operation("custom_all_reduce", &op).is_ok());
  CHECK(op->schema().table == "custom_allreduce_perf");
  CHECK(op->schema().op_names == std::vector<std::string>{"all_reduce"});
  REQUIRE(reg.find_operation("p2p", &op).is_ok());
  CHECK(op->schema().table == "p2p_perf");
  REQUIRE(reg.find_operation("alltoall", &op).is_ok());
  CHECK(op->schema().keys[2].name == "message_size");
  const auto cases = sweep_cases(reg, "all_reduce", SweepOptions{});
  CHECK(cases.size() == 2 * 2 * 22);  // half/int8 x 2/4 GPUs x 2^8..2^29 elements
  CHECK(cases.back().integer("message_size") == (1 << 29));
}
