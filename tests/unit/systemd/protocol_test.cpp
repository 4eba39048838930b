// The notify and journal protocols havipd speaks itself, against their documentation and
// against libsystemd, the reference implementation: the same message must reach the socket
// byte for byte.
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <array>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "systemd/journal.hpp"
#include "systemd/notify.hpp"

namespace havip::systemd {
namespace {

using namespace std::chrono_literals;

TEST(JournalDatagram, plain_values_are_name_equals_value_lines) {
    const std::array<JournalField, 3> fields{
        {{"MESSAGE", "VI_1 entering MASTER"}, {"PRIORITY", "6"}, {"HAVIP_VRID", "51"}}};
    EXPECT_EQ(journal_datagram(fields),
              "MESSAGE=VI_1 entering MASTER\nPRIORITY=6\nHAVIP_VRID=51\n");
}

TEST(JournalDatagram, a_value_with_a_newline_is_length_prefixed_little_endian) {
    const std::array<JournalField, 2> fields{{{"MESSAGE", "two\nlines"}, {"PRIORITY", "3"}}};
    const std::string expected = std::string("MESSAGE\n") + std::string("\x09\0\0\0\0\0\0\0", 8) +
                                 "two\nlines\n" + "PRIORITY=3\n";
    EXPECT_EQ(journal_datagram(fields), expected);
}

TEST(JournalDatagram, empty_value_keeps_the_field) {
    const std::array<JournalField, 1> fields{{{"HAVIP_CHECK", ""}}};
    EXPECT_EQ(journal_datagram(fields), "HAVIP_CHECK=\n");
}

// journald stalled (its queue full, as under heavy I/O): an entry is dropped at once, never
// waited for, since the same thread sends the adverts. The sending socket has a 2 s send
// timeout here, so a blocking send would show as a 2 s wait rather than a hang.
TEST(JournalEntry, a_journald_that_does_not_read_never_makes_the_sender_wait) {
    const auto path = fmt::format("{}/havip-journal-{}.sock", HAVIP_BINARY_DIR, ::getpid());
    ::unlink(path.c_str());
    const int journald = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    ASSERT_EQ(::bind(journald, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    timeval two_seconds{2, 0};
    ASSERT_EQ(::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &two_seconds, sizeof two_seconds), 0);
    const std::string message(512, 'x');  // outlives the fields, which only view it
    const std::array<JournalField, 1> fields{{{"MESSAGE", message}}};
    const auto datagram = journal_datagram(fields);
    int sent = 0, dropped = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 200 && dropped < 3; ++i)
        (send_journal_entry(fd, datagram, path) ? sent : dropped)++;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
    EXPECT_GT(sent, 0);
    EXPECT_GT(dropped, 0) << "the receiver's queue never filled";
    ::close(fd);
    ::close(journald);
    ::unlink(path.c_str());
}

TEST(NotifySocket, path_and_abstract_names_parse_others_do_not) {
    auto path = parse_notify_socket("/run/systemd/notify");
    ASSERT_TRUE(path);
    EXPECT_STREQ(path->address.sun_path, "/run/systemd/notify");
    EXPECT_EQ(path->length, offsetof(sockaddr_un, sun_path) + 20);

    auto abstract = parse_notify_socket("@havip");
    ASSERT_TRUE(abstract);
    EXPECT_EQ(abstract->address.sun_path[0], '\0');
    EXPECT_EQ(std::string(abstract->address.sun_path + 1, 5), "havip");
    EXPECT_EQ(abstract->length, offsetof(sockaddr_un, sun_path) + 6);

    EXPECT_FALSE(parse_notify_socket(nullptr));
    EXPECT_FALSE(parse_notify_socket(""));
    EXPECT_FALSE(parse_notify_socket("@"));
    EXPECT_FALSE(parse_notify_socket("relative/path"));
    EXPECT_FALSE(parse_notify_socket("vsock:2:1234"));
    EXPECT_FALSE(parse_notify_socket(("/" + std::string(200, 'x')).c_str()));
}

TEST(Watchdog, half_of_watchdog_usec_only_for_the_named_process) {
    EXPECT_EQ(parse_watchdog("20000000", nullptr, 42), std::chrono::microseconds{10000000});
    EXPECT_EQ(parse_watchdog("20000000", "42", 42), std::chrono::microseconds{10000000});
    EXPECT_FALSE(parse_watchdog("20000000", "41", 42));  // meant for another process
    EXPECT_FALSE(parse_watchdog("0", nullptr, 42));
    EXPECT_FALSE(parse_watchdog("20s", nullptr, 42));
    EXPECT_FALSE(parse_watchdog(nullptr, nullptr, 42));
}

// An abstract datagram socket for NOTIFY_SOCKET, set in the environment while it lives.
class NotifyListener {
  public:
    NotifyListener() {
        name_ = fmt::format("havip-unit-notify-{}", ::getpid());
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::copy(name_.begin(), name_.end(), addr.sun_path + 1);
        bound_ =
            ::bind(fd_, reinterpret_cast<sockaddr*>(&addr),
                   static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name_.size())) == 0;
        ::setenv("NOTIFY_SOCKET", ("@" + name_).c_str(), 1);
    }
    ~NotifyListener() {
        ::unsetenv("NOTIFY_SOCKET");
        ::close(fd_);
    }
    bool bound() const { return bound_; }
    std::optional<std::string> receive() {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 1000) != 1) return std::nullopt;
        std::array<char, 4096> buffer{};
        const auto n = ::recv(fd_, buffer.data(), buffer.size(), 0);
        if (n < 0) return std::nullopt;
        return std::string(buffer.data(), static_cast<std::size_t>(n));
    }

  private:
    std::string name_;
    int fd_ = -1;
    bool bound_ = false;
};

