// libFuzzer entry for the metrics endpoint's request handling: the head of an HTTP request
// from whoever can reach the port, answered without the daemon. The answer is a whole HTTP
// response whatever the head.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "vrrpd/metrics.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view head(reinterpret_cast<const char*>(data), size);
    const auto answer =
        havip::vrrp::metrics_http_answer(head, [] { return std::string("havip_up 1\n"); });
    if (answer.rfind("HTTP/1.", 0) != 0) __builtin_trap();
    if (answer.find("\r\n\r\n") == std::string::npos) __builtin_trap();
    return 0;
}
