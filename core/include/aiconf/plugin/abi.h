#pragma once
/// \file abi.h
/// The plugin ABI. A plugin is a shared library exporting exactly one symbol,
/// `aiconf_plugin_entry_v1` (through Boost.DLL's alias), a function returning a PluginDescriptor.
/// The loader checks the descriptor's ABI version and build fingerprint before calling anything
/// else, then calls the noexcept register function with the core's Registrar.
///
/// Rules (from LLVM pass plugins, ONNX Runtime and TensorRT): no exception, std::function or
/// type_info made by the plugin crosses the boundary; every method is noexcept and returns a
/// Status; nothing touches CUDA during load or registration. Standard-library types (std::string,
/// std::vector) may cross because the fingerprint pins compiler family and standard-library ABI.
///
/// A plugin's source uses the macro:
/// \code
///   static void register_all(aiconf::Registrar& r) { ... }   // may throw: the macro catches
///   AICONF_PLUGIN("dsa_indexer", "0.1.0", "DSA lightning indexer and top-k", register_all)
/// \endcode

#include <aiconf/plugin/registrar.h>
#include <aiconf/version.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>

#include <boost/config.hpp>

namespace aiconf {

/// Bumped on any incompatible change to the descriptor or to an interface in plugin/.
inline constexpr std::uint32_t kPluginAbiVersion = 1;

/// What the entry function returns. Layout frozen for ABI version 1.
struct PluginDescriptor {
  std::uint32_t abi_version;     ///< kPluginAbiVersion the plugin was built with
  std::uint32_t struct_size;     ///< sizeof(PluginDescriptor) at build time
  const char* name;              ///< unique plugin name, e.g. "dsa_indexer"
  const char* version;           ///< the plugin's own version
  const char* description;
  const char* fingerprint;       ///< build fingerprint, see build_fingerprint()
  /// Registers everything. Returns 0 on success; otherwise writes a message into `err`.
  int (*register_fn)(Registrar* registrar, char* err, std::size_t err_len) noexcept;
};
static_assert(sizeof(PluginDescriptor) == 48, "PluginDescriptor layout is frozen for ABI v1");

/// Signature of the exported entry.
using PluginEntryFn = const PluginDescriptor* () noexcept;

#define AICONF_STRINGIFY_IMPL(x) #x
#define AICONF_STRINGIFY(x) AICONF_STRINGIFY_IMPL(x)
#if defined(__clang__)
#define AICONF_COMPILER_ID "clang" AICONF_STRINGIFY(__clang_major__)
#elif defined(__GNUC__)
#define AICONF_COMPILER_ID "gcc" AICONF_STRINGIFY(__GNUC__)
#else
#define AICONF_COMPILER_ID "unknown"
#endif
#if defined(_GLIBCXX_USE_CXX11_ABI)
#define AICONF_STDLIB_ID "libstdc++cxx11abi" AICONF_STRINGIFY(_GLIBCXX_USE_CXX11_ABI)
#elif defined(_LIBCPP_VERSION)
#define AICONF_STDLIB_ID "libc++" AICONF_STRINGIFY(_LIBCPP_ABI_VERSION)
#else
#define AICONF_STDLIB_ID "unknown-stdlib"
#endif
/// "compiler;stdlib;sdk-major.minor;abi": what must match between core and plugin.
#define AICONF_BUILD_FINGERPRINT                                                   \
  AICONF_COMPILER_ID ";" AICONF_STDLIB_ID ";sdk" AICONF_STRINGIFY(AICONF_VERSION_MAJOR) "." \
      AICONF_STRINGIFY(AICONF_VERSION_MINOR) ";abi1"

/// The fingerprint of the code including this header (the core compares its own with a plugin's).
inline const char* build_fingerprint() noexcept { return AICONF_BUILD_FINGERPRINT; }

namespace detail {
/// Runs a throwing register function, turning any exception into a message (ORT_TRY style).
template <class Fn>
int call_register(Fn fn, Registrar* registrar, char* err, std::size_t err_len) noexcept {
  try {
    fn(*registrar);
    return 0;
  } catch (const std::exception& e) {
    std::snprintf(err, err_len, "%s", e.what());
  } catch (...) {
    std::snprintf(err, err_len, "unknown exception");
  }
  return 1;
}
}  // namespace detail

}  // namespace aiconf

/// Defines the plugin's entry. `register_function` is `void(aiconf::Registrar&)`; it may throw.
#define AICONF_PLUGIN(plugin_name, plugin_version, plugin_description, register_function)          \
  namespace {                                                                                     \
  int aiconf_plugin_register_trampoline(aiconf::Registrar* r, char* err, std::size_t n) noexcept { \
    return aiconf::detail::call_register(register_function, r, err, n);                           \
  }                                                                                               \
  }                                                                                               \
  extern "C" BOOST_SYMBOL_EXPORT const aiconf::PluginDescriptor* aiconf_plugin_entry_v1() noexcept { \
    static const aiconf::PluginDescriptor descriptor{                                             \
        aiconf::kPluginAbiVersion, sizeof(aiconf::PluginDescriptor), plugin_name, plugin_version, \
        plugin_description, AICONF_BUILD_FINGERPRINT, &aiconf_plugin_register_trampoline};        \
    return &descriptor;                                                                            \
  }
