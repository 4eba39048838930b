#include "tests/harness/wait.hpp"

#include <algorithm>
#include <thread>

namespace havip::test {

std::optional<std::chrono::nanoseconds> wait_until(const std::function<bool()>& predicate,
                                                   std::chrono::nanoseconds timeout,
                                                   std::chrono::nanoseconds poll) {
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + timeout;
    while (true) {
        if (predicate()) return std::chrono::steady_clock::now() - start;
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(poll, deadline - now));
    }
}

}  // namespace havip::test
