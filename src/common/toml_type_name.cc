#include "common/toml_type_name.h"

#include <cstddef>

namespace paxoskv {

const char* toml_type_name(const toml::node& node) {
  // Indexed by toml::node_type, in its declaration order.
  static_assert(static_cast<int>(toml::node_type::date_time) == 9);
  static constexpr const char* kNames[] = {
      "nothing",   "a table", "an array", "a string",   "an integer", "a floating-point number",
      "a boolean", "a date",  "a time",   "a date-time"};
  return kNames[static_cast<std::size_t>(node.type())];
}

}  // namespace paxoskv
