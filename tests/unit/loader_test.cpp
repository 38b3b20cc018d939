// The loader against fixture plugins: one per failure the issue names, plus the good path.
#include "aiconf_test.h"

#include <aiconf/loader.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace aiconf;

namespace {
std::string fixture(const std::string& kind) {
  return std::string(AICONF_FIXTURE_DIR) + "/" + kind + "/libfixture_" + kind + ".so";
}
std::string fixture_dir(const std::string& kind) { return std::string(AICONF_FIXTURE_DIR) + "/" + kind; }
LoadOptions only(std::vector<std::string> dirs) {
  LoadOptions o;
  o.plugin_dirs = std::move(dirs);
  o.use_environment = false;
  o.use_default_dir = false;
  return o;
}
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("a good plugin loads and registers its objects") {
  Registry reg;
  REQUIRE(load_plugin_file(fixture("good"), &reg).is_ok());
  REQUIRE(reg.plugins.size() == 1);
  CHECK(reg.plugins[0].name == "fixture_good");
  CHECK(reg.arch_mappings.at("FixtureForCausalLM").family == "fixture_family");
  const Operation* op = nullptr;
  REQUIRE(reg.find_operation("fixture_op", &op).is_ok());
  SolCost c;
  REQUIRE(op->speed_of_light(Params{{"n", std::int64_t(3)}}, &c).is_ok());
  CHECK(c.flops == Approx(3e9));
  // A plugin's error path comes back as a Status, not an exception.
  Status bad = op->speed_of_light(Params{}, &c);
  CHECK_FALSE(bad.is_ok());
  CHECK(contains(bad.message(), "missing key 'n'"));
}

TEST_CASE("objects keep their plugin loaded after the registry is gone") {
  std::shared_ptr<Operation> kept;
  {
    Registry reg;
    REQUIRE(load_plugin_file(fixture("good"), &reg).is_ok());
    kept = reg.operations.at("fixture_op").object;
  }
  // The registry (and its handle on the library) is destroyed; the code must still be mapped.
  CHECK(std::string(kept->name()) == "fixture_op");
}

TEST_CASE("each loader failure gives one line naming the file and the problem") {
  struct Case {
    std::string kind, expected;
  };
  for (const Case& c : {Case{"wrong_abi", "wrong plugin ABI version: found 99, this aiconf supports version 1"},
                        Case{"bad_fingerprint", "build fingerprint mismatch"},
                        Case{"register_throws", "boom: the fixture refuses to register"},
                        Case{"no_entry", "not an aiconf plugin (no exported symbol 'aiconf_plugin_entry_v1')"},
                        Case{"unresolved_symbol", "unresolved symbol"}}) {
    INFO(c.kind);
    Registry reg;
    Status s = load_plugin_file(fixture(c.kind), &reg);
    REQUIRE_FALSE(s.is_ok());
    CHECK(contains(s.message(), fixture(c.kind)));
    CHECK(contains(s.message(), c.expected));
    CHECK(s.message().find('\n') == std::string::npos);
    CHECK(reg.plugins.empty());
    CHECK(reg.operations.empty());
  }
}

TEST_CASE("a file that is not a shared library is reported as not a plugin") {
  auto dir = fs::temp_directory_path() / "aiconf_loader_test_garbage";
  fs::create_directories(dir);
  auto path = (dir / "libgarbage.so").string();
  std::ofstream(path) << "this is not an ELF file\n";
  Registry reg;
  Status s = load_plugin_file(path, &reg);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), path));
  CHECK(contains(s.message(), "not a plugin"));
  fs::remove_all(dir);
}

TEST_CASE("a duplicate registration names both plugins and keeps nothing of the second") {
  Registry reg;
  REQUIRE(load_plugin_file(fixture("good"), &reg).is_ok());
  Status s = load_plugin_file(fixture("duplicate_op"), &reg);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "operation 'fixture_op' is already registered by plugin 'fixture_good'"));
  CHECK(contains(s.message(), "fixture_duplicate_op"));
  CHECK(reg.plugins.size() == 1);

  Status arch = load_plugin_file(fixture("conflicting_arch"), &reg);
  REQUIRE_FALSE(arch.is_ok());
  CHECK(contains(arch.message(), "already maps it to 'fixture_family'"));
  CHECK(reg.arch_mappings.at("FixtureForCausalLM").family == "fixture_family");

  Status twin = load_plugin_file(fixture("good_twin"), &reg);
  REQUIRE_FALSE(twin.is_ok());
  CHECK(contains(twin.message(), "duplicate plugin 'fixture_good'"));
}

TEST_CASE("bad plugins are skipped, or fatal with strict") {
  auto dirs = std::vector<std::string>{fixture_dir("good"), fixture_dir("wrong_abi"), fixture_dir("register_throws")};
  Registry reg;
  REQUIRE(load_plugins(only(dirs), &reg).is_ok());
  CHECK(reg.plugins.size() == 1);
  REQUIRE(reg.skipped.size() == 2);
  CHECK(contains(reg.skipped[0].reason, "wrong plugin ABI version"));

  auto strict = only(dirs);
  strict.strict = true;
  Registry reg2;
  Status s = load_plugins(strict, &reg2);
  REQUIRE_FALSE(s.is_ok());
  CHECK(contains(s.message(), "wrong plugin ABI version"));
}

TEST_CASE("search path: --plugin-dir, then AICONF_PLUGIN_PATH, then the default; never the current directory") {
  LoadOptions o;
  o.plugin_dirs = {"/first"};
  ::setenv("AICONF_PLUGIN_PATH", "/env/a::/env/b", 1);
  auto path = plugin_search_path(o);
  ::unsetenv("AICONF_PLUGIN_PATH");
  REQUIRE(path.size() == 4);
  CHECK(path[0] == "/first");
  CHECK(path[1] == "/env/a");
  CHECK(path[2] == "/env/b");
  CHECK(path[3] == default_plugin_dir());
  for (const auto& d : path) CHECK(d != ".");
  CHECK(contains(default_plugin_dir(), "aiconf/plugins"));
}

TEST_CASE("a missing --plugin-dir is reported") {
  Registry reg;
  REQUIRE(load_plugins(only({"/nonexistent/aiconf/plugins"}), &reg).is_ok());
  REQUIRE(reg.skipped.size() == 1);
  CHECK(contains(reg.skipped[0].reason, "does not exist"));
}
