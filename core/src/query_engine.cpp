#include <aiconf/query_engine.h>

#include "perfdb/query_chain.h"

namespace aiconf {

QueryEngine::QueryEngine(const Registry& registry, std::shared_ptr<const PerfDatabase> db, SystemSpec system,
                         QueryMode mode)
    : registry_(registry), db_(std::move(db)), system_(std::move(system)), mode_(mode) {}

Status QueryEngine::lookup(const Operation& op, const Params& key, Latency* out) const noexcept {
  if (db_) return db_->lookup(op, key, system_, mode_, out);
  try {
    switch (mode_) {
      case QueryMode::sol: return perfdb::sol_answer(op, key, system_, "mode sol", out);
      case QueryMode::silicon:
        return Status::error(std::string("operation '") + op.name() + "' (mode silicon): no perf database is open");
      default:
        return perfdb::empirical_answer(op, key, system_,
                                        mode_ == QueryMode::empirical ? "mode empirical" : "no perf database is open", out);
    }
  } catch (const std::exception& e) {
    return Status::error(std::string("operation '") + op.name() + "': " + e.what());
  }
}

Status QueryEngine::query(const std::string& op_name, const Params& key, Latency* out) const noexcept {
  thread_local int depth = 0;
  try {
    const Operation* op = nullptr;
    Status s = registry_.find_operation(op_name, &op);
    if (!s) return s;
    if (depth >= 32)
      return Status::error("operation '" + op_name + "': composition deeper than 32 levels (an operation queries itself?)");
    ++depth;
    Status r = op->query(key, *this, out);
    --depth;
    return r;
  } catch (const std::exception& e) {
    return Status::error("operation '" + op_name + "': " + e.what());
  }
}

bool QueryEngine::has_operation(const std::string& op_name) const noexcept {
  return registry_.operations.find(op_name) != registry_.operations.end();
}

}  // namespace aiconf