TEST(Notifier, sends_what_libsystemd_sends) {
    NotifyListener listener;
    ASSERT_TRUE(listener.bound());
    Notifier notifier;

    ASSERT_GT(sd_notify(0, "READY=1\nSTATUS=1 instance: VI_1 MASTER"), 0);
    const auto reference = listener.receive();
    notifier.ready("1 instance: VI_1 MASTER");
    const auto ours = listener.receive();
    ASSERT_TRUE(reference);
    ASSERT_TRUE(ours);
    EXPECT_EQ(*ours, *reference);

    ASSERT_GT(sd_notify(0, "STOPPING=1"), 0);
    const auto stop_reference = listener.receive();
    notifier.stopping();
    EXPECT_EQ(listener.receive(), stop_reference);
}

TEST(Notifier, watchdog_is_silent_unless_enabled_and_nothing_is_sent_without_a_socket) {
    {
        NotifyListener listener;
        ASSERT_TRUE(listener.bound());
        ::unsetenv("WATCHDOG_USEC");
        Notifier notifier;
        EXPECT_FALSE(notifier.watchdog_interval());
        notifier.watchdog();
        notifier.status("after the watchdog");
        EXPECT_EQ(listener.receive(), "STATUS=after the watchdog");  // no WATCHDOG=1 before it

        ::setenv("WATCHDOG_USEC", "4000000", 1);
        Notifier watched;
        ::unsetenv("WATCHDOG_USEC");
        EXPECT_EQ(watched.watchdog_interval(), std::chrono::microseconds{2000000});
        watched.watchdog();
        EXPECT_EQ(listener.receive(), "WATCHDOG=1");
    }
    ::setenv("WATCHDOG_USEC", "4000000", 1);
    Notifier unsupervised;  // NOTIFY_SOCKET unset: no watchdog to ping
    ::unsetenv("WATCHDOG_USEC");
    EXPECT_FALSE(unsupervised.watchdog_interval());
}

}  // namespace
}  // namespace havip::systemd
