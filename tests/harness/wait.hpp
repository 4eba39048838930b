// Polling for a condition with a deadline.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

namespace havip::test {

// Calls `predicate` every `poll` until it returns true: how long that took (measured from the
// call), or nullopt if it was still false at `timeout`. The predicate is always tried at least
// once and once more at the deadline.
std::optional<std::chrono::nanoseconds> wait_until(
    const std::function<bool()>& predicate, std::chrono::nanoseconds timeout,
    std::chrono::nanoseconds poll = std::chrono::milliseconds(10));

}  // namespace havip::test
