#include "tests/harness/writer.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <sstream>
#include <thread>
#include <variant>

#include <fmt/format.h>
#include <mysql.h>

#include "checks/mysql_client.hpp"

namespace havip::test {

Writer::Writer(WriterSettings settings) : settings_(std::move(settings)) {}

Writer::~Writer() {
    stop();
}

void Writer::start() {
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void Writer::stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
}

std::vector<std::uint64_t> Writer::acked() const {
    std::lock_guard lock(mutex_);
    return acked_;
}

WriterFigures Writer::figures() const {
    std::lock_guard lock(mutex_);
    return figures_;
}

std::vector<WriterGap> Writer::gaps() const {
    std::lock_guard lock(mutex_);
    return gaps_;
}

std::string Writer::last_error() const {
    std::lock_guard lock(mutex_);
    return last_error_;
}

void Writer::run() {
    using Clock = std::chrono::steady_clock;
    // setns(CLONE_NEWNET) moves only this thread: its sockets are created inside the node.
    const std::string path = fmt::format("/run/netns/{}", settings_.netns);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
        std::lock_guard lock(mutex_);
        last_error_ = fmt::format("cannot enter {}", path);
        if (fd >= 0) ::close(fd);
        return;
    }
    ::close(fd);
    mysql_thread_init();
    {
        checks::ConnectSettings cs;
        cs.host = settings_.host;
        cs.port = settings_.port;
        cs.credentials = {settings_.user, settings_.password};
        // Whole seconds (Connector/C): a write to a dead or frozen holder fails within 1 s.
        cs.connect_timeout_s = cs.read_timeout_s = cs.write_timeout_s = 1;
        checks::MysqlConnection connection(cs);
        auto last_ack = Clock::now();
        bool failing = false;  // the last attempt failed
        for (std::uint64_t id = 1; !stopping_; ++id) {
            auto answer = connection.query(
                settings_.server_column.empty()
                    ? fmt::format("INSERT INTO {} (id) VALUES ({})", settings_.table, id)
                    : fmt::format("INSERT INTO {} (id, {}) VALUES ({}, @@server_id)",
                                  settings_.table, settings_.server_column, id));
            const auto now = Clock::now();
            const bool ok = std::holds_alternative<std::vector<checks::ReplicaRow>>(answer);
            failing = !ok;
            {
                std::lock_guard lock(mutex_);
                ++figures_.attempted;
                if (ok) {
                    acked_.push_back(id);
                    ++figures_.acked;
                    const auto gap =
                        std::chrono::duration_cast<std::chrono::milliseconds>(now - last_ack);
                    figures_.longest_gap = std::max(figures_.longest_gap, gap);
                    if (gap >= settings_.gap_threshold) gaps_.push_back({last_ack, now});
                    last_ack = now;
                } else {
                    ++figures_.errors;
                    last_error_ = std::get<checks::SqlError>(answer).describe();
                }
            }
            if (ok) {
                if (settings_.write_interval.count() > 0)
                    std::this_thread::sleep_until(now + settings_.write_interval);
                continue;
            }
            // Whatever the error (1290 read-only, 2013 lost, 2003 refused), start afresh: the
            // VIP may now lead to the other server.
            connection.close();
            std::this_thread::sleep_for(settings_.retry_pause);
        }
        connection.close();
        // A gap still open when the writer stops counts too (the VIP never came back).
        const auto gap =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - last_ack);
        std::lock_guard lock(mutex_);
        if (failing && gap >= settings_.gap_threshold) {
            figures_.longest_gap = std::max(figures_.longest_gap, gap);
            gaps_.push_back({last_ack, Clock::now()});
        }
    }
    mysql_thread_end();
}

std::vector<std::uint64_t> missing_ids(const std::vector<std::uint64_t>& acked,
                                       std::vector<std::uint64_t> present) {
    std::sort(present.begin(), present.end());
    std::vector<std::uint64_t> out;
    for (auto id : acked)
        if (!std::binary_search(present.begin(), present.end(), id)) out.push_back(id);
    return out;
}

std::vector<std::uint64_t> parse_ids(const std::string& text) {
    std::vector<std::uint64_t> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::uint64_t v = 0;
        auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), v);
        if (ec == std::errc{} && end == line.data() + line.size()) out.push_back(v);
    }
    return out;
}

}  // namespace havip::test
