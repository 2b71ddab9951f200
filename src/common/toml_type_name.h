// The name of a TOML value's type as an error message says it: "must be an integer, got a
// string". Shared by the server's configuration loader and the bench driver's workload files.
#pragma once

#include <toml++/toml.h>

namespace paxoskv {

// "a string", "an integer", "a table", ... (with the article).
const char* toml_type_name(const toml::node& node);

}  // namespace paxoskv
