// Validation and holdout complete the speed-of-light key with the model's dimensions
// (ValidationOptions::sol_key), as a query's key does; model_sol_key() reads them from a builder.
#include "aiconf_test.h"
#include "estimator_fake_model.h"
#include "perfdb_test_util.h"

#include <aiconf/model_sol_key.h>
#include <aiconf/perf_database.h>

using namespace aiconf;
using aiconf::test::header;
using aiconf::test::row;

namespace {

// Table `dim_perf` (dtype, m): its speed-of-light needs `width`, a dimension no row holds (like a
// module's hidden size): bytes = m * width, so on toy_system() sol_ms = m * width.
class DimOp final : public OperationBase {
public:
  DimOp() : OperationBase("dim_op", "test operation whose cost needs a model dimension", make_schema()) {}

private:
  static TableSchema make_schema() {
    TableSchema s;
    s.table = "dim_perf";
    s.op_names = {"toy"};
    s.keys.push_back({"dtype", ColumnKind::categorical, AxisTransform::linear});
    s.keys.push_back({"m", ColumnKind::numeric, AxisTransform::log});
    return s;
  }
  SolCost cost(const Params& key) const override {
    SolCost c;
    c.bytes = key.number("m") * key.number("width");  // throws without width: no speed-of-light
    c.kernels = 0;
    return c;
  }
};

// Latency = 1 ms of overhead + m ms: past the last measured m, the marginal time per unit of
// speed-of-light (1 ms per m) continues it exactly; a log-log slope through the last two points
// (3 -> 5 ms from m = 2 to 4) predicts 8.33 ms at m = 8 instead of 9.
std::string latency(int m) { return std::to_string(1 + m); }

}  // namespace

TEST_CASE("leave-one-out: the model's dimensions let a frontier point extrapolate by speed-of-light") {
  test::TempDir dir;
  std::string text = header("dtype,m");
  for (int m : {1, 2, 4, 8}) text += row("bf16," + std::to_string(m), latency(m));
  dir.write("toy/dim_perf.txt", text);
  std::shared_ptr<PerfDatabase> db;
  REQUIRE(open_perf_database(dir.str(), "toy", &db).is_ok());
  DimOp op;
  SystemSpec sys = test::toy_system();

  ValidationOptions bare;
  ValidationReport without;
  REQUIRE(db->validate("dim_perf", nullptr, &op, &sys, bare, &without).is_ok());
  ValidationOptions with_dims;
  with_dims.sol_key.set("width", std::int64_t(3));
  ValidationReport with;
  REQUIRE(db->validate("dim_perf", nullptr, &op, &sys, with_dims, &with).is_ok());

  // m = 8 is the upper frontier point: by slope 7% off, by speed-of-light (any width) exact.
  REQUIRE(without.worst.size() == with.worst.size());
  auto error_at = [](const ValidationReport& r, const std::string& key) {
    for (const auto& p : r.worst)
      if (p.key.find(key) != std::string::npos) return p.error_pct;
    return -1.0;
  };
  CHECK(error_at(without, "m=8") > 5);
  CHECK(error_at(with, "m=8") == Approx(0).margin(0.01));
  CHECK(with.frontier.max < without.frontier.max);
}

TEST_CASE("holdout: the model's dimensions let a missing point extrapolate by speed-of-light") {
  test::TempDir train, full;
  std::string all = header("dtype,m"), some = header("dtype,m");
  for (int m : {1, 2, 4, 8}) {
    all += row("bf16," + std::to_string(m), latency(m));
    if (m < 8) some += row("bf16," + std::to_string(m), latency(m));
  }
  full.write("toy/dim_perf.txt", all);
  train.write("toy/dim_perf.txt", some);
  std::shared_ptr<PerfDatabase> tr, te;
  REQUIRE(open_perf_database(train.str(), "toy", &tr).is_ok());
  REQUIRE(open_perf_database(full.str(), "toy", &te).is_ok());
  DimOp op;
  SystemSpec sys = test::toy_system();
  ValidationReport without, with;
  REQUIRE(validate_holdout(*tr, *te, "dim_perf", nullptr, &op, &sys, {}, &without).is_ok());
  ValidationOptions vo;
  vo.sol_key.set("width", std::int64_t(7));
  REQUIRE(validate_holdout(*tr, *te, "dim_perf", nullptr, &op, &sys, vo, &with).is_ok());
  REQUIRE(without.evaluated == 1);
  REQUIRE(with.evaluated == 1);
  CHECK(without.all.max > 5);
  CHECK(with.all.max == Approx(0).margin(0.01));
  // A table column wins over a sol_key entry of the same name: a wrong m in the key changes nothing.
  vo.sol_key.set("m", std::int64_t(1000));
  ValidationReport shadowed;
  REQUIRE(validate_holdout(*tr, *te, "dim_perf", nullptr, &op, &sys, vo, &shadowed).is_ok());
  CHECK(shadowed.all.max == Approx(with.all.max).margin(1e-9));
}

TEST_CASE("model_sol_key: the builder's constant non-column key entries of the operation") {
  test::FakeWorld w;
  Params key;
  REQUIRE(model_sol_key(w.reg, w.cfg, w.op, &key).is_ok());
  // The attention call's num_key_value_heads and kv_cache_dtype are the same in both phases; ms
  // and step differ between calls (per-call sizes), so they are not model dimensions.
  CHECK(key.integer("num_key_value_heads") == 4);
  CHECK(key.text("kv_cache_dtype") == "bfloat16");
  CHECK_FALSE(key.has("ms"));
  CHECK_FALSE(key.has("step"));
  // An operation the model never calls: no dimensions, no error.
  DimOp other;
  REQUIRE(model_sol_key(w.reg, w.cfg, other, &key).is_ok());
  CHECK(key.empty());
  // A family no plugin builds: the error names the config file and the family.
  w.cfg.family = "unknown_family";
  Status s = model_sol_key(w.reg, w.cfg, w.op, &key);
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.message().find("fake.json") != std::string::npos);
  CHECK(s.message().find("unknown_family") != std::string::npos);
}
