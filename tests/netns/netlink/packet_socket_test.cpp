// PacketSocket on a veth pair: frames built by vrrpd/core/announce leave va and arrive at vb
// unchanged; a full send buffer or a down link is an error value, never a block.
#include "vrrpd/packet_socket.hpp"

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <optional>

#include "netlink/rtnl_client.hpp"
#include "tests/netns/netlink/netns_fixture.hpp"
#include "vrrpd/core/announce.hpp"

namespace havip::vrrp {
namespace {

// A raw receiver for one ethertype on one interface.
class Capture {
  public:
    Capture(int ifindex, std::uint16_t ethertype) {
        fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ethertype));
        sockaddr_ll addr{};
        addr.sll_family = AF_PACKET;
        addr.sll_protocol = htons(ethertype);
        addr.sll_ifindex = ifindex;
        if (fd_ >= 0 &&
            ::bind(fd_, static_cast<sockaddr*>(static_cast<void*>(&addr)), sizeof(addr)) < 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    ~Capture() {
        if (fd_ >= 0) ::close(fd_);
    }
    Capture(const Capture&) = delete;
    Capture& operator=(const Capture&) = delete;
    bool ok() const { return fd_ >= 0; }

    // The next frame equal to `expected`, skipping others (the kernel's own DAD, MLD and
    // router solicitations share the ethertype), or the last frame seen after 2 s.
    std::optional<std::vector<std::uint8_t>> wait_for(const std::vector<std::uint8_t>& expected) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{2};
        std::optional<std::vector<std::uint8_t>> last;
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd pfd{fd_, POLLIN, 0};
            if (::poll(&pfd, 1, 100) <= 0) continue;
            std::vector<std::uint8_t> frame(2048);
            const ssize_t n = ::recv(fd_, frame.data(), frame.size(), 0);
            if (n < 0) continue;
            frame.resize(static_cast<std::size_t>(n));
            if (frame == expected) return frame;
            last = std::move(frame);
        }
        return last;
    }

  private:
    int fd_ = -1;
};

class PacketSocketTest : public netlink::testing::NetnsTest {
  protected:
    void SetUp() override {
        NetnsTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        sh("ip link set va up");
        sh("ip link set vb up");
        va_ = index_of("va");
        vb_ = index_of("vb");
        auto client = netlink::RtnlClient::open();
        ASSERT_TRUE(client);
        auto mac = client->mac(va_);
        ASSERT_TRUE(mac);
        mac_ = mac.value();
    }

    int va_ = 0;
    int vb_ = 0;
    MacAddress mac_{};
};

TEST_F(PacketSocketTest, gratuitous_arp_sent_on_va_arrives_unchanged_at_vb) {
    Capture capture(vb_, ETH_P_ARP);
    ASSERT_TRUE(capture.ok());
    PacketSocket sock;
    ASSERT_FALSE(sock.open(va_));
    const auto garp = gratuitous_arp(mac_, boost::asio::ip::make_address_v4("10.10.0.100"));
    ASSERT_FALSE(sock.send(garp));
    const auto received = capture.wait_for(garp);
    ASSERT_TRUE(received.has_value()) << "no ARP frame reached vb";
    EXPECT_EQ(*received, garp);
}

TEST_F(PacketSocketTest, unsolicited_na_sent_on_va_arrives_unchanged_at_vb) {
    Capture capture(vb_, ETH_P_IPV6);
    ASSERT_TRUE(capture.ok());
    PacketSocket sock;
    ASSERT_FALSE(sock.open(va_));
    const auto na = unsolicited_na(mac_, boost::asio::ip::make_address_v6("fd00::100"));
    ASSERT_FALSE(sock.send(na));
    const auto received = capture.wait_for(na);
    ASSERT_TRUE(received.has_value()) << "no IPv6 frame reached vb";
    EXPECT_EQ(*received, na);
}

TEST_F(PacketSocketTest, full_send_buffer_returns_try_again_instead_of_blocking) {
    // A token bucket of 8 kbit/s holds frames in the qdisc, so the socket's small send
    // buffer fills within a few frames.
    sh("tc qdisc add dev va root tbf rate 8kbit burst 1600 limit 1000000");
    PacketSocket sock;
    ASSERT_FALSE(sock.open(va_));
    const int small = 4096;
    ASSERT_EQ(::setsockopt(sock.fd(), SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
    const auto garp = gratuitous_arp(mac_, boost::asio::ip::make_address_v4("10.10.0.100"));
    int sent = 0;
    int dropped = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 2000; ++i) {
        const auto error = sock.send(garp);
        if (!error) {
            ++sent;
        } else {
            ASSERT_EQ(error, std::errc::resource_unavailable_try_again) << error.message();
            ++dropped;
        }
    }
    EXPECT_GT(sent, 0);
    EXPECT_GT(dropped, 0);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds{1});
}

TEST_F(PacketSocketTest, send_on_a_down_interface_is_an_error_value) {
    PacketSocket sock;
    ASSERT_FALSE(sock.open(va_));
    sh("ip link set va down");
    const auto error =
        sock.send(gratuitous_arp(mac_, boost::asio::ip::make_address_v4("10.10.0.100")));
    EXPECT_EQ(error, std::errc::network_down) << error.message();
}

TEST_F(PacketSocketTest, refuses_bad_use_without_touching_the_network) {
    PacketSocket closed;
    const std::vector<std::uint8_t> frame(60, 0);
    EXPECT_EQ(closed.send(frame), std::errc::bad_file_descriptor);
    EXPECT_EQ(closed.open(0), std::errc::no_such_device);
    EXPECT_TRUE(closed.open(4242));  // no such ifindex: bind fails with the kernel's errno
    EXPECT_FALSE(closed.is_open());

    PacketSocket sock;
    ASSERT_FALSE(sock.open(va_));
    EXPECT_EQ(sock.send(std::vector<std::uint8_t>(13, 0)), std::errc::invalid_argument);
    PacketSocket moved = std::move(sock);
    EXPECT_FALSE(sock.is_open());  // NOLINT(bugprone-use-after-move): the moved-from state
    EXPECT_TRUE(moved.is_open());
    EXPECT_EQ(moved.ifindex(), va_);
}

}  // namespace
}  // namespace havip::vrrp
