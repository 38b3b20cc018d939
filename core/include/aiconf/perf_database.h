#pragma once
/// \file perf_database.h
/// PerfDatabase: measured kernel latencies for one system, in aiconfigurator's per-table CSV layout
/// (`framework,version,device,op_name,kernel_source,<keys>,latency`, latency in ms), and the query
/// chain that turns them into a latency for any key: exact -> interpolated -> extrapolated (holding
/// the measured utilization of the nearest boundary point) -> speed-of-light / empirical.
/// Thread-safety: a loaded database is immutable; concurrent lookups are safe.

#include <aiconf/operation.h>
#include <aiconf/status.h>
#include <aiconf/system.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace aiconf {

/// Range of one column of a loaded table (for `aiconf db info`).
struct ColumnSummary {
  std::string name;
  bool numeric = false;              ///< every value parses as a number
  double min = 0, max = 0;           ///< numeric columns only
  std::size_t distinct = 0;          ///< distinct values
  std::vector<std::string> values;   ///< the first 16 distinct values, in order of appearance
  std::vector<std::size_t> counts;   ///< rows holding each of `values` (same order)
};

/// Summary of one table (for `aiconf db info`).
struct TableInfo {
  std::string table;
  std::string path;        ///< file it was read from
  std::size_t rows = 0;    ///< usable rows (after rejected/skipped ones)
  std::vector<std::string> columns;  ///< key columns as found in the header
  // Additions (issue 3):
  std::string backend;     ///< backend folder the file was found under (e.g. "trtllm")
  std::string version;     ///< version folder (e.g. "1.3.0rc20")
  std::vector<std::string> alternatives;  ///< other files with the same table name, not chosen
  bool loaded = false;     ///< the fields below are filled only once the table was read
  std::size_t rejected_latency = 0;   ///< rows dropped: NaN, infinite, zero or negative latency
  std::size_t skipped_malformed = 0;  ///< malformed rows skipped (lenient mode)
  std::size_t duplicate_keys = 0;     ///< distinct full keys (all columns but latency) seen more than once
  std::size_t duplicate_rows = 0;     ///< rows that repeat an earlier full key
  std::vector<ColumnSummary> ranges;  ///< every non-latency column
  std::vector<std::string> issues;    ///< the first rejected/skipped rows, "file:line: reason"
};

/// Error statistics of leave-one-out predictions, absolute percent error.
struct ErrorStats {
  std::size_t count = 0;
  double median = 0, p90 = 0, max = 0;
};

/// One badly predicted point.
struct ValidationPoint {
  std::string where;       ///< "file:line" of the (first) row
  std::string key;         ///< "k=v ..." of the point
  double measured_ms = 0, predicted_ms = 0, error_pct = 0;
  bool frontier = false;
};

/// Leave-one-out report of one table: each measured point (duplicates collapsed by the median
/// rule) is hidden and predicted from the rest through the same interpolation as queries. A point
/// is frontier when it sits at the min or max of any numeric axis within its categorical group.
struct ValidationReport {
  std::string table, path;
  TableSchema schema;
  bool schema_inferred = false;  ///< no operation described the table: schema inferred from it
  bool with_sol = false;         ///< extrapolation held utilization with an operation's speed-of-light
  std::size_t points = 0;        ///< distinct measured keys
  std::size_t evaluated = 0;     ///< points held out (all, or a seeded sample)
  std::size_t unpredictable = 0; ///< held-out points whose group had no other point
  std::size_t groups = 0;        ///< categorical groups
  std::size_t shared = 0;        ///< holdout only: test points the training table measured itself (not scored)
  ErrorStats all, interior, frontier;
  std::vector<ValidationPoint> worst;  ///< the largest errors, worst first
};

/// Options of leave-one-out validation.
struct ValidationOptions {
  std::size_t max_points = 0;    ///< 0: every point; else a sample of this size
  std::uint64_t seed = 20261127; ///< sample seed (fixed: reports are reproducible)
  std::size_t worst = 5;         ///< how many worst points to report
  /// Entries added to every speed-of-light key (a table row's values override them): the
  /// dimensions a query's key carries but a table row lacks, e.g. a module's hidden_size and
  /// ranks (model_sol_key() reads them from a model config). Without them an operation whose
  /// speed-of-light needs them extrapolates by slope, unlike a query.
  Params sol_key;
};

/// Where tables are searched and how ties are broken.
struct PerfDatabaseOptions {
  std::string backend;           ///< only files under this backend folder ("" = any)
  std::string version;           ///< only files under this version folder ("" = any)
  bool lenient = false;          ///< skip malformed rows (counted) instead of failing the table
  std::string own_backend = "aiconf";  ///< our collectors' backend folder, preferred on ties
  /// Rows listed per answer in Latency::rows: the bracketing points first, then the outer
  /// neighbours that shaped the cubic's slopes; the rest are counted in the note. 0 renders no
  /// row strings at all: the fast path for callers that never read them (the estimator).
  std::size_t max_rows = 16;
};

