// Boost.JSON is used header-only: its implementation is compiled once, here, into libaiconf.
#include <boost/json/src.hpp>
