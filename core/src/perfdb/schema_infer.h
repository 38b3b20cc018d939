#pragma once
// A table schema inferred from a table's header and values, for tables no loaded plugin describes
// (`aiconf db info`, `aiconf db validate`). Rules (documented in perfdb/README.md):
//  - framework/version/device/op_name/kernel_source: categorical when they hold more than one
//    value, otherwise left out (every row shares them);
//  - a key column whose values all parse as numbers and that holds at least three values is
//    numeric; any other key column is categorical (matched exactly: with one or two values there
//    is nothing to interpolate between, and every point would be a frontier point);
//  - structural columns (*_dim, window_size, beam_width) are categorical whatever their values:
//    each value selects another kernel instance;
//  - numeric transform: sqrt for sequence-like columns (isl, osl, seq*, step, *_len, past*,
//    kv_len, context*) of attention-like context tables (name contains attention, attn, mla or
//    dsa, and context): prefill cost grows with the square of the new tokens; affine for them in
//    attention-like generation tables: decode time is a fixed cost plus cached-token bytes
//    (a + b * step), which a blend of the latency itself follows exactly; otherwise log when
//    every value is > 0 (batch, tokens, m/n/k, message sizes, past lengths on geometric grids);
//    otherwise linear.

#include "table_data.h"

#include <aiconf/operation.h>

namespace aiconf::perfdb {

TableSchema infer_schema(const TableData& table);

/// True for a table name that holds attention-like kernels.
bool is_attention_like(const std::string& table_name);
/// True for a sequence-length-like column name.
bool is_sequence_like(const std::string& column_name);
/// True for a column whose values select kernel instances (head dims, window size, beam width).
bool is_structural(const std::string& column_name);
/// aiconf-collect's measurement columns after `latency` (timing, samples, spread, throttled): never keys.
bool is_measurement_column(const std::string& column_name);

}  // namespace aiconf::perfdb
