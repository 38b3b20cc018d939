// aiconf-collect compiles Boost.JSON's header-only implementation once for itself (libaiconf keeps
// its own copy internal).
#include <boost/json/src.hpp>
