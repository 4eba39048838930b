// The request socket's exchange: bounded by its timeout, and never confused by the reply to
// an earlier request.
#include "netlink/socket.hpp"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <chrono>

#include "tests/netns/netlink/netns_fixture.hpp"

namespace havip::netlink {
namespace {

class SocketTest : public testing::NetnsTest {};

TEST_F(SocketTest, a_reply_that_never_comes_times_out_instead_of_hanging) {
    auto sock = Socket::open(0, false);
    ASSERT_TRUE(sock);
    ASSERT_FALSE(sock->set_receive_timeout(std::chrono::milliseconds{200}));
    // GETLINK without NLM_F_ACK: the kernel sends the link and nothing after it, so an
    // exchange waiting for the acknowledgement waits like one whose ack was lost.
    auto request = build_get_link(1);
    static_cast<nlmsghdr*>(static_cast<void*>(request.data()))->nlmsg_flags = NLM_F_REQUEST;
    int data_messages = 0;
    const auto start = std::chrono::steady_clock::now();
    const auto error = sock->exchange(request, [&](const nlmsghdr*) { ++data_messages; });
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(error, std::errc::timed_out);
    EXPECT_EQ(data_messages, 1);
    EXPECT_GE(waited, std::chrono::milliseconds{150});
    EXPECT_LT(waited, std::chrono::seconds{2});
}

TEST_F(SocketTest, the_reply_to_an_earlier_request_is_skipped) {
    auto sock = Socket::open(0, false);
    ASSERT_TRUE(sock);
    ASSERT_FALSE(sock->set_receive_timeout(std::chrono::seconds{1}));
    // An earlier request (sequence 999) about an interface that does not exist: its ENODEV
    // reply sits in the socket when the next exchange starts.
    auto stale = build_get_link(4242);
    auto* nlh = static_cast<nlmsghdr*>(static_cast<void*>(stale.data()));
    nlh->nlmsg_seq = 999;
    ASSERT_EQ(::send(sock->fd(), stale.data(), stale.size(), 0),
              static_cast<ssize_t>(stale.size()));

    std::optional<LinkInfo> lo;
    const auto error = sock->exchange(build_get_link(1), [&](const nlmsghdr* msg) {
        if (auto link = parse_link(msg)) lo = link;
    });
    EXPECT_FALSE(error) << error.message();
    ASSERT_TRUE(lo);
    EXPECT_EQ(lo->name, "lo");
}

TEST_F(SocketTest, a_kernel_error_is_returned_as_its_errno) {
    auto sock = Socket::open(0, false);
    ASSERT_TRUE(sock);
    const auto error = sock->exchange(build_get_link(4242), [](const nlmsghdr*) {});
    EXPECT_EQ(error, std::errc::no_such_device);
}

}  // namespace
}  // namespace havip::netlink
