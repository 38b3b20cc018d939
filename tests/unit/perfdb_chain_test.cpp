// Every step of the query chain with hand-computed values, the modes, duplicates, missing tables.
#include "aiconf_test.h"
#include "perfdb_test_util.h"

#include <aiconf/perf_database.h>
#include <aiconf/query_engine.h>
#include <aiconf/registry.h>

#include <cmath>
#include <set>

using namespace aiconf;
using aiconf::test::header;
using aiconf::test::row;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::shared_ptr<PerfDatabase> open_db(const test::TempDir& dir, const std::string& system = "toy") {
  std::shared_ptr<PerfDatabase> db;
  Status s = open_perf_database(dir.str(), system, &db);
  REQUIRE(s.is_ok());
  return db;
}

// m = 1, 2, 4, 8 with latency 2m: utilization (sol m ms / measured 2m ms) 0.5 everywhere.
std::string power_table() {
  return header("dtype,m") + row("bf16,1", "2") + row("bf16,2", "4") + row("bf16,4", "8") + row("bf16,8", "16");
}

}  // namespace

TEST_CASE("exact hit: the measured row, provenance exact, file:line") {
  test::TempDir dir;
  std::string p = dir.write("toy/aiconf/0.1/toy_perf.txt", power_table());
  auto db = open_db(dir);
  test::ToyOp op;
  Latency l;
  REQUIRE(db->lookup(op, Params{{"dtype", std::string("bf16")}, {"m", std::int64_t(4)}}, test::toy_system(),
                     QueryMode::hybrid, &l)
              .is_ok());
  CHECK(l.ms == 8);
  CHECK(l.provenance == Provenance::exact);
  CHECK(l.table == "toy_perf");
  REQUIRE(l.rows.size() == 1);
  CHECK(l.rows[0] == p + ":4");
}

TEST_CASE("interpolation in log space reproduces a power law exactly") {
  test::TempDir dir;
  dir.write("toy/aiconf/0.1/toy_perf.txt", power_table());
  auto db = open_db(dir);
  test::ToyOp op;
  Latency l;
  // log-log line through all points: every PCHIP slope is 1, so m=3 gives 2*3 = 6.
  REQUIRE(db->lookup(op, Params{{"dtype", std::string("bf16")}, {"m", 3.0}}, test::toy_system(), QueryMode::hybrid, &l)
              .is_ok());
  CHECK(l.ms == Approx(6.0).epsilon(1e-12));
  CHECK(l.provenance == Provenance::interpolated);
  CHECK(l.rows.size() == 4);  // the two brackets and their outer neighbours
}

TEST_CASE("interpolation between two points only is a straight line in log-log space") {
  test::TempDir dir;
  dir.write("toy/toy_perf.txt", header("dtype,m") + row("bf16,1", "1") + row("bf16,4", "2"));
  auto db = open_db(dir);
  test::ToyOp op;
  Latency l;
  REQUIRE(db->lookup(op, Params{{"dtype", std::string("bf16")}, {"m", std::int64_t(2)}}, test::toy_system(),
                     QueryMode::hybrid, &l)
              .is_ok());
  CHECK(l.ms == Approx(std::sqrt(2.0)));  // halfway in log m: the geometric mean of 1 and 2
  CHECK(l.provenance == Provenance::interpolated);
}

TEST_CASE("a grid that is not a rectangle interpolates axis by axis over what each subtree has") {
  test::TempDir dir;
  // m=1 measured at n=1,4; m=4 measured at n=2,8; latency = m*n.
  dir.write("toy/toy_perf.txt", header("dtype,m,n") + row("bf16,1,1", "1") + row("bf16,1,4", "4") +
                                    row("bf16,4,2", "8") + row("bf16,4,8", "32"));
  auto db = open_db(dir);
  test::ToyOp op(true);
  Latency l;
  // m=1 subtree at n=4: exact 4; m=4 subtree at n=4: sqrt(8*32) = 16; halfway in log m: sqrt(4*16) = 8.
  REQUIRE(db->lookup(op, Params{{"dtype", std::string("bf16")}, {"m", std::int64_t(2)}, {"n", std::int64_t(4)}},
                     test::toy_system(), QueryMode::silicon, &l)
              .is_ok());
  CHECK(l.ms == Approx(8.0));
  CHECK(l.provenance == Provenance::interpolated);
  CHECK(l.rows.size() == 3);
}

