#include "table_data.h"

namespace aiconf::perfdb {

int TableColumn::find(const std::string& raw) const {
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == raw) return static_cast<int>(i);
  return -1;
}

int TableColumn::find_number(double v) const {
  for (std::size_t i = 0; i < number.size(); ++i)
    if (number[i] == v) return static_cast<int>(i);
  return -1;
}

int TableData::column_index(const std::string& n) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == n) return static_cast<int>(i);
  return -1;
}

bool is_fixed_column(const std::string& name) {
  for (const char* f : kFixedColumns)
    if (name == f) return true;
  return false;
}

}  // namespace aiconf::perfdb
