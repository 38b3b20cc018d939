#pragma once
// The one test header: works with Catch2 2.13 (Debian 12) and Catch2 3 (the GPU image).
#if AICONF_CATCH2_MAJOR == 3
#include <catch2/catch_approx.hpp>
#include <catch2/catch_test_macros.hpp>
using Catch::Approx;
#else
#include <catch2/catch.hpp>
#endif

#include <string>

// Skips the rest of a test case with a visible note (Catch2 2 has no SKIP: warn and return).
#if defined(SKIP)
#define AICONF_SKIP(msg) SKIP(msg)
#else
#define AICONF_SKIP(msg) \
  do {                   \
    WARN(msg);           \
    return;              \
  } while (0)
#endif

namespace aiconf::test {
/// `../shared` beside the source tree (absent in a user's clone: tests that need it skip).
inline std::string shared_dir() { return AICONF_SHARED_DIR; }
/// The repository root.
inline std::string source_dir() { return AICONF_SOURCE_DIR; }
}  // namespace aiconf::test
