#include "vrrpd/loop_guard.hpp"

#include <exception>

namespace havip::vrrp {

std::size_t run_guarded(boost::asio::io_context& io,
                        const std::function<void(std::string_view what)>& on_escape,
                        std::size_t limit) {
    std::size_t escaped = 0;
    for (;;) {
        try {
            io.run();
            return escaped;
        } catch (const std::exception& e) {
            ++escaped;
            on_escape(e.what());
        } catch (...) {
            ++escaped;
            on_escape("an exception of unknown type");
        }
        if (escaped >= limit) return escaped;
        io.restart();
    }
}

}  // namespace havip::vrrp