TEST_CASE("a measured line that must extrapolate gives way to complete neighbours on both sides") {
  test::TempDir dir;
  // latency = m * n. m=1 and m=4 hold n = 1..8; the m=2 line has one point, n=2, off the trend
  // (a partial line, as an adaptive collection or a b*s-limited sweep leaves). At (m=2, n=8) that
  // line could only hold its lone point (20); the neighbours answer without extrapolating:
  // sqrt(8 * 32) = 16 in log-log.
  std::string text = header("dtype,m,n");
  for (int m : {1, 4})
    for (int n : {1, 2, 4, 8}) text += row("bf16," + std::to_string(m) + "," + std::to_string(n), std::to_string(m * n));
  text += row("bf16,2,2", "20");
  dir.write("toy/toy_perf.txt", text);
  auto db = open_db(dir);
  test::ToyOp op(true);
  Latency l;
  REQUIRE(db->lookup_table(op.schema(), Params{{"dtype", std::string("bf16")}, {"m", std::int64_t(2)}, {"n", std::int64_t(8)}}, &l)
              .is_ok());
  CHECK(l.ms == Approx(16.0));
  CHECK(l.provenance == Provenance::interpolated);
  for (const auto& r : l.rows) CHECK_FALSE(contains(r, ":10"));  // the m=2 row (line 10) is not among the rows used
  // On the measured point itself the line answers exactly.
  REQUIRE(db->lookup_table(op.schema(), Params{{"dtype", std::string("bf16")}, {"m", std::int64_t(2)}, {"n", std::int64_t(2)}}, &l)
              .is_ok());
  CHECK(l.ms == Approx(20.0));
}

TEST_CASE("a line whose outer (slope-only) neighbour lacks the range keeps its own answer") {
  test::TempDir dir;
  // latency = a * b * c on a in {2,4,8}, b, c in {1,2,4,8}; the (a=4, b=8) line stops at c=2.
  // At (a=4, b=3, c=4) the a=4 line interpolates b between 2 and 4 from measured points; its outer
  // neighbour b=8 (slopes only) must extrapolate c, which is no reason to leave the line.
  std::string text = header("dtype,a,b,c");
  std::set<std::string> line_a4;
  int line = 1;
  for (int a : {2, 4, 8})
    for (int b : {1, 2, 4, 8})
      for (int c : {1, 2, 4, 8}) {
        if (a == 4 && b == 8 && c > 2) continue;
        text += row("bf16," + std::to_string(a) + "," + std::to_string(b) + "," + std::to_string(c), std::to_string(a * b * c));
        ++line;
        if (a == 4) line_a4.insert(":" + std::to_string(line));
      }
  dir.write("toy/toy_perf.txt", text);
  auto db = open_db(dir);
  TableSchema sch;
  sch.table = "toy_perf";
  sch.op_names = {"toy"};
  sch.keys = {{"dtype", ColumnKind::categorical, AxisTransform::linear},
              {"a", ColumnKind::numeric, AxisTransform::log},
              {"b", ColumnKind::numeric, AxisTransform::log},
              {"c", ColumnKind::numeric, AxisTransform::log}};
  Latency l;
  REQUIRE(db->lookup_table(sch, Params{{"dtype", std::string("bf16")}, {"a", std::int64_t(4)}, {"b", std::int64_t(3)}, {"c", std::int64_t(4)}}, &l)
              .is_ok());
  REQUIRE_FALSE(l.rows.empty());
  for (const auto& r : l.rows) {
    const std::string tail = r.substr(r.rfind(':'));
    CHECK(line_a4.count(tail) == 1);
  }
}

