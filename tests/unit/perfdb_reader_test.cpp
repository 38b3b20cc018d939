// Reading and writing perf tables: the layout, gzip, and every bad-input rule.
#include "aiconf_test.h"
#include "perfdb_test_util.h"

#include "perfdb/grid_index.h"
#include "perfdb/table_reader.h"

#include <aiconf/perf_database.h>

#include <cmath>

using namespace aiconf;
using namespace aiconf::perfdb;
using aiconf::test::header;
using aiconf::test::row;

namespace {
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("a table in aiconfigurator's layout is read column-wise") {
  test::TempDir dir;
  std::string p = dir.write("t/toy_perf.txt", header("dtype,m") + row("bf16,1", "0.5") + row("fp8,2", "0.25") +
                                                  row("bf16,4", "1e-1"));
  TableData t;
  REQUIRE(read_table(p, {}, &t).is_ok());
  CHECK(t.name == "toy_perf");
  CHECK(t.rows() == 3);
  CHECK(t.header.back() == "latency");
  int m = t.column_index("m"), dt = t.column_index("dtype");
  REQUIRE(m >= 0);
  REQUIRE(dt >= 0);
  CHECK(t.columns[m].all_numeric);
  CHECK_FALSE(t.columns[dt].all_numeric);
  CHECK(t.columns[m].value(2) == 4);
  CHECK(t.columns[dt].str(1) == "fp8");
  CHECK(t.latency_ms[2] == Approx(0.1));
  CHECK(t.line[0] == 2);
  CHECK(t.where(1) == p + ":3");
}

TEST_CASE("extra columns after latency are kept as key columns") {
  test::TempDir dir;
  std::string p = dir.write("x.txt", "framework,version,device,op_name,kernel_source,m,latency,impl\n"
                                     "A,1,D,op,k,8,0.5,trtllm\n");
  TableData t;
  REQUIRE(read_table(p, {}, &t).is_ok());
  REQUIRE(t.column_index("impl") >= 0);
  CHECK(t.columns[t.column_index("impl")].str(0) == "trtllm");
  CHECK(t.latency_ms[0] == 0.5);
}

TEST_CASE("write_perf_table writes atomically and round-trips through gzip") {
  test::TempDir dir;
  std::vector<PerfRow> rows{{"AICONF", "0.1", "NVIDIA H200", "toy", "k", {"bf16", "4096"}, 0.123456789012},
                            {"AICONF", "0.1", "NVIDIA H200", "toy", "k", {"a,b", "8"}, 2.0}};
  for (const char* name : {"out/toy_perf.txt", "out/toy_perf.txt.gz"}) {
    std::string p = (dir.path / name).string();
    REQUIRE(write_perf_table(p, {"dtype", "m"}, rows).is_ok());
    TableData t;
    REQUIRE(read_table(p, {}, &t).is_ok());
    REQUIRE(t.rows() == 2);
    CHECK(t.latency_ms[0] == 0.123456789012);  // shortest exact text: reads back bit-identical
    CHECK(t.columns[t.column_index("dtype")].str(1) == "a,b");  // quoted field
  }
  // No temporary file is left behind.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path / "out")) {
    (void)e;
    ++files;
  }
  CHECK(files == 2);
  // Append keeps the old rows first; a header mismatch is an error naming the file.
  std::string p = (dir.path / "out/toy_perf.txt").string();
  REQUIRE(write_perf_table(p, {"dtype", "m"}, {rows[0]}, true).is_ok());
  TableData t;
  REQUIRE(read_table(p, {}, &t).is_ok());
  CHECK(t.rows() == 3);
  Status s = write_perf_table(p, {"dtype", "k"}, {rows[0]}, true);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), p + ":1"));
  CHECK(contains(s.message(), "expected"));
  // Bad rows are refused before anything is written.
  PerfRow bad = rows[0];
  bad.latency_ms = std::nan("");
  s = write_perf_table(p, {"dtype", "m"}, {bad});
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "row 0"));
  bad = rows[0];
  bad.keys.pop_back();
  s = write_perf_table(p, {"dtype", "m"}, {bad});
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "expected 2"));
}

