#pragma once
/// \file model_ops.h
/// Building blocks of model builders: one function per operation of the contract in
/// plugins/README.md, each returning an OpInvocation with the full query key, and the parallel
/// split arithmetic they share. Header-only; plugins never link each other, they share this header.

#include <aiconf/model.h>
#include <aiconf/status.h>

#include <algorithm>
#include <cstdint>
#include <string>

namespace aiconf::plugins {

/// `total` split `ways` ways; error naming `what` when it does not divide evenly.
inline std::int64_t split(std::int64_t total, std::int64_t ways, const std::string& what) {
  if (ways < 1) throw Error(what + ": parallel size must be at least 1, got " + std::to_string(ways));
  if (total % ways != 0)
    throw Error(what + " (" + std::to_string(total) + ") is not divisible by the parallel size " + std::to_string(ways));
  return total / ways;
}

/// KV heads on one tensor-parallel rank: heads are split while there are enough of them, else each
/// rank keeps (a replica of) one head, as inference engines do for GQA with tp > kv heads.
inline std::int64_t kv_heads_per_rank(std::int64_t kv_heads, std::int64_t tp) {
  if (kv_heads >= tp) return split(kv_heads, tp, "num_key_value_heads");
  if (tp % kv_heads != 0)
    throw Error("tp (" + std::to_string(tp) + ") must be a multiple of num_key_value_heads (" + std::to_string(kv_heads) +
                ") to replicate KV heads");
  return 1;
}

/// Layers of one pipeline stage (the largest stage when layers do not divide evenly: it sets the pace).
inline double layers_per_stage(std::int64_t layers, int pp) {
  if (pp < 1) throw Error("pp must be at least 1, got " + std::to_string(pp));
  return static_cast<double>((layers + pp - 1) / pp);
}

/// Table name of the builder's GEMM precision from a config's torch_dtype.
inline std::string gemm_dtype_for(const std::string& torch_dtype) {
  if (torch_dtype == "float16") return "float16";
  return "bfloat16";  // bf16 checkpoints and the default when the config names none
}

inline OpInvocation op(std::string name, Params key, double count, std::string label) {
  return OpInvocation{std::move(name), std::move(key), count, std::move(label)};
}

/// y[m,n] = x[m,k] W[n,k]^T.
inline OpInvocation gemm(const std::string& dtype, std::int64_t m, std::int64_t n, std::int64_t k, double count,
                         std::string label) {
  return op("gemm", Params{{"gemm_dtype", dtype}, {"m", m}, {"n", n}, {"k", k}}, count, std::move(label));
}

/// Memory-bound ops of the memory plugin (embedding, rms_norm, activation, quantize, kv_cache_write, elementwise).
inline OpInvocation memory_op(const std::string& name, std::int64_t tokens, std::int64_t width, const std::string& dtype,
                              double count, std::string label) {
  return op(name, Params{{"num_tokens", tokens}, {"hidden_size", width}, {"dtype", dtype}}, count, std::move(label));
}

/// A collective of the comm plugin; `elements` of `dtype` per GPU (aiconfigurator's message_size).
inline OpInvocation collective(const std::string& name, const std::string& dtype, std::int64_t gpus, std::int64_t elements,
                               double count, std::string label) {
  return op(name, Params{{"nccl_dtype", dtype}, {"num_gpus", gpus}, {"message_size", elements}}, count, std::move(label));
}

}  // namespace aiconf::plugins
