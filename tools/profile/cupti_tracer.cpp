// CUPTI activity buffers: kernels and NVTX markers collected into vectors.
#include "cupti_tracer.h"

#include <cupti.h>
#include <dlfcn.h>

#include <cstdlib>
#include <map>
#include <mutex>

namespace aiconf::profile {

namespace {

constexpr std::size_t kBufferBytes = 8u << 20;
constexpr std::size_t kAlign = 8;

std::mutex g_mutex;  // CUPTI may complete buffers on its own thread
std::vector<KernelLaunch> g_kernels;
std::vector<NvtxRange> g_ranges;
std::map<std::uint32_t, NvtxRange> g_open;  // marker id -> started range
std::uint64_t g_dropped = 0;
bool g_callbacks = false;

Status check(CUptiResult r, const char* what) {
  if (r == CUPTI_SUCCESS) return Status::ok();
  const char* msg = nullptr;
  cuptiGetResultString(r, &msg);
  return Status::error(std::string(what) + " failed: " + (msg ? msg : "unknown CUPTI error") +
                       (r == CUPTI_ERROR_INSUFFICIENT_PRIVILEGES ? " (profiling needs access to GPU performance counters)" : ""));
}

void CUPTIAPI buffer_requested(std::uint8_t** buffer, std::size_t* size, std::size_t* max_records) {
  *buffer = static_cast<std::uint8_t*>(std::aligned_alloc(kAlign, kBufferBytes));
  *size = *buffer ? kBufferBytes : 0;
  *max_records = 0;
}

void CUPTIAPI buffer_completed(CUcontext, std::uint32_t stream_id, std::uint8_t* buffer, std::size_t, std::size_t valid) {
  std::lock_guard<std::mutex> lock(g_mutex);
  CUpti_Activity* record = nullptr;
  while (cuptiActivityGetNextRecord(buffer, valid, &record) == CUPTI_SUCCESS) {
    if (record->kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL || record->kind == CUPTI_ACTIVITY_KIND_KERNEL) {
      const auto* k = reinterpret_cast<const CUpti_ActivityKernel10*>(record);
      g_kernels.push_back({k->name ? k->name : "<unnamed kernel>", k->start, k->end, k->streamId});
    } else if (record->kind == CUPTI_ACTIVITY_KIND_MARKER) {
      const auto* m = reinterpret_cast<const CUpti_ActivityMarker2*>(record);
      if (m->flags & CUPTI_ACTIVITY_FLAG_MARKER_START) {
        g_open[m->id] = NvtxRange{m->name ? m->name : "", m->timestamp, 0};
      } else if (m->flags & CUPTI_ACTIVITY_FLAG_MARKER_END) {
        auto it = g_open.find(m->id);
        if (it != g_open.end()) {
          it->second.end = m->timestamp;
          g_ranges.push_back(std::move(it->second));
          g_open.erase(it);
        }
      }
    }
  }
  std::size_t dropped = 0;
  if (cuptiActivityGetNumDroppedRecords(nullptr, stream_id, &dropped) == CUPTI_SUCCESS) g_dropped += dropped;
  std::free(buffer);
}

}  // namespace

std::string prepare_nvtx_injection() {
  if (const char* p = std::getenv("NVTX_INJECTION64_PATH"); p && *p) return std::string("NVTX_INJECTION64_PATH already set: ") + p;
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&cuptiActivityEnable), &info) && info.dli_fname) {
    setenv("NVTX_INJECTION64_PATH", info.dli_fname, 0);
    return std::string("NVTX_INJECTION64_PATH=") + info.dli_fname;
  }
  return "libcupti not located: NVTX ranges fall back to bracketing by kernel timestamps";
}

Status cupti_start() {
  if (!g_callbacks) {
    if (Status s = check(cuptiActivityRegisterCallbacks(buffer_requested, buffer_completed), "cuptiActivityRegisterCallbacks"); !s)
      return s;
    g_callbacks = true;
  }
  if (Status s = check(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL), "cuptiActivityEnable(CONCURRENT_KERNEL)"); !s)
    return s;
  // Markers are optional: without NVTX injection the range is bracketed by the kernels instead.
  (void)cuptiActivityEnable(CUPTI_ACTIVITY_KIND_MARKER);
  return Status::ok();
}

Status cupti_stop() {
  Status s = check(cuptiActivityFlushAll(1), "cuptiActivityFlushAll");
  (void)cuptiActivityDisable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
  (void)cuptiActivityDisable(CUPTI_ACTIVITY_KIND_MARKER);
  return s;
}

void cupti_take(std::vector<KernelLaunch>* kernels, std::vector<NvtxRange>* ranges, std::uint64_t* dropped) {
  std::lock_guard<std::mutex> lock(g_mutex);
  *kernels = std::move(g_kernels);
  *ranges = std::move(g_ranges);
  *dropped = g_dropped;
  g_kernels.clear();
  g_ranges.clear();
  g_dropped = 0;
}

}  // namespace aiconf::profile
