#pragma once
/// \file nccl_group.h
/// A group of GPUs of this process driven from one thread: one NCCL communicator, stream and pair
/// of buffers per GPU (ncclCommInitAll), and the collectives of the comm plugin's tables enqueued
/// on all of them at once (one ncclGroupStart/End), with message sizes in nccl-tests' convention.

#include <nccl.h>

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace aiconf::nccl_collect {

/// The operations timed (op_name values of nccl_perf / p2p_perf; custom_all_reduce is ours).
enum class CommOp { all_reduce, all_gather, reduce_scatter, alltoall, p2p, custom_all_reduce };

/// "all_reduce" -> CommOp; throws aiconf::Error naming the known ones otherwise.
CommOp comm_op_from_name(const std::string& name);
const char* comm_op_name(CommOp op);

/// nccl_dtype / allreduce_dtype column values: half, bfloat16, float, int8 (and aliases
/// float16, fp16, bf16, float32, fp32). Throws aiconf::Error for others.
ncclDataType_t nccl_dtype_from_name(const std::string& name);
std::size_t nccl_dtype_bytes(ncclDataType_t t);

/// Throws aiconf::Error naming the call and NCCL's message when `r` is not ncclSuccess.
void nccl_check(ncclResult_t r, const char* what);

/// Per-GPU element counts of one case. `message_size` is nccl-tests' buffer (plugins/README.md):
/// all_reduce the whole buffer; all_gather the gathered output; reduce_scatter the input; alltoall
/// one rank's send buffer; p2p the elements sent. Throws when it does not split over the GPUs.
struct CaseCounts {
  std::size_t send = 0;    ///< elements in each rank's send buffer
  std::size_t recv = 0;    ///< elements in each rank's receive buffer
  std::size_t count = 0;   ///< the count argument of the NCCL call
};
CaseCounts case_counts(CommOp op, std::int64_t message_size, int gpus);

class NcclGroup {
public:
  /// Communicators over devices 0..gpus-1 with buffers of `buffer_bytes` (send and receive each)
  /// per GPU, filled with random bytes of valid values for every dtype (never zeros).
  NcclGroup(int gpus, std::size_t buffer_bytes);
  ~NcclGroup();
  NcclGroup(const NcclGroup&) = delete;
  NcclGroup& operator=(const NcclGroup&) = delete;

  int size() const { return static_cast<int>(comms_.size()); }
  cudaStream_t stream(int rank) const { return streams_[rank]; }
  void* send(int rank) const { return send_[rank]; }
  void* recv(int rank) const { return recv_[rank]; }
  std::size_t buffer_bytes() const { return bytes_; }

  /// Enqueues one NCCL operation (not custom_all_reduce) of `message_size` elements on every
  /// rank's stream. p2p sends from rank 0 to rank 1 (a pipeline stage boundary); the other ranks idle.
  void enqueue(CommOp op, ncclDataType_t dtype, std::int64_t message_size);

  /// Waits for every stream; throws on a CUDA or asynchronous NCCL error.
  void synchronize();

private:
  std::vector<ncclComm_t> comms_;
  std::vector<cudaStream_t> streams_;
  std::vector<void*> send_, recv_;
  std::size_t bytes_ = 0;
};

/// "NCCL 2.28.9" from ncclGetVersion.
std::string nccl_version_text();

}  // namespace aiconf::nccl_collect
