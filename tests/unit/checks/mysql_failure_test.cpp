#include "checks/mysql_failure.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "checks/mysql_client.hpp"

namespace havip::checks {
namespace {

Snapshot connect_failed(unsigned code, Transport transport, int connect_errno) {
    Snapshot s;
    s.outcome = ProbeOutcome::connect_failed;
    s.error_code = code;
    s.transport = transport;
    s.connect_errno = connect_errno;
    return s;
}

TEST(MysqlFailure, missing_unix_socket_is_definitive) {
    auto c = classify_failure(connect_failed(2002, Transport::unix_socket, ENOENT));
    EXPECT_TRUE(c.definitive);
    EXPECT_EQ(c.why, "the server's unix socket is gone");
}

TEST(MysqlFailure, refused_unix_socket_is_definitive) {
    auto c = classify_failure(connect_failed(2002, Transport::unix_socket, ECONNREFUSED));
    EXPECT_TRUE(c.definitive);
    EXPECT_EQ(c.why, "nothing listens on the server's unix socket");
}

TEST(MysqlFailure, refused_reconnect_after_the_held_connection_closed_says_both) {
    auto s = connect_failed(2002, Transport::unix_socket, ECONNREFUSED);
    s.held_connection_lost = true;
    auto c = classify_failure(s);
    EXPECT_TRUE(c.definitive);
    EXPECT_EQ(c.why, "the held connection closed and nothing listens on the server's unix socket");
}

TEST(MysqlFailure, refused_tcp_on_loopback_is_definitive) {
    EXPECT_TRUE(classify_failure(connect_failed(2002, Transport::tcp_loopback, ECONNREFUSED))
                    .definitive);
    EXPECT_TRUE(classify_failure(connect_failed(2003, Transport::tcp_loopback, ECONNREFUSED))
                    .definitive);
}

TEST(MysqlFailure, refused_tcp_to_a_remote_host_is_ambiguous) {
    EXPECT_FALSE(
        classify_failure(connect_failed(2002, Transport::tcp_remote, ECONNREFUSED)).definitive);
}

TEST(MysqlFailure, a_socket_that_accepts_again_or_is_only_full_is_ambiguous) {
    // The server came back between the library's connect and ours, or its backlog is full.
    EXPECT_FALSE(classify_failure(connect_failed(2002, Transport::unix_socket, 0)).definitive);
    EXPECT_FALSE(classify_failure(connect_failed(2002, Transport::unix_socket, EAGAIN)).definitive);
    // A socket we may not open is a configuration fault, not a dead server.
    EXPECT_FALSE(classify_failure(connect_failed(2002, Transport::unix_socket, EACCES)).definitive);
    EXPECT_FALSE(
        classify_failure(connect_failed(2002, Transport::tcp_loopback, ETIMEDOUT)).definitive);
}

TEST(MysqlFailure, timeouts_lost_connections_and_full_servers_are_ambiguous) {
    Snapshot timed_out;
    timed_out.outcome = ProbeOutcome::timed_out;
    EXPECT_FALSE(classify_failure(timed_out).definitive);
    // EOF on the held connection alone: the reconnect decides.
    Snapshot lost;
    lost.outcome = ProbeOutcome::query_failed;
    lost.error_code = 2013;
    lost.connect_errno = ECONNREFUSED;
    EXPECT_FALSE(classify_failure(lost).definitive);
    // 1040 too many connections: alive.
    EXPECT_FALSE(classify_failure(connect_failed(1040, Transport::unix_socket, 0)).definitive);
    // A handshake lost after the connect was accepted.
    EXPECT_FALSE(
        classify_failure(connect_failed(2013, Transport::unix_socket, ECONNREFUSED)).definitive);
    EXPECT_FALSE(classify_failure(Snapshot{}).definitive);
}

TEST(MysqlFailure, transport_follows_socket_then_host_address) {
    EXPECT_EQ(transport_of("/run/mysqld/mysqld.sock", "10.0.0.1"), Transport::unix_socket);
    EXPECT_EQ(transport_of("", "127.0.0.1"), Transport::tcp_loopback);
    EXPECT_EQ(transport_of("", "127.3.2.1"), Transport::tcp_loopback);
    EXPECT_EQ(transport_of("", "::1"), Transport::tcp_loopback);
    EXPECT_EQ(transport_of("", "::ffff:127.0.0.1"), Transport::tcp_loopback);
    EXPECT_EQ(transport_of("", "10.0.0.1"), Transport::tcp_remote);
    EXPECT_EQ(transport_of("", "fd00::1"), Transport::tcp_remote);
    EXPECT_EQ(transport_of("", "128.0.0.1"), Transport::tcp_remote);
}

TEST(MysqlFailure, only_a_definitive_down_reaches_the_tracker_as_gone) {
    const FailureClass definitive{true, "gone"};
    EXPECT_EQ(track_outcome(Status::down, definitive), vrrp::Outcome::gone);
    EXPECT_EQ(track_outcome(Status::down, {}), vrrp::Outcome::down);
    EXPECT_EQ(track_outcome(Status::unsafe, definitive), vrrp::Outcome::unsafe);
    EXPECT_EQ(track_outcome(Status::healthy, {}), vrrp::Outcome::ok);
    EXPECT_EQ(track_outcome(Status::degraded, {}), vrrp::Outcome::degraded);
}

// connect_errno asks the kernel, over local sockets only (a scratch directory, loopback).
TEST(MysqlFailure, connect_errno_reports_what_the_kernel_answered) {
    using namespace std::chrono_literals;
    const auto dir = std::filesystem::path(HAVIP_BINARY_DIR) / "checks-scratch";
    std::filesystem::create_directories(dir);
    const auto path = (dir / fmt::format("{}-errno.sock", ::getpid())).string();
    std::filesystem::remove(path);
    ConnectSettings unix_socket;
    unix_socket.unix_socket = path;
    EXPECT_EQ(connect_errno(unix_socket, 200ms), ENOENT);

    // Bound but not listening: what a killed mysqld leaves behind.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path.copy(address.sun_path, path.size());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(connect_errno(unix_socket, 200ms), ECONNREFUSED);
    ASSERT_EQ(::listen(fd, 1), 0);
    EXPECT_EQ(connect_errno(unix_socket, 200ms), 0);
    ::close(fd);
    std::filesystem::remove(path);

    // A loopback port nobody listens on: a port just bound and released.
    const int tcp = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(tcp, 0);
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(tcp, reinterpret_cast<sockaddr*>(&in), sizeof in), 0);
    socklen_t length = sizeof in;
    ASSERT_EQ(::getsockname(tcp, reinterpret_cast<sockaddr*>(&in), &length), 0);
    ConnectSettings loopback;
    loopback.host = "127.0.0.1";
    loopback.port = ntohs(in.sin_port);
    EXPECT_EQ(connect_errno(loopback, 200ms), ECONNREFUSED);
    ::close(tcp);
}

}  // namespace
}  // namespace havip::checks
