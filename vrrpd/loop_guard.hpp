// The daemon's last line against its own defects: an exception escaping a handler on the loop.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

#include <boost/asio/io_context.hpp>

namespace havip::vrrp {

// Runs `io` until it has no work left. An exception escaping a handler is a defect, but it must
// not end the daemon with its VIPs still up and its peer waiting three adverts before taking
// over (issue 17, item 10): each one is handed to `on_escape(what)`, whose answer is the graceful
// stop (priority 0, VIPs removed, notify_stop), and the loop runs on until that stop is done.
// After `limit` escapes the loop is given up. Returns how many escaped (0: a clean end).
std::size_t run_guarded(boost::asio::io_context& io,
                        const std::function<void(std::string_view what)>& on_escape,
                        std::size_t limit = 16);

}  // namespace havip::vrrp