TEST_CASE("outside the measured range: hold the boundary's utilization, scale by speed-of-light") {
  test::TempDir dir;
  dir.write("toy/toy_perf.txt", power_table());
  auto db = open_db(dir);
  test::ToyOp op;
  Latency l;
  // Boundary m=8 measured 16 ms, sol 8 ms (utilization 0.5); m=32 has sol 32 ms -> 64 ms.
  REQUIRE(db->lookup(op, Params{{"dtype", std::string("bf16")}, {"m", std::int64_t(32)}}, test::toy_system(),
                     QueryMode::silicon, &l)
              .is_ok());
  CHECK(l.ms == Approx(64.0));
  CHECK(l.provenance == Provenance::extrapolated);
  CHECK(contains(l.note, "m=32 (measured 1..8)"));
  CHECK(contains(l.note, "utilization"));
  // Below the range: m=0.5 -> 2 ms * 0.5 / 1 = 1 ms.
  REQUIRE(db->lookup(op, Params{{"dtype", std::string("bf16")}, {"m", 0.5}}, test::toy_system(), QueryMode::silicon, &l)
              .is_ok());
  CHECK(l.ms == Approx(1.0));
}

TEST_CASE("without an operation, extrapolation follows the outermost slope in log space") {
  test::TempDir dir;
  dir.write("toy/toy_perf.txt", header("dtype,m") + row("bf16,1", "1") + row("bf16,2", "3") + row("bf16,4", "9"));
  auto db = open_db(dir);
  test::ToyOp op;
  Latency l;
  // Slope between m=2 (3 ms) and m=4 (9 ms) in log-log: log 3 / log 2; m=8 -> 9 * 3 = 27 ms.
  REQUIRE(db->lookup_table(op.schema(), Params{{"dtype", std::string("bf16")}, {"m", std::int64_t(8)}}, &l).is_ok());
  CHECK(l.ms == Approx(27.0));
  CHECK(l.provenance == Provenance::extrapolated);
  CHECK(contains(l.note, "always positive"));
}

TEST_CASE("without an operation, a sqrt or linear axis extrapolates at most quadratically in the raw value") {
  test::TempDir dir;
  // A steep pair at the top of the range: a straight line in log latency over sqrt(m) would give
  // exp(slope * (sqrt(1024) - sqrt(64))) = ~1e10 x at m = 1024; the bound is (1024 / 64)^2 = 256 x.
  dir.write("toy/toy_perf.txt", header("dtype,m") + row("bf16,16", "1") + row("bf16,64", "100"));
  auto db = open_db(dir);
  test::ToyOp op;
  for (AxisTransform t : {AxisTransform::sqrt, AxisTransform::linear}) {
    TableSchema sch = op.schema();
    sch.keys.back().transform = t;
    Latency l;
    REQUIRE(db->lookup_table(sch, Params{{"dtype", std::string("bf16")}, {"m", std::int64_t(1024)}}, &l).is_ok());
    CHECK(l.ms == Approx(100.0 * 256.0));
    // Below the range the same bound holds the fall: m = 4 is at least 1 ms / 16.
    REQUIRE(db->lookup_table(sch, Params{{"dtype", std::string("bf16")}, {"m", std::int64_t(4)}}, &l).is_ok());
    CHECK(l.ms >= 1.0 / 16.0 * 0.999);
    CHECK(l.ms < 1.0);
  }
}

