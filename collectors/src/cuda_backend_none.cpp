// Built instead of cuda_backend.cpp where no CUDA toolkit was found: only "cpu:" layers can be timed.
#include "timing_backend.h"

namespace aiconf::collect {

bool cuda_backend_available() { return false; }

Status make_cuda_backend(int, std::unique_ptr<TimingBackend>*) {
  return Status::error("this aiconf-collect was built without CUDA (no CUDA toolkit at configure time): "
                       "only CPU (\"cpu:\") mock layers can be timed");
}

}  // namespace aiconf::collect
