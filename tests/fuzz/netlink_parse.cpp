// libFuzzer entry for rtnetlink decoding: the input is a receive buffer as the monitor and the
// dumps read it (a run of messages), each RTM_*LINK / RTM_*ADDR decoded as they decode it.
// Lengths and attributes are the kernel's to set, so nothing in them may be trusted.
#include <linux/rtnetlink.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "netlink/messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Aligned, as a socket buffer is; the decoder may read whole headers.
    std::vector<std::uint64_t> storage(size / sizeof(std::uint64_t) + 1);
    std::memcpy(storage.data(), data, size);
    const std::span<const std::uint8_t> buffer{
        reinterpret_cast<const std::uint8_t*>(storage.data()), size};
    havip::netlink::for_each_message(buffer, [](const nlmsghdr* nlh) {
        (void)havip::netlink::parse_link(nlh);
        (void)havip::netlink::parse_address(nlh);
    });
    return 0;
}