TEST_CASE("an affine axis blends the latency itself: exact for a + b x, linear beyond the range") {
  test::TempDir dir;
  // Decode-like: 2 ms fixed + 0.5 ms per 1000 cached tokens, on a geometric grid.
  std::string text = header("dtype,m");
  for (int m : {1000, 2000, 4000, 8000}) text += row("bf16," + std::to_string(m), std::to_string(2 + 0.0005 * m));
  dir.write("toy/toy_perf.txt", text);
  auto db = open_db(dir);
  test::ToyOp op;
  TableSchema sch = op.schema();
  sch.keys.back().transform = AxisTransform::affine;
  Latency l;
  REQUIRE(db->lookup_table(sch, Params{{"dtype", std::string("bf16")}, {"m", std::int64_t(3000)}}, &l).is_ok());
  CHECK(l.ms == Approx(3.5));  // a log-latency blend would give 3.43..3.47
  CHECK(l.provenance == Provenance::interpolated);
  REQUIRE(db->lookup_table(sch, Params{{"dtype", std::string("bf16")}, {"m", std::int64_t(12000)}}, &l).is_ok());
  CHECK(l.ms == Approx(8.0));  // the line through the last two points
  REQUIRE(db->lookup_table(sch, Params{{"dtype", std::string("bf16")}, {"m", std::int64_t(500)}}, &l).is_ok());
  CHECK(l.ms == Approx(2.25));
}

TEST_CASE("no data for the key: hybrid answers speed-of-light / empirical efficiency, silicon errors") {
  test::TempDir dir;
  dir.write("toy/toy_perf.txt", power_table());
  auto db = open_db(dir);
  test::ToyOp op;
  Params key{{"dtype", std::string("fp4")}, {"m", std::int64_t(10)}};
  Latency l;
  REQUIRE(db->lookup(op, key, test::toy_system(), QueryMode::hybrid, &l).is_ok());
  // sol = 10 ms; efficiency of "toy_op": the longest prefix key "toy" -> 0.25 -> 40 ms.
  CHECK(l.ms == Approx(40.0));
  CHECK(l.provenance == Provenance::empirical);
  CHECK(contains(l.note, "dtype=fp4"));
  CHECK(contains(l.note, "measured values: bf16"));
  Status s = db->lookup(op, key, test::toy_system(), QueryMode::silicon, &l);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "mode silicon"));
  CHECK(contains(s.message(), "dtype=fp4"));
  // Without a matching efficiency key, "default" is used (0.5 -> 20 ms).
  SystemSpec sys = test::toy_system();
  sys.empirical_efficiency.erase("toy");
  REQUIRE(db->lookup(op, key, sys, QueryMode::hybrid, &l).is_ok());
  CHECK(l.ms == Approx(20.0));
}

TEST_CASE("modes sol and empirical ignore the data") {
  test::TempDir dir;
  dir.write("toy/toy_perf.txt", power_table());
  auto db = open_db(dir);
  test::ToyOp op;
  Params key{{"dtype", std::string("bf16")}, {"m", std::int64_t(4)}};
  Latency l;
  REQUIRE(db->lookup(op, key, test::toy_system(), QueryMode::sol, &l).is_ok());
  CHECK(l.ms == Approx(4.0));
  CHECK(l.provenance == Provenance::speed_of_light);
  CHECK(contains(l.note, "memory-bound"));
  REQUIRE(db->lookup(op, key, test::toy_system(), QueryMode::empirical, &l).is_ok());
  CHECK(l.ms == Approx(16.0));
  CHECK(l.provenance == Provenance::empirical);
}

TEST_CASE("a missing table names the table and the directory searched") {
  test::TempDir dir;
  dir.write("toy/other_perf.txt", power_table());
  auto db = open_db(dir);
  test::ToyOp op;
  Latency l;
  Params key{{"dtype", std::string("bf16")}, {"m", std::int64_t(4)}};
  Status s = db->lookup(op, key, test::toy_system(), QueryMode::silicon, &l);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "table 'toy_perf' not found"));
  CHECK(contains(s.message(), (dir.path / "toy").string()));
  REQUIRE(db->lookup(op, key, test::toy_system(), QueryMode::hybrid, &l).is_ok());
  CHECK(l.provenance == Provenance::empirical);
  CHECK(contains(l.note, "toy_perf"));
  TableInfo info;
  s = db->table_info("toy_perf", &info);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), (dir.path / "toy").string()));
  // A system folder that does not exist.
  std::shared_ptr<PerfDatabase> none;
  s = open_perf_database(dir.str(), "nope", &none);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), (dir.path / "nope").string()));
}

