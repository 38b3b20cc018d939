#pragma once
// What a run will measure: the collectors chosen by --collector/--plugin/--table, and for each its
// table (schema from the operation it names), its mock layer factory and its cases (the
// collector's sweep, filtered), each with the key column values its row will carry.

#include "case_filter.h"

#include <aiconf/registry.h>

#include <string>
#include <vector>

namespace aiconf::collect {

/// Which collectors to run (any combination; the union is taken, in registry order).
struct Selection {
  std::vector<std::string> collectors;  ///< by collector name
  std::vector<std::string> plugins;     ///< every collector a plugin registered
  std::vector<std::string> tables;      ///< every collector whose operation's table has this name
  bool empty() const { return collectors.empty() && plugins.empty() && tables.empty(); }
};

/// One table to collect.
struct TablePlan {
  std::string collector;        ///< collector name
  std::string plugin;           ///< plugin that registered the collector
  std::string operation;        ///< operation whose table is written
  std::string table;            ///< schema table (file stem)
  std::string op_name;          ///< the op_name column value: the schema's op_names[0] (else the operation name)
  std::string mock_layer;       ///< mock layer factory name
  const MockLayerFactory* factory = nullptr;  ///< null when no loaded plugin registered it
  const Operation* op = nullptr;
  std::vector<Column> key_columns;            ///< schema key columns, in file order
  std::vector<Params> cases;                  ///< after the filter, in sweep order
  std::vector<std::vector<std::string>> keys; ///< per case: key column values as written
  std::size_t sweep_size = 0;                 ///< cases before the filter
  std::vector<std::string> ignored_filter_keys;  ///< filter keys no case of this collector has

  std::vector<std::string> key_names() const;
  /// "table k=v k2=v2": the case's name (NVTX range, messages).
  std::string label(std::size_t i) const;
};

/// The collectors selected, in registry order. Error names the unknown collector/plugin/table and
/// lists the known ones.
Status select_collectors(const Registry& reg, const Selection& sel, std::vector<const Registered<Collector>*>* out);

/// Builds the plan of one collector. Errors: the collector's own (e.g. "needs --model"), an
/// operation no plugin provides, a case lacking a key column (names the case and the column).
Status plan_table(const Registry& reg, const Registered<Collector>& c, const SweepOptions& sweep, const CaseFilter& filter,
                  TablePlan* out);

/// The filter keys that no plan has (so the filter is surely a typo). Empty when all are used.
std::vector<std::string> unused_filter_keys(const CaseFilter& filter, const std::vector<TablePlan>& plans);

}  // namespace aiconf::collect
