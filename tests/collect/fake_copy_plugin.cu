// Fixture plugin for checking aiconf-collect's CUDA timer on a GPU: a device-to-device copy layer
// (vectorized grid-stride kernel) with two input buffers to rotate, its operation and a collector
// over the byte count. Built only with CUDA; never part of the CPU tests.
#include <aiconf/plugin/abi.h>
#include <aiconf/plugin/plugin_base.h>

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace {

using namespace aiconf;

__global__ void copy_kernel(const uint4* __restrict__ src, uint4* __restrict__ dst, std::size_t n) {
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < n; i += std::size_t(gridDim.x) * blockDim.x)
    dst[i] = src[i];
}

__global__ void fill_kernel(uint4* p, std::size_t n, unsigned seed) {
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < n; i += std::size_t(gridDim.x) * blockDim.x) {
    unsigned h = static_cast<unsigned>(i) * 2654435761u ^ seed;
    p[i] = make_uint4(h | 1u, h * 3u + 1u, h * 7u + 1u, h * 11u + 1u);  // never zero
  }
}

std::string cuda_text(cudaError_t e) { return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e); }

TableSchema copy_schema() {
  TableSchema s;
  s.table = "fake_copy_perf";
  s.op_names = {"fake_copy"};
  s.keys = {Column{"bytes", ColumnKind::numeric, AxisTransform::log}};
  return s;
}

class CopyOp final : public OperationBase {
public:
  CopyOp() : OperationBase("fake_copy", "device-to-device copy (collector harness check)", copy_schema()) {}

protected:
  SolCost cost(const Params& key) const override {
    SolCost c;
    c.bytes = 2 * key.number("bytes");
    return c;
  }
};

class CopyLayer final : public MockLayer {
public:
  Status setup(const Params& shape, void* stream) noexcept override {
    teardown();
    std::int64_t bytes = 0;
    if (Status s = guarded([&] { bytes = shape.integer("bytes"); }); !s) return s;
    if (bytes <= 0 || bytes % 16) return Status::error("fake_copy: bytes=" + std::to_string(bytes) + ", expected a positive multiple of 16");
    n_ = static_cast<std::size_t>(bytes) / 16;
    int dev = 0;
    cudaGetDevice(&dev);
    cudaDeviceGetAttribute(&sms_, cudaDevAttrMultiProcessorCount, dev);
    auto st = static_cast<cudaStream_t>(stream);
    for (auto** p : {&src_[0], &src_[1], &dst_})
      if (cudaError_t e = cudaMalloc(reinterpret_cast<void**>(p), n_ * 16); e != cudaSuccess) {
        cudaGetLastError();
        teardown();
        return Status::error("fake_copy: cudaMalloc of " + std::to_string(bytes) + " B: " + cuda_text(e));
      }
    fill_kernel<<<1024, 256, 0, st>>>(src_[0], n_, 1u);
    fill_kernel<<<1024, 256, 0, st>>>(src_[1], n_, 2u);
    if (cudaError_t e = cudaGetLastError(); e != cudaSuccess) return Status::error("fake_copy: fill: " + cuda_text(e));
    return Status::ok();
  }
  Status run(void* stream) noexcept override {
    const std::size_t blocks = std::min<std::size_t>((n_ + 255) / 256, std::size_t(std::max(sms_, 1)) * 8);
    copy_kernel<<<static_cast<unsigned>(std::max<std::size_t>(blocks, 1)), 256, 0, static_cast<cudaStream_t>(stream)>>>(src_[cur_], dst_, n_);
    if (cudaError_t e = cudaGetLastError(); e != cudaSuccess) return Status::error("fake_copy: launch: " + cuda_text(e));
    return Status::ok();
  }
  bool rotate_inputs() noexcept override {
    cur_ ^= 1;
    return true;
  }
  Status check(void* stream, CheckReport* out) noexcept override {
    if (Status s = run(stream); !s) return s;
    std::vector<uint4> a(std::min<std::size_t>(n_, 1 << 16)), b(a.size());
    cudaStreamSynchronize(static_cast<cudaStream_t>(stream));
    cudaMemcpy(a.data(), src_[cur_], a.size() * 16, cudaMemcpyDeviceToHost);
    cudaMemcpy(b.data(), dst_, b.size() * 16, cudaMemcpyDeviceToHost);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < a.size(); ++i) bad += a[i].x != b[i].x || a[i].w != b[i].w;
    out->passed = bad == 0;
    out->max_rel_error = bad ? 1 : 0;
    out->details = "dst == src on the first " + std::to_string(a.size()) + " vectors: " + std::to_string(bad) + " differ";
    return Status::ok();
  }
  const char* kernel_source() const noexcept override { return "aiconf_fake_copy"; }
  void teardown() noexcept override {
    for (auto** p : {&src_[0], &src_[1], &dst_}) {
      if (*p) cudaFree(*p);
      *p = nullptr;
    }
  }
  void release() noexcept override {
    teardown();
    delete this;
  }

private:
  uint4* src_[2] = {nullptr, nullptr};
  uint4* dst_ = nullptr;
  std::size_t n_ = 0;
  int cur_ = 0;
  int sms_ = 132;
};

class CopyCollector final : public CollectorBase {
public:
  CopyCollector() : CollectorBase("fake_copy", "fake_copy", "fake_copy") {}

protected:
  std::vector<Params> sweep(const SweepOptions& opt) const override {
    std::vector<Params> out;
    // 4 KiB .. 4 GiB; the quick sweep adds an impossible 1 TiB case to exercise the skip path.
    std::vector<std::int64_t> sizes;
    for (std::int64_t b = 4096; b <= (std::int64_t(4) << 30); b *= opt.quick ? 16 : 4) sizes.push_back(b);
    if (opt.quick) sizes.push_back(std::int64_t(1) << 40);
    for (auto b : sizes) out.push_back(Params{{"bytes", b}});
    return out;
  }
};

void register_copy(Registrar& r) {
  throw_if_error(r.add_operation(new CopyOp));
  throw_if_error(r.add_mock_layer(new MockLayerFactoryOf<CopyLayer>("fake_copy", "fake_copy", "device-to-device copy")));
  throw_if_error(r.add_collector(new CopyCollector));
}

}  // namespace

AICONF_PLUGIN("fake_copy", "1.0.0", "CUDA copy mock layer for checking the aiconf-collect CUDA timer", register_copy)
