// A human-readable summary of a loaded configuration, one block per instance; printed by
// `havipd -t -D` and scripts/demo.
#pragma once

#include <string>

#include "config/model.hpp"

namespace havip::config {

std::string describe(const Config& config);

}  // namespace havip::config
