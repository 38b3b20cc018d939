// Boost.JSON is used header-only: its implementation is compiled once, here, into libaiconf, and
// the programs linking libaiconf (the CLI, aiconf-collect, tests) use this copy.
#include <boost/json/src.hpp>