TEST_CASE("duplicate keys: the median of the duplicates, counted in TableInfo") {
  test::TempDir dir;
  std::string p = dir.write("toy/toy_perf.txt", header("dtype,m") + row("bf16,1", "10") + row("bf16,1", "1") +
                                                    row("bf16,1", "3") + row("bf16,2", "4") + row("bf16,2", "6"));
  auto db = open_db(dir);
  test::ToyOp op;
  Latency l;
  REQUIRE(db->lookup(op, Params{{"dtype", std::string("bf16")}, {"m", std::int64_t(1)}}, test::toy_system(),
                     QueryMode::silicon, &l)
              .is_ok());
  CHECK(l.ms == 3);  // median of 10, 1, 3
  CHECK(l.provenance == Provenance::exact);
  CHECK(l.rows.size() == 3);
  REQUIRE(db->lookup(op, Params{{"dtype", std::string("bf16")}, {"m", std::int64_t(2)}}, test::toy_system(),
                     QueryMode::silicon, &l)
              .is_ok());
  CHECK(l.ms == 5);  // even count: mean of the middle two
  TableInfo info;
  REQUIRE(db->table_info("toy_perf", &info).is_ok());
  CHECK(info.duplicate_keys == 2);
  CHECK(info.duplicate_rows == 3);
  CHECK(info.rows == 5);
}

TEST_CASE("key errors are errors in every mode but sol/empirical; defaults and single values may be omitted") {
  test::TempDir dir;
  dir.write("toy/toy_perf.txt", power_table());
  auto db = open_db(dir);
  test::ToyOp op;
  Latency l;
  Status s = db->lookup(op, Params{{"dtype", std::string("bf16")}}, test::toy_system(), QueryMode::hybrid, &l);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "key 'm' is required"));
  s = db->lookup(op, Params{{"dtype", std::string("bf16")}, {"m", std::string("x")}}, test::toy_system(),
                 QueryMode::hybrid, &l);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "expected a number"));
  s = db->lookup(op, Params{{"dtype", std::string("bf16")}, {"m", std::int64_t(0)}}, test::toy_system(),
                 QueryMode::hybrid, &l);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "expected a value > 0"));
  // dtype has one value in the table: it may be omitted.
  REQUIRE(db->lookup(op, Params{{"m", std::int64_t(2)}}, test::toy_system(), QueryMode::hybrid, &l).is_ok());
  CHECK(l.ms == 4);
  // A schema default for a numeric key.
  TableSchema sch = op.schema();
  sch.keys[1].default_value = 8;
  REQUIRE(db->lookup_table(sch, Params{}, &l).is_ok());
  CHECK(l.ms == 16);
}

TEST_CASE("op_name filters the rows an operation reads") {
  test::TempDir dir;
  dir.write("toy/toy_perf.txt", header("dtype,m") + row("bf16,1", "2") + row("bf16,1", "100", "other"));
  auto db = open_db(dir);
  test::ToyOp op;
  Latency l;
  REQUIRE(db->lookup(op, Params{{"m", std::int64_t(1)}}, test::toy_system(), QueryMode::silicon, &l).is_ok());
  CHECK(l.ms == 2);
}