TEST_CASE("a row with the wrong number of fields names file:line and the expectation") {
  test::TempDir dir;
  std::string p = dir.write("t.txt", header("dtype,m") + row("bf16,1", "0.5") + "AICONF,0.1,D,toy,test,bf16,0.5\n" +
                                         row("bf16,4", "1"));
  TableData t;
  Status s = read_table(p, {}, &t);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), p + ":3"));
  CHECK(contains(s.message(), "expected 8 fields"));
  ReadOptions lenient;
  lenient.lenient = true;
  REQUIRE(read_table(p, lenient, &t).is_ok());
  CHECK(t.rows() == 2);
  CHECK(t.skipped_malformed == 1);
  REQUIRE(t.issues.size() == 1);
  CHECK(t.issues[0].line == 3);
}

TEST_CASE("a latency that is not a number names the column and the expectation") {
  test::TempDir dir;
  std::string p = dir.write("t.txt", header("dtype,m") + row("bf16,1", "fast"));
  TableData t;
  Status s = read_table(p, {}, &t);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), p + ":2"));
  CHECK(contains(s.message(), "column 'latency'"));
  CHECK(contains(s.message(), "expected a number"));
  CHECK(contains(s.message(), "'fast'"));
}

TEST_CASE("NaN, infinite, zero and negative latencies are rejected and counted") {
  test::TempDir dir;
  std::string p = dir.write("t.txt", header("dtype,m") + row("bf16,1", "nan") + row("bf16,2", "inf") +
                                         row("bf16,3", "0") + row("bf16,4", "-1") + row("bf16,5", "2"));
  TableData t;
  REQUIRE(read_table(p, {}, &t).is_ok());
  CHECK(t.rows() == 1);
  CHECK(t.rejected_latency == 4);
  REQUIRE(t.issues.size() == 4);
  CHECK(t.issues[2].line == 4);
  CHECK(contains(t.issues[2].reason, "expected a finite latency > 0"));
  CHECK(t.latency_ms[0] == 2);
}

TEST_CASE("a header without latency or a fixed column is an error") {
  test::TempDir dir;
  TableData t;
  Status s = read_table(dir.write("a.txt", "framework,version,device,op_name,kernel_source,m,time\n"), {}, &t);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "no 'latency' column"));
  s = read_table(dir.write("b.txt", "framework,version,device,op_name,m,latency\n"), {}, &t);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "'kernel_source'"));
  s = read_table(dir.write("c.txt", ""), {}, &t);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "empty file"));
  s = read_table((dir.path / "missing.txt").string(), {}, &t);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "cannot open"));
}

TEST_CASE("a non-numeric value in a numeric schema column names file:line, column and expectation") {
  test::TempDir dir;
  std::string p = dir.write("toy_perf.txt", header("dtype,m") + row("bf16,1", "1") + row("bf16,big", "2"));
  TableData t;
  REQUIRE(read_table(p, {}, &t).is_ok());
  test::ToyOp op;
  GridIndex g;
  Status s = GridIndex::build(t, op.schema(), false, &g);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), p + ":3"));
  CHECK(contains(s.message(), "column 'm'"));
  CHECK(contains(s.message(), "expected a number, found 'big'"));
  REQUIRE(GridIndex::build(t, op.schema(), true, &g).is_ok());
  CHECK(g.skipped_rows() == 1);
  CHECK(g.points() == 1);
  // A value outside the transform's domain (log of 0) is reported the same way.
  std::string p2 = dir.write("toy2.txt", header("dtype,m") + row("bf16,0", "1"));
  REQUIRE(read_table(p2, {}, &t).is_ok());
  s = GridIndex::build(t, op.schema(), false, &g);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), p2 + ":2"));
  CHECK(contains(s.message(), "log transform"));
}

TEST_CASE("a schema column missing from the header names the table and the header") {
  test::TempDir dir;
  std::string p = dir.write("toy_perf.txt", header("dtype,k") + row("bf16,1", "1"));
  TableData t;
  REQUIRE(read_table(p, {}, &t).is_ok());
  test::ToyOp op;
  GridIndex g;
  Status s = GridIndex::build(t, op.schema(), false, &g);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "no column 'm'"));
  CHECK(contains(s.message(), "header:"));
}
