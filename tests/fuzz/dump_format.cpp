// libFuzzer entry for keepalived's dump files (SIGUSR1, SIGUSR2, SIGRTMIN+2), which exporters
// ask for: whatever the names, addresses, passwords and reasons hold (a Latin-1 auth_pass, a
// MySQL error with control bytes), the three dumps are written without an exception, and the
// JSON one parses.
#include <cstddef>
#include <cstdint>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>
#include <nlohmann/json.hpp>

#include "vrrpd/dumps.hpp"

using namespace havip::vrrp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    auto text = [&] { return in.ConsumeRandomLengthString(64); };
    StatusSnapshot s;
    s.now = WallTime{std::chrono::milliseconds(in.ConsumeIntegral<std::int64_t>() >> 24)};
    s.router_id = text();
    s.pid = in.ConsumeIntegral<int>();
    const auto instances = in.ConsumeIntegralInRange<int>(0, 3);
    for (int n = 0; n < instances; ++n) {
        InstanceSnapshot i;
        i.name = text();
        i.state = static_cast<State>(in.ConsumeIntegralInRange<int>(0, 3));
        i.vrid = in.ConsumeIntegral<int>();
        i.interface = text();
        i.version = in.ConsumeBool() ? 2 : 3;
        i.priority = in.ConsumeIntegral<int>();
        i.effective_priority = in.ConsumeIntegral<int>();
        for (int v = in.ConsumeIntegralInRange<int>(0, 3); v > 0; --v)
            i.vips.push_back({text(), in.ConsumeIntegral<int>(), text()});
        if (in.ConsumeBool()) i.master_ip = text();
        if (in.ConsumeBool()) i.sync_group = text();
        if (in.ConsumeBool())
            i.last_transition = TransitionSnapshot{
                WallTime{std::chrono::milliseconds(in.ConsumeIntegral<std::int32_t>())},
                State::backup, i.state, text()};
        if (in.ConsumeBool())
            i.checks.push_back({text(), "mysql_check", text(), text(), std::nullopt, text()});
        i.source_ip = text();
        for (int d = in.ConsumeIntegralInRange<int>(0, 2); d > 0; --d)
            i.destinations.push_back(text());
        i.unicast = in.ConsumeBool();
        i.auth_pass = in.ConsumeBool();
        i.password = text();
        i.preempt = in.ConsumeBool();
        i.stats.advert_rcvd = in.ConsumeIntegral<std::uint64_t>();
        i.garp_repeat = in.ConsumeIntegral<unsigned>();
        s.instances.push_back(std::move(i));
    }
    (void)format_data_dump(s);
    (void)format_stats_dump(s);
    const auto json = format_json_dump(s);
    if (nlohmann::json::parse(json, nullptr, false).is_discarded()) __builtin_trap();
    return 0;
}
