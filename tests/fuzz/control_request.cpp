// libFuzzer target for the control protocol's request parser (vrrpd/status answer_request):
// whatever bytes a local client sends as one line must get an answer object carrying the
// protocol version, never an exception, a crash or a hang. The answer is serialised the way
// vrrpd/control_socket.cpp does, invalid UTF-8 replaced.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "vrrpd/status.hpp"

namespace {

using namespace havip::vrrp;

StatusSnapshot sample_status() {
    StatusSnapshot s;
    s.now = WallTime{std::chrono::milliseconds(1796062810136)};
    s.daemon_version = "0.1.0";
    s.pid = 42;
    s.router_id = "fuzz";
    InstanceSnapshot i;
    i.name = "VI_1";
    i.state = State::master;
    i.vrid = 51;
    i.interface = "eth0";
    i.vips = {{"10.77.0.100", 24, "eth0"}};
    i.checks = {{"chk_db", "mysql_check", "degraded", "lag \xff 12 s", std::nullopt, ""}};
    s.instances.push_back(i);
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    const auto reply = answer_request(line, sample_status);
    if (!reply.is_object() || !reply.contains("version")) __builtin_trap();
    // One answer is one line: a newline inside would split it for the client.
    const auto text = reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.find('\n') != std::string::npos) __builtin_trap();
    return 0;
}