TEST_CASE("table selection: own backend first, then newest version, then backend name; filters") {
  test::TempDir dir;
  dir.write("toy/trtllm/1.9/toy_perf.txt", header("dtype,m") + row("bf16,1", "1"));
  dir.write("toy/trtllm/1.10/toy_perf.txt", header("dtype,m") + row("bf16,1", "2"));
  dir.write("toy/family/vllm/1.10/toy_perf.txt.gz", header("dtype,m") + row("bf16,1", "3"));  // not gzip: read as text
  test::ToyOp op;
  Latency l;
  Params key{{"m", std::int64_t(1)}};
  {
    auto db = open_db(dir);
    REQUIRE(db->lookup(op, key, test::toy_system(), QueryMode::silicon, &l).is_ok());
    CHECK(l.ms == 2);  // 1.10 > 1.9 (natural sort); trtllm < vllm alphabetically
    TableInfo info;
    REQUIRE(db->table_info("toy_perf", &info).is_ok());
    CHECK(info.backend == "trtllm");
    CHECK(info.version == "1.10");
    CHECK(info.alternatives.size() == 2);
  }
  dir.write("toy/aiconf/0.1/toy_perf.txt", header("dtype,m") + row("bf16,1", "4"));
  {
    auto db = open_db(dir);
    REQUIRE(db->lookup(op, key, test::toy_system(), QueryMode::silicon, &l).is_ok());
    CHECK(l.ms == 4);
  }
  {
    PerfDatabaseOptions o;
    o.backend = "vllm";
    std::shared_ptr<PerfDatabase> db;
    REQUIRE(open_perf_database(dir.str(), "toy", o, &db).is_ok());
    REQUIRE(db->lookup(op, key, test::toy_system(), QueryMode::silicon, &l).is_ok());
    CHECK(l.ms == 3);
    o.backend = "";
    o.version = "1.9";
    REQUIRE(open_perf_database(dir.str(), "toy", o, &db).is_ok());
    REQUIRE(db->lookup(op, key, test::toy_system(), QueryMode::silicon, &l).is_ok());
    CHECK(l.ms == 1);
  }
}

TEST_CASE("an aiconfigurator checkout layout (systems/data/<system>) is accepted") {
  test::TempDir dir;
  dir.write("systems/data/toy/gemm/trtllm/1.0/toy_perf.txt", power_table());
  auto db = open_db(dir);
  CHECK(db->has_table("toy_perf"));
  CHECK(db->directory() == (dir.path / "systems" / "data" / "toy").string());
}

TEST_CASE("QueryEngine runs an operation by name through the database") {
  test::TempDir dir;
  dir.write("toy/toy_perf.txt", power_table());
  auto db = open_db(dir);
  Registry reg;
  reg.operations["toy_op"] = Registered<Operation>{
      std::shared_ptr<Operation>(new test::ToyOp(), [](Operation* o) { o->release(); }), "test"};
  QueryEngine engine(reg, db, test::toy_system(), QueryMode::hybrid);
  CHECK(engine.has_operation("toy_op"));
  CHECK_FALSE(engine.has_operation("nope"));
  Latency l;
  REQUIRE(engine.query("toy_op", Params{{"m", std::int64_t(8)}}, &l).is_ok());
  CHECK(l.ms == 16);
  Status s = engine.query("nope", Params{}, &l);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "'nope'"));
  // Without a database: hybrid answers empirically, silicon errors.
  QueryEngine bare(reg, nullptr, test::toy_system(), QueryMode::hybrid);
  REQUIRE(bare.query("toy_op", Params{{"m", std::int64_t(8)}}, &l).is_ok());
  CHECK(l.provenance == Provenance::empirical);
  QueryEngine strict(reg, nullptr, test::toy_system(), QueryMode::silicon);
  CHECK_FALSE(strict.query("toy_op", Params{{"m", std::int64_t(8)}}, &l).is_ok());
}

TEST_CASE("db info: ranges, rejected rows and issues") {
  test::TempDir dir;
  dir.write("toy/toy_perf.txt", power_table() + row("bf16,16", "0"));
  auto db = open_db(dir);
  TableInfo info;
  REQUIRE(db->table_info("toy_perf", &info).is_ok());
  CHECK(info.rows == 4);
  CHECK(info.rejected_latency == 1);
  REQUIRE(info.issues.size() == 1);
  CHECK(contains(info.issues[0], ":6:"));
  bool found = false;
  for (const auto& c : info.ranges)
    if (c.name == "m") {
      found = true;
      CHECK(c.numeric);
      CHECK(c.min == 1);
      CHECK(c.max == 8);
    }
  CHECK(found);
  CHECK(info.columns == std::vector<std::string>{"dtype", "m"});
}
