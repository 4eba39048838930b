// Checks that need the whole configuration (references between blocks, duplicates,
// interfaces, script files) and the defaults that depend on it (version, advert_int,
// gratuitous ARP settings from global_defs, priority 255 for `state MASTER`).
#pragma once

#include "config/diagnostic.hpp"
#include "config/load.hpp"
#include "config/model.hpp"

namespace havip::config {

void validate(Config& config, const LoadOptions& options, Diagnostics& diagnostics);

}  // namespace havip::config
