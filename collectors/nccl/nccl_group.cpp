#include "nccl_group.h"

#include <aiconf/status.h>
#include <aiconf_plugins/cuda_check.h>

#include <algorithm>
#include <numeric>
#include <random>

namespace aiconf::nccl_collect {

CommOp comm_op_from_name(const std::string& name) {
  for (CommOp op : {CommOp::all_reduce, CommOp::all_gather, CommOp::reduce_scatter, CommOp::alltoall, CommOp::p2p,
                    CommOp::custom_all_reduce})
    if (name == comm_op_name(op)) return op;
  throw Error("operation '" + name +
              "' is not timed here (expected all_reduce, all_gather, reduce_scatter, alltoall, p2p, custom_all_reduce)");
}

const char* comm_op_name(CommOp op) {
  switch (op) {
    case CommOp::all_reduce: return "all_reduce";
    case CommOp::all_gather: return "all_gather";
    case CommOp::reduce_scatter: return "reduce_scatter";
    case CommOp::alltoall: return "alltoall";
    case CommOp::p2p: return "p2p";
    case CommOp::custom_all_reduce: return "custom_all_reduce";
  }
  return "?";
}

ncclDataType_t nccl_dtype_from_name(const std::string& n) {
  if (n == "half" || n == "float16" || n == "fp16") return ncclHalf;
  if (n == "bfloat16" || n == "bf16") return ncclBfloat16;
  if (n == "float" || n == "float32" || n == "fp32") return ncclFloat32;
  if (n == "int8") return ncclInt8;
  throw Error("dtype '" + n + "' is not supported (expected half, bfloat16, float or int8)");
}

std::size_t nccl_dtype_bytes(ncclDataType_t t) {
  switch (t) {
    case ncclInt8:
    case ncclUint8: return 1;
    case ncclHalf:
    case ncclBfloat16: return 2;
    case ncclFloat32:
    case ncclInt32:
    case ncclUint32: return 4;
    default: return 8;
  }
}

void nccl_check(ncclResult_t r, const char* what) {
  if (r != ncclSuccess) throw Error(std::string(what) + " failed: " + ncclGetErrorString(r));
}

CaseCounts case_counts(CommOp op, std::int64_t message_size, int gpus) {
  if (message_size < 1 || gpus < 1) throw Error("message_size and num_gpus must be >= 1");
  const auto s = static_cast<std::size_t>(message_size), n = static_cast<std::size_t>(gpus);
  const bool split = op == CommOp::all_gather || op == CommOp::reduce_scatter || op == CommOp::alltoall;
  if (split && s % n != 0)
    throw Error(std::string(comm_op_name(op)) + ": message_size " + std::to_string(s) + " does not split over " +
                std::to_string(n) + " GPUs (expected a multiple of num_gpus)");
  switch (op) {
    case CommOp::all_reduce:
    case CommOp::custom_all_reduce: return {s, s, s};
    case CommOp::all_gather: return {s / n, s, s / n};
    case CommOp::reduce_scatter: return {s, s / n, s / n};
    case CommOp::alltoall: return {s, s, s / n};
    case CommOp::p2p: return {s, s, s};
  }
  return {};
}

namespace {

// Random 16-bit words with bit 14 clear: as half or bf16 the exponent stays below its all-ones
// value (finite, |x| < 2), as fp32 (bit 30 of the word pair) likewise; int8 takes any byte.
void fill_valid_random(void* dst, std::size_t bytes, std::uint64_t seed) {
  constexpr std::size_t kChunk = 32u << 20;
  std::vector<std::uint16_t> host(std::min(bytes, kChunk) / 2 + 1);
  std::mt19937_64 rng(seed);
  for (auto& w : host) w = static_cast<std::uint16_t>(rng() & 0xBFFFu);
  const std::size_t first = std::min(bytes, kChunk);
  AICONF_CUDA_CHECK(cudaMemcpy(dst, host.data(), first, cudaMemcpyHostToDevice));
  // Tile the rest from the first chunk on the device (a host copy of GiBs would take seconds).
  for (std::size_t off = first; off < bytes; off += first) {
    const std::size_t n = std::min(first, bytes - off);
    AICONF_CUDA_CHECK(cudaMemcpy(static_cast<char*>(dst) + off, dst, n, cudaMemcpyDeviceToDevice));
  }
}

}  // namespace

NcclGroup::NcclGroup(int gpus, std::size_t buffer_bytes) : bytes_(buffer_bytes) {
  int visible = 0;
  AICONF_CUDA_CHECK(cudaGetDeviceCount(&visible));
  if (gpus < 1 || gpus > visible)
    throw Error("num_gpus " + std::to_string(gpus) + " needs that many visible GPUs; " + std::to_string(visible) + " visible");
  std::vector<int> devices(gpus);
  std::iota(devices.begin(), devices.end(), 0);
  comms_.resize(gpus);
  nccl_check(ncclCommInitAll(comms_.data(), gpus, devices.data()), "ncclCommInitAll");
  streams_.resize(gpus);
  send_.resize(gpus);
  recv_.resize(gpus);
  for (int r = 0; r < gpus; ++r) {
    AICONF_CUDA_CHECK(cudaSetDevice(r));
    AICONF_CUDA_CHECK(cudaStreamCreateWithFlags(&streams_[r], cudaStreamNonBlocking));
    AICONF_CUDA_CHECK(cudaMalloc(&send_[r], bytes_));
    AICONF_CUDA_CHECK(cudaMalloc(&recv_[r], bytes_));
    fill_valid_random(send_[r], bytes_, 1000 + r);
    fill_valid_random(recv_[r], bytes_, 2000 + r);
  }
  for (int r = 0; r < gpus; ++r) {
    AICONF_CUDA_CHECK(cudaSetDevice(r));
    AICONF_CUDA_CHECK(cudaDeviceSynchronize());
  }
}

NcclGroup::~NcclGroup() {
  for (std::size_t r = 0; r < comms_.size(); ++r) {
    cudaSetDevice(static_cast<int>(r));
    if (comms_[r]) ncclCommDestroy(comms_[r]);
    if (streams_[r]) cudaStreamDestroy(streams_[r]);
    if (send_[r]) cudaFree(send_[r]);
    if (recv_[r]) cudaFree(recv_[r]);
  }
}

void NcclGroup::enqueue(CommOp op, ncclDataType_t dtype, std::int64_t message_size) {
  const int n = size();
  const CaseCounts c = case_counts(op, message_size, n);
  const std::size_t elem = nccl_dtype_bytes(dtype);
  if (std::max(c.send, c.recv) * elem > bytes_)
    throw Error(std::string(comm_op_name(op)) + " of " + std::to_string(message_size) + " elements needs " +
                std::to_string(std::max(c.send, c.recv) * elem) + " B per buffer; the group has " + std::to_string(bytes_));
  if (op == CommOp::custom_all_reduce) throw Error("custom_all_reduce is not an NCCL operation");
  if (op == CommOp::p2p && n < 2) throw Error("p2p needs num_gpus >= 2");
  nccl_check(ncclGroupStart(), "ncclGroupStart");
  for (int r = 0; r < n; ++r) {
    const void* s = send_[r];
    void* d = recv_[r];
    ncclResult_t res = ncclSuccess;
    switch (op) {
      case CommOp::all_reduce: res = ncclAllReduce(s, d, c.count, dtype, ncclSum, comms_[r], streams_[r]); break;
      case CommOp::all_gather: res = ncclAllGather(s, d, c.count, dtype, comms_[r], streams_[r]); break;
      case CommOp::reduce_scatter: res = ncclReduceScatter(s, d, c.count, dtype, ncclSum, comms_[r], streams_[r]); break;
      case CommOp::alltoall:  // grouped send/recv per peer (ncclAlltoAll exists only from NCCL 2.28)
        for (int p = 0; p < n && res == ncclSuccess; ++p) {
          const std::size_t off = p * c.count * elem;
          res = ncclSend(static_cast<const char*>(s) + off, c.count, dtype, p, comms_[r], streams_[r]);
          if (res == ncclSuccess) res = ncclRecv(static_cast<char*>(d) + off, c.count, dtype, p, comms_[r], streams_[r]);
        }
        break;
      case CommOp::p2p:
        if (r == 0) res = ncclSend(s, c.count, dtype, 1, comms_[r], streams_[r]);
        else if (r == 1) res = ncclRecv(d, c.count, dtype, 0, comms_[r], streams_[r]);
        break;
      case CommOp::custom_all_reduce: break;
    }
    if (res != ncclSuccess) {
      ncclGroupEnd();
      nccl_check(res, comm_op_name(op));
    }
  }
  nccl_check(ncclGroupEnd(), "ncclGroupEnd");
}

void NcclGroup::synchronize() {
  for (int r = 0; r < size(); ++r) {
    AICONF_CUDA_CHECK(cudaSetDevice(r));
    AICONF_CUDA_CHECK(cudaStreamSynchronize(streams_[r]));
    ncclResult_t async = ncclSuccess;
    nccl_check(ncclCommGetAsyncError(comms_[r], &async), "ncclCommGetAsyncError");
    nccl_check(async, "an earlier NCCL operation (asynchronous error)");
  }
}

std::string nccl_version_text() {
  int v = 0;
  if (ncclGetVersion(&v) != ncclSuccess) return "NCCL (version unknown)";
  // NCCL >= 2.9 encodes major*10000 + minor*100 + patch.
  return "NCCL " + std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

}  // namespace aiconf::nccl_collect
