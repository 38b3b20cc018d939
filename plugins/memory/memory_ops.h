#pragma once
// Memory-bound operations on one table, memory_op_perf, keyed by op_name: num_tokens, hidden_size, dtype.
#include <aiconf/operation.h>
#include <aiconf/plugin/registrar.h>

namespace aiconf::memory {

/// Bytes through device memory of each op for num_tokens rows of hidden_size elements of dtype:
///   embedding       gather rows: read ids (4 B) + rows, write rows
///   rms_norm        read x and the weight, write y
///   activation      SiLU(gate) * up: read [T, 2H], write [T, H]   (hidden_size = H, the output width)
///   quantize        bf16 in, dtype out + one fp32 scale per 1x128 group  (dtype = the output, fp8)
///   kv_cache_write  read new K/V in bf16, write them into the cache in dtype  (hidden_size = K+V width)
///   elementwise     binary op (residual add): read two, write one
SolCost memory_op_cost(const std::string& op, const Params& key);
void register_memory_operations(Registrar& r);

}  // namespace aiconf::memory
