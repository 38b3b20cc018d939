// Fixture plugin for the aiconf-collect tests: a CPU fake mock layer whose latency is a
// deterministic function of the case (reported as simulated time through the CpuStream), its
// operation and table schema, and collectors over it. Knobs (environment, read at setup):
//   AICONF_FAKE_ABORT_AFTER=K  abort() at the (K+1)-th setup of this process (a kill mid-sweep).
// The case batch_size=16, isl=1024 fails its setup with an out-of-memory message (a skipped case).
#include <aiconf/plugin/abi.h>
#include <aiconf/plugin/plugin_base.h>

#include <aiconf_collect/simulated_layer.h>

#include <cmath>
#include <cstdlib>

namespace {

using namespace aiconf;

TableSchema fake_schema() {
  TableSchema s;
  s.table = "fake_perf";
  s.op_names = {"fake"};
  s.keys = {Column{"dtype", ColumnKind::categorical}, Column{"batch_size", ColumnKind::numeric, AxisTransform::log},
            Column{"isl", ColumnKind::numeric, AxisTransform::log}};
  return s;
}

class FakeOp final : public OperationBase {
public:
  FakeOp() : OperationBase("fake_op", "a fake operation for the collector tests", fake_schema()) {}

protected:
  SolCost cost(const Params& key) const override {
    SolCost c;
    c.flops = 1e9 * key.number("batch_size") * key.number("isl");
    return c;
  }
};

/// The latency the fake layer reports, in ms: smooth in log space, different per dtype.
double fake_latency_ms(const std::string& dtype, double batch, double isl) {
  return 0.005 + 0.001 * batch * std::sqrt(isl) * (dtype == "fp8" ? 0.625 : 1.0);
}

int setups_so_far = 0;

class FakeLayer final : public collect::SimulatedCpuLayer {
public:
  FakeLayer() : SimulatedCpuLayer("cpu:fake_kernel") {}
  Status setup(const Params& shape, void* stream) noexcept override {
    if (const char* k = std::getenv("AICONF_FAKE_ABORT_AFTER"); k && setups_so_far >= std::atoi(k)) std::abort();
    ++setups_so_far;
    if (!collect::as_cpu_stream(stream)) return Status::error("fake layer: the stream is not a CpuStream");
    return guarded([&] {
      const double b = shape.number("batch_size"), isl = shape.number("isl");
      if (b * isl >= 16 * 1024) throw Error("out of memory: fake layer needs " + std::to_string(b * isl) + " units, 16384 available");
      ms_ = fake_latency_ms(shape.text("dtype"), b, isl);
    });
  }
};

class FakeCollector final : public CollectorBase {
public:
  FakeCollector(std::string name, bool needs_model) : CollectorBase(std::move(name), "fake_op", "fake_layer"), needs_model_(needs_model) {}

protected:
  std::vector<Params> sweep(const SweepOptions& opt) const override {
    if (needs_model_ && !opt.model) throw Error("collector " + std::string(name()) + " needs a model config for its dimensions (pass --model config.json)");
    std::vector<Params> out;
    const std::vector<std::string> dtypes = opt.quick ? std::vector<std::string>{"bf16"} : std::vector<std::string>{"bf16", "fp8"};
    const std::vector<std::int64_t> batches = opt.quick ? std::vector<std::int64_t>{1, 4} : std::vector<std::int64_t>{1, 2, 4, 8, 16};
    const std::vector<std::int64_t> isls = opt.quick ? std::vector<std::int64_t>{16, 256} : std::vector<std::int64_t>{16, 32, 64, 128, 256, 512, 1024};
    for (const auto& d : dtypes)
      for (auto b : batches)
        for (auto s : isls) out.push_back(Params{{"dtype", d}, {"batch_size", b}, {"isl", s}});
    return out;
  }

private:
  bool needs_model_;
};

void register_fake(Registrar& r) {
  throw_if_error(r.add_operation(new FakeOp));
  throw_if_error(r.add_mock_layer(new MockLayerFactoryOf<FakeLayer>("fake_layer", "fake_op", "CPU fake with a deterministic latency")));
  throw_if_error(r.add_collector(new FakeCollector("fake_sweep", false)));
  throw_if_error(r.add_collector(new FakeCollector("fake_model_sweep", true)));
}

}  // namespace

AICONF_PLUGIN("fake_collector", "1.0.0", "CPU fake mock layer and collectors for the aiconf-collect tests", register_fake)
