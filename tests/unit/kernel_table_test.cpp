// Kernel tables (tools/profile): CSV layouts we accept, tolerant name matching, diff bookkeeping.
#include "aiconf_test.h"

#include <kernel_diff.h>
#include <kernel_report.h>
#include <kernel_table.h>
#include <layer_spec.h>

#include <sstream>

using namespace aiconf;
using namespace aiconf::profile;

namespace {
KernelTable parse(const std::string& text) {
  KernelTable t;
  Status s = read_csv(text, "test.csv", &t);
  INFO(s.message());
  REQUIRE(s.is_ok());
  return t;
}
const KernelRow* row(const KernelTable& t, const std::string& name) {
  for (const auto& r : t.rows)
    if (r.name == name) return &r;
  return nullptr;
}
}  // namespace

TEST_CASE("kernel table: our CSV round-trips with quoting and comments", "[profile]") {
  KernelTable t;
  t.source = "dsa_topk_context batch_size=1";
  t.range_us = 250;
  t.iterations = 10;
  t.add("void topk<float, 2048>(Args, int)", 120, 10);
  t.add("fill_kernel", 30, 10);
  t.add("fill_kernel", 10, 5);
  t.sort();
  std::ostringstream os;
  write_csv(os, t);
  KernelTable back = parse(os.str());
  CHECK(back.format == "aiconf");
  CHECK(back.range_us == Approx(250));
  CHECK(back.iterations == 10);
  REQUIRE(back.rows.size() == 2);
  CHECK(back.rows[0].name == "void topk<float, 2048>(Args, int)");
  CHECK(back.rows[1].calls == 15);
  CHECK(back.rows[1].total_us == Approx(40));
  CHECK(back.share(back.rows[0]) == Approx(0.48));
}

TEST_CASE("kernel table: nsys cuda_gpu_kern_sum with its preamble, in ns", "[profile]") {
  const std::string text =
      "Processing [report.sqlite] with [cuda_gpu_kern_sum.py]... \n\n"
      " ** CUDA GPU Kernel Summary (cuda_gpu_kern_sum):\n\n"
      "Time (%),Total Time (ns),Instances,Avg (ns),Med (ns),Min (ns),Max (ns),StdDev (ns),Name\n"
      "75.0,300000,3,100000.0,100000.0,99000,101000,1000.0,\"void gemm<128, 64>(Params)\"\n"
      "25.0,100000,1,100000.0,100000.0,100000,100000,0.0,\"_Z6reduceIfEvPT_i\"\n";
  KernelTable t = parse(text);
  CHECK(t.format == "nsys cuda_gpu_kern_sum");
  REQUIRE(row(t, "void gemm<128, 64>(Params)"));
  CHECK(row(t, "void gemm<128, 64>(Params)")->calls == 3);
  CHECK(row(t, "void gemm<128, 64>(Params)")->total_us == Approx(300));
  // Mangled names are demangled on reading.
  REQUIRE(row(t, "void reduce<float>(float*, int)"));
}

TEST_CASE("kernel table: nsys cuda_gpu_trace rows are launches", "[profile]") {
  const std::string text =
      "Start (ns),Duration (ns),CorrId,GrdX,Name\n"
      "100,2000,1,1,kernel_a\n"
      "3000,4000,2,1,kernel_a\n"
      "9000,1000,3,1,kernel_b\n";
  KernelTable t = parse(text);
  CHECK(t.format == "nsys cuda_gpu_trace");
  CHECK(row(t, "kernel_a")->calls == 2);
  CHECK(row(t, "kernel_a")->total_us == Approx(6));
  CHECK(t.rows[0].name == "kernel_a");  // sorted by time
}

TEST_CASE("kernel table: torch.profiler key_averages CSV", "[profile]") {
  const std::string text =
      "name,count,self_device_time_total_us,device_time_total_us\n"
      "sm90_xmma_gemm_bf16bf16_bf16f32,4,80.5,80.5\n"
      "\"void at::native::elementwise_kernel<128, 2>(int)\",8,16,16\n";  // names with commas come quoted
  KernelTable t = parse(text);
  CHECK(t.format == "torch.profiler");
  CHECK(row(t, "sm90_xmma_gemm_bf16bf16_bf16f32")->calls == 4);
  CHECK(row(t, "sm90_xmma_gemm_bf16bf16_bf16f32")->total_us == Approx(80.5));
}

TEST_CASE("kernel table: bad input names file, line and column", "[profile]") {
  KernelTable t;
  Status s = read_csv("foo,bar\n1,2\n", "x.csv", &t);
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.message().find("x.csv: no header line found") != std::string::npos);
  s = read_csv("kernel,calls,total_us\nk,1,abc\n", "y.csv", &t);
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.message().find("y.csv:2") != std::string::npos);
  CHECK(s.message().find("total_us") != std::string::npos);
  s = read_csv("kernel,calls,total_us\nk,1\n", "z.csv", &t);
  CHECK_FALSE(s.is_ok());
}

