// Leave-one-out validation and schema inference, on hand-made tables and (when ../shared exists)
// on the reference tables.
#include "aiconf_test.h"
#include "perfdb_test_util.h"

#include "perfdb/schema_infer.h"
#include "perfdb/table_locator.h"
#include "perfdb/table_reader.h"
#include "perfdb/validation.h"

#include <aiconf/perf_database.h>

#include <filesystem>

using namespace aiconf;
using aiconf::test::header;
using aiconf::test::row;

TEST_CASE("leave-one-out on a power law: zero error, interior and frontier counted") {
  test::TempDir dir;
  std::string text = header("dtype,m");
  for (int m : {1, 2, 4, 8, 16}) text += row("bf16," + std::to_string(m), std::to_string(3 * m));
  dir.write("toy/toy_perf.txt", text);
  std::shared_ptr<PerfDatabase> db;
  REQUIRE(open_perf_database(dir.str(), "toy", &db).is_ok());
  ValidationReport rep;
  REQUIRE(db->validate("toy_perf", nullptr, nullptr, nullptr, {}, &rep).is_ok());
  CHECK(rep.schema_inferred);
  CHECK(rep.points == 5);
  CHECK(rep.interior.count == 3);  // m = 2, 4, 8
  CHECK(rep.frontier.count == 2);  // m = 1, 16
  CHECK(rep.all.max == Approx(0).margin(1e-9));
  // With an operation and a system, extrapolation holds utilization (here also exact).
  test::ToyOp op;
  SystemSpec sys = test::toy_system();
  REQUIRE(db->validate("toy_perf", nullptr, &op, &sys, {}, &rep).is_ok());
  CHECK(rep.with_sol);
  CHECK_FALSE(rep.schema_inferred);
  CHECK(rep.frontier.max == Approx(0).margin(1e-9));
  // A sample is drawn with a fixed seed.
  ValidationOptions vo;
  vo.max_points = 2;
  REQUIRE(db->validate("toy_perf", nullptr, nullptr, nullptr, vo, &rep).is_ok());
  CHECK(rep.evaluated == 2);
}

TEST_CASE("inferred schema: head dims, window size and beam width are categorical whatever their values") {
  test::TempDir dir;
  std::string text = header("head_dim,window_size,beam_width,batch_size");
  for (int d : {64, 128, 192, 256})
    for (int w : {0, 128, 8192})
      for (int b : {1, 2, 4}) text += row(std::to_string(d) + "," + std::to_string(w) + "," + std::to_string(b % 3 + 1) + "," + std::to_string(b), "1");
  dir.write("toy/attn_perf.txt", text);
  std::shared_ptr<PerfDatabase> db;
  REQUIRE(open_perf_database(dir.str(), "toy", &db).is_ok());
  TableSchema s;
  REQUIRE(db->infer_schema("attn_perf", &s).is_ok());
  REQUIRE(s.keys.size() == 4);
  CHECK(s.keys[0].kind == ColumnKind::categorical);  // head_dim
  CHECK(s.keys[1].kind == ColumnKind::categorical);  // window_size
  CHECK(s.keys[2].kind == ColumnKind::categorical);  // beam_width
  CHECK(s.keys[3].kind == ColumnKind::numeric);      // batch_size: a size
}

TEST_CASE("holdout: a subset predicts the points of the full table it lacks") {
  test::TempDir train, full;
  // Full table: a power law on m = 1..64 in group "a", plus a group "c" the subset never saw.
  std::string all = header("dtype,m"), some = header("dtype,m");
  for (int m : {1, 2, 4, 8, 16, 32, 64}) {
    all += row("a," + std::to_string(m), std::to_string(3 * m));
    if (m == 1 || m == 4 || m == 64) some += row("a," + std::to_string(m), std::to_string(3 * m));
  }
  all += row("c,1", "5") + row("c,2", "6");
  // One point of the subset differs from the full table's value: shared points are not scored.
  some += row("a,32", "1000");
  full.write("toy/toy_perf.txt", all);
  train.write("toy/toy_perf.txt", some);
  std::shared_ptr<PerfDatabase> tr, te;
  REQUIRE(open_perf_database(train.str(), "toy", &tr).is_ok());
  REQUIRE(open_perf_database(full.str(), "toy", &te).is_ok());
  test::ToyOp op;
  ValidationReport rep;
  REQUIRE(validate_holdout(*tr, *te, "toy_perf", &op.schema(), nullptr, nullptr, {}, &rep).is_ok());
  CHECK(rep.points == 9);
  CHECK(rep.shared == 4);          // m = 1, 4, 32, 64 of group a
  CHECK(rep.unpredictable == 2);   // group c
  REQUIRE(rep.evaluated == 3);     // m = 2, 8, 16
  CHECK(rep.interior.count == 3);  // all inside the subset's range: interpolated
  CHECK(rep.frontier.count == 0);
  // m = 2 between 1 and 4 is exact on the power law; m = 8, 16 sit next to the wrong m=32 point.
  REQUIRE_FALSE(rep.worst.empty());
  CHECK(rep.worst.front().error_pct > 10);
  CHECK(rep.all.median > 0);
  // A table the test database lacks is an error naming it.
  CHECK_FALSE(validate_holdout(*tr, *te, "missing_perf", nullptr, nullptr, nullptr, {}, &rep).is_ok());
}

