// The Prometheus listener on a running havipd (issue 5 item 5): `havip_metrics_listen` in
// global_defs opens it in the node's namespace; a scrape shows the instance as MASTER with its
// priority and advert counters; other paths get 404; a client that connects and never sends
// does not hold up another scrape, and it is dropped at the deadline.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <chrono>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/netns_socket.hpp"
#include "tests/harness/product.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/wait.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int metrics_port = 9650;

// A TCP connection from inside `ns` to 10.77.0.1:9650, or -1.
int connect_metrics(const std::string& ns) {
    const int fd = open_socket_in(ns, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(metrics_port);
    ::inet_pton(AF_INET, "10.77.0.1", &addr.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Everything the peer sends until it closes, or until `timeout`.
std::string read_all(int fd, std::chrono::milliseconds timeout) {
    std::string out;
    const auto end = Clock::now() + timeout;
    char buffer[4096];
    while (Clock::now() < end) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        const auto n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
}

struct Scrape {
    std::string response;
    std::chrono::milliseconds took{0};
};

Scrape http_get(const std::string& ns, std::string_view path) {
    const auto start = Clock::now();
    const int fd = connect_metrics(ns);
    if (fd < 0) return {};
    const auto request = fmt::format("GET {} HTTP/1.1\r\nHost: 10.77.0.1\r\n\r\n", path);
    [[maybe_unused]] auto n = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    Scrape s;
    s.response = read_all(fd, 3s);
    s.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    ::close(fd);
    return s;
}

// The value of the first sample line starting with `series` (name and labels), or -1.
double sample(const std::string& text, const std::string& series) {
    const auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 2));
}

class MetricsListenerTest : public LabTest {
  protected:
    void start() {
        ASSERT_TRUE(lab().add_node("a"));
        ASSERT_TRUE(lab().add_address("a", "10.77.0.1/24"));
        KeepalivedConfig config;
        config.router_id = "a";
        config.global_extra_lines = {
            fmt::format("havip_metrics_listen 10.77.0.1:{}", metrics_port)};
        VrrpInstanceSpec spec;
        spec.vrid = 71;
        spec.priority = 150;
        spec.version = 3;
        spec.advert_int = 100ms;
        spec.vips = {"10.77.0.100/24"};
        config.instances = {spec};
        daemon_ = start_vrrp_daemon(lab(), "a", havipd(havipd_path()), config);
        ASSERT_TRUE(daemon_.wait_for_state("VI_1", "MASTER", 3s));
    }
    std::string ns() { return lab().ns("a"); }
    RunningDaemon daemon_;
};

TEST_F(MetricsListenerTest, scrape_shows_master_state_priority_and_advert_counters) {
    ASSERT_NO_FATAL_FAILURE(start());
    const auto s = http_get(ns(), "/metrics");
    ASSERT_TRUE(s.response.starts_with("HTTP/1.1 200 OK\r\n")) << s.response;
    EXPECT_NE(s.response.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
    const auto body = s.response.substr(s.response.find("\r\n\r\n") + 3);
    const std::string labels = R"({instance="VI_1",vrid="71",interface="eth0")";
    EXPECT_EQ(sample(body, "havip_vrrp_state" + labels + R"(,state="MASTER"})"), 1) << body;
    EXPECT_EQ(sample(body, "havip_vrrp_state" + labels + R"(,state="BACKUP"})"), 0);
    EXPECT_EQ(sample(body, "havip_vrrp_priority" + labels + "}"), 150);
    EXPECT_EQ(sample(body, "havip_vrrp_effective_priority" + labels + "}"), 150);
    EXPECT_EQ(sample(body, "havip_vrrp_become_master_total" + labels + "}"), 1);
    EXPECT_GE(sample(body, "havip_vrrp_adverts_sent_total" + labels + "}"), 1);
    EXPECT_EQ(
        sample(body, R"(havip_check_status{check="interface eth0",type="interface",status="ok"})"),
        1)
        << body;
    // Adverts keep leaving: a later scrape counts more.
    const double sent = sample(body, "havip_vrrp_adverts_sent_total" + labels + "}");
    std::this_thread::sleep_for(300ms);
    const auto later = http_get(ns(), "/metrics").response;
    EXPECT_GT(sample(later.substr(later.find("\r\n\r\n") + 3),
                     "havip_vrrp_adverts_sent_total" + labels + "}"),
              sent);
}

TEST_F(MetricsListenerTest, other_paths_get_404) {
    ASSERT_NO_FATAL_FAILURE(start());
    const auto s = http_get(ns(), "/");
    EXPECT_TRUE(s.response.starts_with("HTTP/1.1 404 Not Found\r\n")) << s.response;
}

TEST_F(MetricsListenerTest, a_client_that_never_sends_does_not_block_a_scrape_and_is_dropped) {
    ASSERT_NO_FATAL_FAILURE(start());
    const int silent = connect_metrics(ns());
    ASSERT_GE(silent, 0);
    const auto s = http_get(ns(), "/metrics");
    EXPECT_TRUE(s.response.starts_with("HTTP/1.1 200 OK\r\n")) << s.response;
    EXPECT_LT(s.took, 500ms) << "the scrape waited behind the silent client";
    // The daemon's 2 s deadline closes the silent connection: we read its end of file.
    const auto start = Clock::now();
    const auto rest = read_all(silent, 4s);
    const auto waited = Clock::now() - start;
    ::close(silent);
    EXPECT_EQ(rest, "");
    EXPECT_LT(waited, 3500ms) << "the silent client was never dropped";
    // Adverts were not disturbed: still MASTER, still one transition.
    EXPECT_EQ(daemon_.state_changes("VI_1"), 2u) << "INIT -> BACKUP -> MASTER only";
}

}  // namespace
}  // namespace havip::test
