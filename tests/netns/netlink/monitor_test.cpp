// Monitor against a real kernel: link and address events as `ip` causes them, and the
// Resync after a receive-buffer overflow.
#include "netlink/monitor.hpp"

#include <fcntl.h>
#include <poll.h>

#include <chrono>
#include <functional>

#include "netlink/rtnl_client.hpp"
#include "tests/netns/netlink/netns_fixture.hpp"

namespace havip::netlink {
namespace {

using boost::asio::ip::make_address;

class MonitorTest : public testing::NetnsTest {
  protected:
    void SetUp() override {
        NetnsTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        va_ = index_of("va");
        ASSERT_GT(va_, 0);
    }

    // Reads events until one satisfies `wanted` or two seconds pass; returns all read.
    static std::vector<Event> read_until(Monitor& monitor,
                                         const std::function<bool(const Event&)>& wanted) {
        std::vector<Event> all;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{2};
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd pfd{monitor.fd(), POLLIN, 0};
            if (::poll(&pfd, 1, 100) <= 0) continue;
            for (auto& event : monitor.read_ready()) {
                const bool match = wanted(event);
                all.push_back(std::move(event));
                if (match) return all;
            }
        }
        return all;
    }

    static bool found(const std::vector<Event>& events,
                      const std::function<bool(const Event&)>& wanted) {
        return std::any_of(events.begin(), events.end(), wanted);
    }

    int va_ = 0;
};

TEST_F(MonitorTest, reports_link_down_up_and_carrier_changes) {
    auto monitor = Monitor::open();
    ASSERT_TRUE(monitor) << monitor.error().message();
    auto& m = monitor.value();
    const auto va_state = [this](bool up, bool running) {
        return [=, this](const Event& e) {
            const auto* c = std::get_if<LinkChanged>(&e);
            return c != nullptr && c->link.ifindex == va_ && c->link.name == "va" &&
                   c->link.up() == up && c->link.running() == running;
        };
    };

    sh("ip link set vb up");
    sh("ip link set va up");
    EXPECT_TRUE(found(read_until(m, va_state(true, true)), va_state(true, true)));
    sh("ip link set vb down");  // va loses its carrier but stays administratively up
    EXPECT_TRUE(found(read_until(m, va_state(true, false)), va_state(true, false)));
    sh("ip link set va down");
    EXPECT_TRUE(found(read_until(m, va_state(false, false)), va_state(false, false)));
}

TEST_F(MonitorTest, reports_addresses_added_and_deleted_by_ip) {
    auto monitor = Monitor::open();
    ASSERT_TRUE(monitor);
    const auto v4 = make_address("10.8.0.1");
    const auto added = [&](const Event& e) {
        const auto* a = std::get_if<AddressAdded>(&e);
        return a != nullptr && a->address.ifindex == va_ && a->address.address == v4 &&
               a->address.prefix_len == 24;
    };
    const auto removed = [&](const Event& e) {
        const auto* a = std::get_if<AddressRemoved>(&e);
        return a != nullptr && a->address.ifindex == va_ && a->address.address == v4 &&
               a->address.prefix_len == 24;
    };
    sh("ip addr add 10.8.0.1/24 dev va");
    EXPECT_TRUE(found(read_until(monitor.value(), added), added));
    sh("ip addr del 10.8.0.1/24 dev va");
    EXPECT_TRUE(found(read_until(monitor.value(), removed), removed));

    const auto v6 = make_address("fd00::8");
    const auto removed6 = [&](const Event& e) {
        const auto* a = std::get_if<AddressRemoved>(&e);
        return a != nullptr && a->address.address == v6 && a->address.prefix_len == 64;
    };
    sh("ip addr add fd00::8/64 dev va nodad");
    sh("ip addr del fd00::8/64 dev va");
    EXPECT_TRUE(found(read_until(monitor.value(), removed6), removed6));
}

TEST_F(MonitorTest, reports_a_deleted_interface) {
    auto monitor = Monitor::open();
    ASSERT_TRUE(monitor);
    const auto gone = [&](const Event& e) {
        const auto* r = std::get_if<LinkRemoved>(&e);
        return r != nullptr && r->ifindex == va_ && r->name == "va";
    };
    sh("ip link del va");
    EXPECT_TRUE(found(read_until(monitor.value(), gone), gone));
}

TEST_F(MonitorTest, read_ready_on_an_idle_socket_returns_at_once_with_nothing) {
    auto monitor = Monitor::open();
    ASSERT_TRUE(monitor);
    EXPECT_TRUE((::fcntl(monitor->fd(), F_GETFL) & O_NONBLOCK) != 0);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(monitor.value().read_ready().empty());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds{500});
}

TEST_F(MonitorTest, overflow_yields_resync_and_a_dump_shows_the_true_state) {
    // The smallest buffer the kernel allows holds a handful of notifications.
    auto monitor = Monitor::open(1);
    ASSERT_TRUE(monitor) << monitor.error().message();
    auto client = RtnlClient::open();
    ASSERT_TRUE(client);
    sh("ip link set va up");

    constexpr int flood = 300;
    for (int i = 0; i < flood; ++i) {
        Vip v;
        v.address = boost::asio::ip::make_address_v4(0x0a090000u + static_cast<unsigned>(i) + 1);
        v.prefix_len = 32;
        v.ifindex = va_;
        ASSERT_TRUE(client->add(v)) << i;
    }
    std::vector<Event> events;
    for (;;) {
        auto batch = monitor.value().read_ready();
        if (batch.empty()) break;
        events.insert(events.end(), batch.begin(), batch.end());
    }
    ASSERT_FALSE(events.empty());
    EXPECT_TRUE(std::holds_alternative<Resync>(events.back()));
    const auto added = std::count_if(events.begin(), events.end(), [](const Event& e) {
        return std::holds_alternative<AddressAdded>(e);
    });
    EXPECT_LT(added, flood) << "no notification was lost, so the test proved nothing";

    auto dump = client->dump_addresses();
    ASSERT_TRUE(dump) << dump.error().message();
    const auto in_dump = std::count_if(dump->begin(), dump->end(), [&](const AddressInfo& a) {
        return a.ifindex == va_ && a.address.is_v4() && a.prefix_len == 32 &&
               (a.address.to_v4().to_uint() >> 16) == 0x0a09;
    });
    EXPECT_EQ(in_dump, flood);

    // After the overflow the monitor goes on reporting.
    sh("ip addr del 10.9.0.1/32 dev va");
    const auto removed = [&](const Event& e) {
        const auto* a = std::get_if<AddressRemoved>(&e);
        return a != nullptr && a->address.address == make_address("10.9.0.1");
    };
    EXPECT_TRUE(found(read_until(monitor.value(), removed), removed));
}

}  // namespace
}  // namespace havip::netlink
