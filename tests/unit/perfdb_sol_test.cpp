// sol_seconds: compute vs memory, launch overhead, and communication over NVLink or the network.
#include "aiconf_test.h"

#include <aiconf/operation.h>

using namespace aiconf;

namespace {
SystemSpec node() {
  SystemSpec s;
  s.bf16_tflops = 1000;
  s.hbm_tbps = 4;
  s.gpus_per_node = 8;
  s.nvlink_gbps = 400;
  s.nvlink_latency_us = 2;
  s.network_gbps = 50;
  s.network_latency_us = 10;
  s.kernel_launch_us = 3;
  return s;
}
}  // namespace

TEST_CASE("sol_seconds takes the larger of compute and memory, plus launches") {
  SolCost c;
  c.flops = 2e12;  // 2 ms at 1000 TFLOP/s
  c.bytes = 4e9;   // 1 ms at 4 TB/s
  CHECK(sol_seconds(c, node()) == Approx(2e-3 + 3e-6));
  c.bytes = 16e9;  // 4 ms: memory-bound now
  CHECK(sol_seconds(c, node()) == Approx(4e-3 + 3e-6));
}

TEST_CASE("collectives use NVLink inside a node and the network beyond, with per-step latency") {
  SolCost c;
  c.kernels = 0;
  c.comm_bytes = 400e6;  // 1 ms over NVLink, 8 ms over the network
  c.comm_steps = 14;
  c.comm_gpus = 8;
  CHECK(sol_seconds(c, node()) == Approx(1e-3 + 14 * 2e-6));
  c.comm_gpus = 16;
  CHECK(sol_seconds(c, node()) == Approx(8e-3 + 14 * 10e-6));
}