class PerfDatabase {
public:
  virtual ~PerfDatabase() = default;
  /// The system this database describes (name of the `<root>/<system>` folder).
  virtual const std::string& system_name() const noexcept = 0;
  /// Tables found (loaded lazily or eagerly, as the implementation chooses).
  virtual std::vector<TableInfo> tables() const = 0;
  /// Whether a table of that name exists for this system.
  virtual bool has_table(const std::string& table) const = 0;
  /// The query chain for one operation's table. `op` supplies the schema and speed-of-light cost.
  virtual Status lookup(const Operation& op, const Params& key, const SystemSpec& sys, QueryMode mode,
                        Latency* out) const noexcept = 0;

  // Additions (issue 3).
  /// The directory searched for tables (`<root>/<system>` or `<root>/systems/data/<system>`).
  virtual const std::string& directory() const noexcept = 0;
  /// Loads a table (once) and describes it. Error names the table and the directory searched.
  virtual Status table_info(const std::string& table, TableInfo* out) const noexcept = 0;
  /// The schema inferred from a table's header and values (see perfdb/README.md for the rules).
  virtual Status infer_schema(const std::string& table, TableSchema* out) const noexcept = 0;
  /// The measured-data part of the chain (exact -> interpolated -> extrapolated) for a schema,
  /// without an operation: extrapolation is linear in transformed space (log latency for log
  /// axes), clamped positive. Error when there is no data.
  virtual Status lookup_table(const TableSchema& schema, const Params& key, Latency* out) const noexcept = 0;
  /// Leave-one-out validation of a table. `schema` null: the operation's schema when `op` is
  /// given, else the inferred one. `op` and `sys` (both or neither) let extrapolation hold
  /// utilization by the operation's speed-of-light (its key completed by `opt.sol_key`).
  virtual Status validate(const std::string& table, const TableSchema* schema, const Operation* op,
                          const SystemSpec* sys, const ValidationOptions& opt,
                          ValidationReport* out) const noexcept = 0;
};

/// Holdout validation: every point of `test`'s table that `train`'s table did not measure is
/// predicted from `train` alone (same schema, same evaluation as queries), e.g.
/// an adaptive collection against the full sweep. `schema` null: `op`'s, else inferred from `train`'s
/// table; `op` and `sys` (both or neither) let extrapolation hold utilization by speed-of-light
/// (its key completed by `opt.sol_key`).
/// Interior = interpolated on every axis, frontier = extrapolated on some axis; test points that
/// `train` holds count in `shared`. Both databases must come from open_perf_database.
Status validate_holdout(const PerfDatabase& train, const PerfDatabase& test, const std::string& table,
                        const TableSchema* schema, const Operation* op, const SystemSpec* sys,
                        const ValidationOptions& opt, ValidationReport* out);

/// Opens the database of one system under `root`. Tables are found by a recursive search under
/// `<root>/<system>/` (or `<root>/systems/data/<system>/` for an aiconfigurator checkout), so both
/// our `<system>/<backend>/<version>/<table>.txt` and aiconfigurator's
/// `<system>/<family>/<backend>/<version>/<table>.txt.gz` work. When one table name appears more
/// than once: our own backend first, else the newest version (natural sort), else the first
/// backend alphabetically; `.txt` before `.txt.gz` in one folder. Tables load lazily on first use.
/// Error when the system directory does not exist (names it).
Status open_perf_database(const std::string& root, const std::string& system, std::shared_ptr<PerfDatabase>* out);
Status open_perf_database(const std::string& root, const std::string& system, const PerfDatabaseOptions& opt,
                          std::shared_ptr<PerfDatabase>* out);

/// One row to write: the fixed columns, the key values in `key_columns` order, latency in ms.
struct PerfRow {
  std::string framework, version, device, op_name, kernel_source;
  std::vector<std::string> keys;
  double latency_ms = 0;
};

/// Writes a table in aiconfigurator's layout, atomically (temporary file + rename); a path ending
/// in `.gz` is compressed. With `append` and an existing file whose header matches, its rows are
/// kept first. Errors: a row with the wrong number of keys, a non-finite or non-positive latency,
/// a header mismatch on append (each names the row index / file and the expectation).
Status write_perf_table(const std::string& path, const std::vector<std::string>& key_columns,
                        const std::vector<PerfRow>& rows, bool append = false);

}  // namespace aiconf