TEST_CASE("leave-one-out errors are hand-checkable") {
  test::TempDir dir;
  // Two groups; in "b" a lone point cannot be predicted. In "a", hiding m=2 predicts it from m=1
  // and m=4 in log-log space: sqrt(1*4) = 2 vs measured 3 -> 33.3% error (interior).
  dir.write("toy/toy_perf.txt", header("dtype,m") + row("a,1", "1") + row("a,2", "3") + row("a,4", "4") +
                                    row("b,1", "5"));
  std::shared_ptr<PerfDatabase> db;
  REQUIRE(open_perf_database(dir.str(), "toy", &db).is_ok());
  test::ToyOp op;
  ValidationReport rep;
  REQUIRE(db->validate("toy_perf", &op.schema(), nullptr, nullptr, {}, &rep).is_ok());
  CHECK(rep.groups == 2);
  CHECK(rep.unpredictable == 1);
  REQUIRE(rep.interior.count == 1);
  CHECK(rep.interior.median == Approx(100.0 / 3.0));
  REQUIRE_FALSE(rep.worst.empty());
  CHECK(rep.worst[0].error_pct >= rep.interior.median);
}

TEST_CASE("error statistics: median, nearest-rank p90, max") {
  std::vector<double> e{5, 1, 4, 2, 3, 10, 9, 8, 7, 6};
  ErrorStats s = perfdb::error_stats(e);
  CHECK(s.count == 10);
  CHECK(s.median == 5.5);
  CHECK(s.p90 == 9);
  CHECK(s.max == 10);
}

TEST_CASE("schema inference: categorical vs numeric, transforms") {
  test::TempDir dir;
  std::string p = dir.write(
      "context_mla_perf.txt",
      header("dtype,tp,batch_size,isl,step,flag") + row("bf16,1,1,1,0,x", "1") + row("bf16,1,2,16,1,x", "1") +
          row("bf16,1,4,32,2,x", "1") + row("fp8,2,8,64,3,x", "1"));
  perfdb::TableData t;
  REQUIRE(perfdb::read_table(p, {}, &t).is_ok());
  TableSchema s = perfdb::infer_schema(t);
  auto find = [&](const std::string& n) -> const Column* {
    for (const auto& c : s.keys)
      if (c.name == n) return &c;
    return nullptr;
  };
  CHECK(find("framework") == nullptr);  // one value: left out
  REQUIRE(find("dtype"));
  CHECK(find("dtype")->kind == ColumnKind::categorical);
  CHECK(find("tp")->kind == ColumnKind::categorical);  // two values only
  CHECK(find("batch_size")->kind == ColumnKind::numeric);
  CHECK(find("batch_size")->transform == AxisTransform::log);
  CHECK(find("isl")->transform == AxisTransform::sqrt);   // sequence axis of a context attention table
  CHECK(find("step")->transform == AxisTransform::sqrt);
  CHECK(find("flag")->kind == ColumnKind::categorical);
  CHECK(perfdb::is_attention_like("dsa_context_module_perf"));
  CHECK_FALSE(perfdb::is_attention_like("gemm_perf"));
}

TEST_CASE("natural version order") {
  CHECK(perfdb::natural_compare("1.10", "1.9") > 0);
  CHECK(perfdb::natural_compare("0.5.14", "1.3.0rc20") < 0);
  CHECK(perfdb::natural_compare("1.3.0rc20", "1.3.0rc3") > 0);
  CHECK(perfdb::natural_compare("2.29.2", "2.29.2") == 0);
}

TEST_CASE("reference tables load as they are and validate at aiconfigurator's level") {
  std::string ref = test::shared_dir() + "/reference/aiconfigurator";
  if (!std::filesystem::is_directory(ref)) AICONF_SKIP("../shared/reference/aiconfigurator absent: skipped");
  for (const char* sys : {"h100_sxm", "h200_sxm"}) {
    std::shared_ptr<PerfDatabase> db;
    REQUIRE(open_perf_database(ref, sys, &db).is_ok());
    for (const auto& t : db->tables()) {
      TableInfo info;
      INFO(t.path);
      REQUIRE(db->table_info(t.table, &info).is_ok());
      CHECK(info.rows > 0);
    }
    ValidationReport rep;
    REQUIRE(db->validate("gemm_perf", nullptr, nullptr, nullptr, {}, &rep).is_ok());
    CHECK(rep.interior.median < 4.9);
    CHECK(rep.interior.p90 < 15.6);
    REQUIRE(db->validate("dsa_context_module_perf", nullptr, nullptr, nullptr, {}, &rep).is_ok());
    CHECK(rep.interior.median < 5.4);
  }
}
