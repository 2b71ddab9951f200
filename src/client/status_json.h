// A node's status (NodeStatus) as JSON, field for field: shared by `paxoskv status -w json` and
// the "cluster" section of `paxoskv bench` reports, so both always show the same fields.
#pragma once

#include <nlohmann/json.hpp>

#include "common/protocol.h"

namespace paxoskv::client {

nlohmann::ordered_json node_status_json(const NodeStatus& n);

}  // namespace paxoskv::client
