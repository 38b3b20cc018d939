#pragma once
/// \file operation.h
/// Operation: one kind of kernel work (a GEMM, the DSA indexer, sparse MLA...) that the estimator
/// can ask for a latency. Each operation owns the schema of its perf table and a speed-of-light
/// cost formula; the core's query chain (exact -> interpolated -> extrapolated -> speed-of-light)
/// uses both, so the core has no per-operator code. Plugins implement operations; all virtual
/// methods are noexcept and report failure as a Status (see plugin/operation_base.h for a base
/// class that turns exceptions into a Status inside the plugin).

#include <aiconf/status.h>
#include <aiconf/system.h>
#include <aiconf/value.h>

#include <limits>
#include <string>
#include <vector>

namespace aiconf {

/// How a key column is treated by interpolation.
enum class ColumnKind { numeric, categorical };
/// The space a numeric axis is interpolated in (latency is close to linear there). linear, log and
/// sqrt blend log(latency) (a power law between points); affine keeps the raw value and blends the
/// latency itself: exact for latency = a + b * x, the shape of decode time against cached tokens or
/// batch (a fixed cost plus bytes that grow with x). Appended last: the values of the others stay.
enum class AxisTransform { linear, log, sqrt, affine };

struct Column {
  std::string name;
  ColumnKind kind = ColumnKind::numeric;
  AxisTransform transform = AxisTransform::linear;
  /// For numeric columns: the value used when a query omits the key (NaN = required).
  double default_value = std::numeric_limits<double>::quiet_NaN();
};

/// A perf table's layout: `framework,version,device,op_name,kernel_source,<keys>,latency`.
struct TableSchema {
  std::string table;               ///< file stem, e.g. "gemm_perf"
  std::vector<std::string> op_names;  ///< values of the op_name column this operation reads ("" = any)
  std::vector<Column> keys;        ///< key columns in file order
};

/// The work an operation must do at least (speed-of-light inputs). Several terms add up.
struct SolCost {
  double flops = 0;                ///< floating-point operations
  std::string compute_dtype = "bf16";  ///< tensor-core precision for the flops: bf16, fp8, fp32
  double bytes = 0;                ///< minimal bytes through device memory
  double comm_bytes = 0;           ///< bytes over the interconnect (communication ops)
  double comm_latency_s = 0;       ///< fixed interconnect latency (communication ops)
  int comm_gpus = 0;               ///< GPUs taking part; more than a node's GPUs means the network
  int comm_steps = 0;              ///< latency-bound steps (ring all-reduce: 2(n-1)), each paying the link latency
  int kernels = 1;                 ///< kernel launches the op needs at least (each costs kernel_launch_us)
};

/// Where a latency came from, best first.
enum class Provenance { exact, interpolated, extrapolated, speed_of_light, empirical };
const char* to_string(Provenance p) noexcept;

/// A latency answer with its provenance and the measured rows it used.
struct Latency {
  double ms = 0;
  Provenance provenance = Provenance::speed_of_light;
  std::string table;               ///< the table consulted ("" for pure speed-of-light)
  std::vector<std::string> rows;   ///< "file:line" of each measured row used
  std::string note;                ///< why this path was taken (e.g. "outside measured isl range")
  /// Components of a composed answer (e.g. a module summed from its ops), in order.
  std::vector<std::pair<std::string, Latency>> parts;
};

/// Query modes of the database.
enum class QueryMode { silicon, hybrid, empirical, sol };
const char* to_string(QueryMode m) noexcept;
Status parse_query_mode(const std::string& s, QueryMode* out);

/// What an operation may use while answering a query (implemented by the core).
class QueryContext {
public:
  virtual ~QueryContext() = default;
  virtual const SystemSpec& system() const noexcept = 0;
  virtual QueryMode mode() const noexcept = 0;
  /// Looks up `op`'s own table through the core's query chain.
  virtual Status lookup(const class Operation& op, const Params& key, Latency* out) const noexcept = 0;
  /// Queries another operation by name (composition without linking its plugin). The error names
  /// the missing operation when no loaded plugin provides it.
  virtual Status query(const std::string& op_name, const Params& key, Latency* out) const noexcept = 0;
  /// Whether an operation of that name is registered.
  virtual bool has_operation(const std::string& op_name) const noexcept = 0;
};

/// One operation. Implementations must be thread-safe for concurrent const calls.
class Operation {
public:
  /// Unique name, e.g. "gemm", "dsa_indexer_logits_context".
  virtual const char* name() const noexcept = 0;
  /// One line: what it computes.
  virtual const char* description() const noexcept = 0;
  /// The perf table this operation reads and its collector writes.
  virtual const TableSchema& schema() const noexcept = 0;
  /// Speed-of-light work for one query key.
  virtual Status speed_of_light(const Params& key, SolCost* out) const noexcept = 0;
  /// The latency for one query key. The usual implementation is `ctx.lookup(*this, key, out)`;
  /// composed operations query others through `ctx.query`.
  virtual Status query(const Params& key, const QueryContext& ctx, Latency* out) const noexcept = 0;
  /// Destroys the object inside the plugin that made it (called by the core).
  virtual void release() noexcept = 0;

protected:
  ~Operation() = default;  // only release() destroys
};

/// Speed-of-light time in seconds of a cost on a system: max(compute, memory) + communication +
/// launch overheads.
double sol_seconds(const SolCost& cost, const SystemSpec& sys);

}  // namespace aiconf