TEST_CASE("kernel names: keys at each matching level", "[profile]") {
  const std::string n = "void aiconf::dsa::(anonymous namespace)::logits_kernel<64, 128, true>(aiconf::dsa::Args, int)";
  CHECK(name_key(n, MatchLevel::exact) == n);
  CHECK(name_key(n, MatchLevel::no_params) == "aiconf::dsa::(anonymous namespace)::logits_kernel<64, 128, true>");
  CHECK(name_key(n, MatchLevel::no_templates) == "aiconf::dsa::logits_kernel");
  CHECK(name_key(n, MatchLevel::basename) == "logits_kernel");
  CHECK(name_key("kernel_b", MatchLevel::basename) == "kernel_b");
  CHECK(name_key("void f<(anonymous namespace)::Tag>(int)", MatchLevel::no_templates) == "f");
}

TEST_CASE("kernel diff: matched, missing, extra, ratios per iteration", "[profile]") {
  KernelTable a, b;
  a.iterations = 1;
  a.add("void ns::topk<float, 2048>(Args)", 100, 1);
  a.add("void at::native::elementwise_kernel<4>(int)", 10, 2);
  a.add("only_in_a", 5, 1);
  b.iterations = 10;  // ten passes: divided by 10
  b.add("void ns::topk<float, 1024>(Args)", 500, 10);
  b.add("void other::elementwise_kernel<8>(float)", 300, 20);
  b.add("only_in_b", 40, 10);
  b.add("nvjet_tst_128x64", 60, 10);
  a.add("sm90_xmma_gemm_bf16", 20, 1);
  a.sort();
  b.sort();

  SECTION("without rules: template-tolerant and basename matches") {
    KernelDiff d = diff_tables(a, b, {});
    REQUIRE(d.matched.size() == 2);
    CHECK(d.matched[0].key == "ns::topk");
    CHECK(d.matched[0].level == MatchLevel::no_templates);
    CHECK(d.matched[0].ratio() == Approx(0.5));
    CHECK(d.matched[1].key == "elementwise_kernel");
    CHECK(d.matched[1].level == MatchLevel::basename);
    CHECK(d.matched[1].b_us == Approx(30));
    CHECK(d.missing.size() == 2);
    CHECK(d.extra.size() == 2);
    CHECK(d.a_total_us == Approx(135));
    CHECK(d.b_total_us == Approx(90));
  }
  SECTION("a user rule pairs differently named GEMMs") {
    NameRule r;
    REQUIRE(parse_name_rule("nvjet|sm90_xmma_gemm=gemm", &r).is_ok());
    KernelDiff d = diff_tables(a, b, {r});
    REQUIRE(d.matched.size() == 3);
    bool found = false;
    for (const auto& m : d.matched)
      if (m.key == "gemm") {
        found = true;
        CHECK(m.level == MatchLevel::map);
        CHECK(m.ratio() == Approx(6.0 / 20.0));
      }
    CHECK(found);
    CHECK(d.missing.size() == 1);
    CHECK(d.extra.size() == 1);
    std::ostringstream text, json, csv;
    print_diff_text(text, d, "A", "B");
    print_diff_json(json, d, "A", "B");
    print_diff_csv(csv, d);
    CHECK(text.str().find("missing: in A, not in B (1)") != std::string::npos);
    CHECK(json.str().find("\"level\": \"map\"") != std::string::npos);
    CHECK(csv.str().find("extra,only_in_b") != std::string::npos);
  }
  SECTION("a rule that does not compile is named") {
    NameRule r;
    Status s = parse_name_rule("([a=b", &r);
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.message().find("([a=b") != std::string::npos);
  }
}

TEST_CASE("layer specs: '+' separates layers, values are typed", "[profile]") {
  std::vector<LayerSpec> specs;
  REQUIRE(parse_layer_specs({"a", "x=1", "y=2.5", "z=fp8", "+", "b", "m=4"}, &specs).is_ok());
  REQUIRE(specs.size() == 2);
  CHECK(specs[0].shape.integer("x") == 1);
  CHECK(specs[0].shape.number("y") == Approx(2.5));
  CHECK(specs[0].shape.text("z") == "fp8");
  CHECK(specs[1].name == "b");
  CHECK_FALSE(parse_layer_specs({"x=1"}, &specs).is_ok());
  CHECK_FALSE(parse_layer_specs({"a", "+"}, &specs).is_ok());
  CHECK_FALSE(parse_layer_specs({}, &specs).is_ok());
}
