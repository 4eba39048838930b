// The build under test. The netns and interop tiers run the daemon and the CLI of the build
// they were compiled in or, with HAVIP_PRODUCT_DIR naming another build tree of the same
// sources, of that build: scripts/test's sanitizer tier runs these same test executables
// against its sanitized havipd and havip instead of building them all a second time.
#pragma once

#include <string>

namespace havip::test {

std::string havipd_path();      // havipd
std::string havip_path();       // the havip CLI
std::string slow_calls_path();  // the LD_PRELOAD library of the loop-stall tests
// Whether that build is the sanitizer build (HAVIP_SANITIZE): its daemon runs several times
// slower, which a test that loads it on purpose has to allow for.
bool product_sanitized();

}  // namespace havip::test
