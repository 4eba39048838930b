#include "vrrpd/core/dispatch.hpp"

#include <algorithm>

namespace havip::vrrp {

namespace {

// Addresses as addresses: a received IPv6 source carries a scope id a configured one lacks.
bool same(const boost::asio::ip::address& a, const boost::asio::ip::address& b) {
    if (a.is_v4() != b.is_v4()) return false;
    return a.is_v4() ? a == b : a.to_v6().to_bytes() == b.to_v6().to_bytes();
}

}  // namespace

std::vector<std::size_t> advert_receivers(std::span<const Receiver> receivers, std::uint8_t vrid,
                                          const boost::asio::ip::address& source) {
    std::vector<std::size_t> out, unicast;
    for (std::size_t i = 0; i < receivers.size(); ++i) {
        if (receivers[i].vrid != vrid) continue;
        (receivers[i].unicast ? unicast : out).push_back(i);
    }
    if (unicast.size() <= 1) {
        out.insert(out.end(), unicast.begin(), unicast.end());
        return out;
    }
    const auto last = std::find_if(unicast.begin(), unicast.end(), [&](std::size_t i) {
        return receivers[i].last_source && same(*receivers[i].last_source, source);
    });
    const auto peer =
        last != unicast.end()
            ? last
            : std::find_if(unicast.begin(), unicast.end(), [&](std::size_t i) {
                  return std::any_of(receivers[i].peers.begin(), receivers[i].peers.end(),
                                     [&](const auto& p) { return same(p, source); });
              });
    if (peer != unicast.end()) out.push_back(*peer);
    return out;
}

}  // namespace havip::vrrp
