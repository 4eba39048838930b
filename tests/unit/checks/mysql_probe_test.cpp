// MysqlProbe's lifetime against a loopback listener that accepts TCP but never sends the
// server's greeting, so the client library sits in its handshake until connect_timeout: the
// state of a probe whose server host stopped answering. Loopback only.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>

#include "checks/mysql_api.hpp"
#include "checks/mysql_probe.hpp"

namespace havip::checks {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct SilentListener {
    SilentListener() {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::listen(fd, 8) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
            return;
        port = ntohs(a.sin_port);
    }
    ~SilentListener() {
        if (fd >= 0) ::close(fd);
    }
    int fd = -1;
    unsigned port = 0;
};

// A reload replaces every probe from the event loop: that must not wait for a worker stuck in
// a connect (up to connect_timeout, whole seconds), or the watchdog kills the daemon.
TEST(MysqlProbeLifetime, destroying_a_probe_stuck_in_its_handshake_does_not_wait_for_it) {
    if (!mysql_api().loaded()) GTEST_SKIP() << "libmariadb is not installed";
    SilentListener server;
    ASSERT_NE(server.port, 0u);
    MysqlLibrary library;
    boost::asio::io_context io;
    ConnectSettings cs;
    cs.host = "127.0.0.1";
    cs.port = server.port;
    cs.credentials = {"nobody", "x"};
    cs.connect_timeout_s = cs.read_timeout_s = cs.write_timeout_s = 4;
    auto probe = std::make_unique<MysqlProbe>(io, cs);
    std::optional<Snapshot> got;
    probe->snapshot(150ms, [&](const Snapshot& s) { got = s; });
    const auto limit = Clock::now() + 3s;
    while (!got && Clock::now() < limit) {
        io.restart();
        io.run_for(10ms);
    }
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->outcome, ProbeOutcome::timed_out);
    // The step the job was in when its deadline passed (what tells a hung write or replica
    // status on the holder from a server that does not answer).
    EXPECT_EQ(got->step, ProbeStep::connect);

    const auto start = Clock::now();
    probe.reset();  // the worker is still in the handshake
    EXPECT_LT(Clock::now() - start, 500ms) << "the loop waited for the worker";
    io.restart();
    io.run_for(20ms);  // nothing of the gone probe runs
    // The library is not ended under the worker: it is waited for, within its own timeout.
    EXPECT_TRUE(wait_for_probe_workers(8s));
}

}  // namespace
}  // namespace havip::checks
