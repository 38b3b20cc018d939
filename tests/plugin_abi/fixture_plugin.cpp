// Fixture plugins for the loader tests. One source, one case per FIXTURE_* definition.
#include <aiconf/plugin/abi.h>
#include <aiconf/plugin/plugin_base.h>

#include <stdexcept>

namespace {

class FixtureOp final : public aiconf::OperationBase {
public:
  FixtureOp() : OperationBase("fixture_op", "a test operation: 1 GFLOP per unit of n", {"fixture_perf", {"fixture"}, {{"n"}}}) {}

protected:
  aiconf::SolCost cost(const aiconf::Params& key) const override {
    aiconf::SolCost c;
    c.flops = 1e9 * key.number("n");
    return c;
  }
};

[[maybe_unused]] void register_good(aiconf::Registrar& r) {
  aiconf::throw_if_error(r.add_arch_mapping("FixtureForCausalLM", "fixture_family"));
  aiconf::throw_if_error(r.add_operation(new FixtureOp));
}

}  // namespace

#if defined(FIXTURE_GOOD)
AICONF_PLUGIN("fixture_good", "1.0.0", "a plugin that loads", register_good)
#elif defined(FIXTURE_GOOD_TWIN)
// Same plugin name as fixture_good, other file: the second one must be refused.
AICONF_PLUGIN("fixture_good", "2.0.0", "same name as fixture_good", [](aiconf::Registrar&) {})
#elif defined(FIXTURE_DUPLICATE_OP)
AICONF_PLUGIN("fixture_duplicate_op", "1.0.0", "registers fixture_op again", [](aiconf::Registrar& r) {
  aiconf::throw_if_error(r.add_operation(new FixtureOp));
})
#elif defined(FIXTURE_CONFLICTING_ARCH)
AICONF_PLUGIN("fixture_conflicting_arch", "1.0.0", "maps FixtureForCausalLM elsewhere", [](aiconf::Registrar& r) {
  aiconf::throw_if_error(r.add_arch_mapping("FixtureForCausalLM", "another_family"));
})
#elif defined(FIXTURE_REGISTER_THROWS)
AICONF_PLUGIN("fixture_register_throws", "1.0.0", "its register function throws", [](aiconf::Registrar&) {
  throw std::runtime_error("boom: the fixture refuses to register");
})
#elif defined(FIXTURE_WRONG_ABI) || defined(FIXTURE_BAD_FINGERPRINT)
namespace {
int register_nothing(aiconf::Registrar*, char*, std::size_t) noexcept { return 0; }
}  // namespace
extern "C" BOOST_SYMBOL_EXPORT const aiconf::PluginDescriptor* aiconf_plugin_entry_v1() noexcept {
#if defined(FIXTURE_WRONG_ABI)
  static const aiconf::PluginDescriptor d{99, sizeof(aiconf::PluginDescriptor), "fixture_wrong_abi", "1.0.0", "",
                                          AICONF_BUILD_FINGERPRINT, &register_nothing};
#else
  static const aiconf::PluginDescriptor d{aiconf::kPluginAbiVersion, sizeof(aiconf::PluginDescriptor), "fixture_bad_fingerprint",
                                          "1.0.0", "", "othercc99;otherlib;sdk9.9;abi1", &register_nothing};
#endif
  return &d;
}
#elif defined(FIXTURE_NO_ENTRY)
// A valid shared library that is not an aiconf plugin.
extern "C" BOOST_SYMBOL_EXPORT int some_other_function() { return 42; }
#elif defined(FIXTURE_UNRESOLVED_SYMBOL)
// Declared, never defined anywhere: RTLD_NOW must refuse the library.
extern "C" int aiconf_fixture_function_that_does_not_exist(int);
AICONF_PLUGIN("fixture_unresolved_symbol", "1.0.0", "needs a symbol nobody defines", [](aiconf::Registrar&) {
  if (aiconf_fixture_function_that_does_not_exist(1) == 7) throw std::runtime_error("unreachable");
})
#endif
