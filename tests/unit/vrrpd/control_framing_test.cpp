// The control protocol's framing (vrrpd/control_framing.hpp): lines out of bytes received in
// any pieces, within a bound; and the daemon's session, which frames requests with asio's
// read_until on a bounded streambuf, held to the same answers.
#include "vrrpd/control_framing.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <istream>
#include <string>
#include <vector>

namespace havip::vrrp {
namespace {

using namespace std::string_literals;

// How a stream ended for a reader: every line it yields, and whether the rest was too long.
struct Framed {
    std::vector<std::string> lines;
    bool too_long = false;
    bool operator==(const Framed&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Framed& f) {
    os << "{";
    for (const auto& l : f.lines)
        os << '"' << l << "\" ";
    return os << (f.too_long ? "too long}" : "end}");
}

// Through a LineFramer, fed `piece` bytes at a time.
Framed framer(std::string_view input, std::size_t max_line, std::size_t piece = 1) {
    LineFramer f(max_line);
    Framed out;
    for (std::size_t at = 0; at < input.size(); at += piece) {
        f.feed(input.substr(at, piece));
        while (auto line = f.next())
            out.lines.push_back(*line);
    }
    out.too_long = f.too_long();
    return out;
}

// As the daemon's session reads requests: async_read_until's rule (here its blocking form) on
// a streambuf of max_size max_line, then std::getline, over a real socket.
Framed session(const std::string& input, std::size_t max_line) {
    boost::asio::io_context io;
    boost::asio::local::stream_protocol::socket client(io), daemon(io);
    boost::asio::local::connect_pair(client, daemon);
    boost::asio::write(client, boost::asio::buffer(input));
    client.shutdown(boost::asio::socket_base::shutdown_send);
    boost::asio::streambuf input_buffer(max_line);
    Framed out;
    for (;;) {
        boost::system::error_code ec;
        boost::asio::read_until(daemon, input_buffer, '\n', ec);
        if (ec) {
            out.too_long = ec == boost::asio::error::not_found;
            return out;
        }
        std::string line;
        std::istream in(&input_buffer);
        std::getline(in, line);
        out.lines.push_back(line);
    }
}

TEST(ControlFraming, lines_come_out_whole_and_in_order_whatever_the_pieces) {
    const std::string input = "{\"command\":\"status\"}\n\n{\"version\":1}\nrest";
    const Framed expected{{"{\"command\":\"status\"}", "", "{\"version\":1}"}, false};
    for (std::size_t piece : {1, 2, 3, 7, 64})
        EXPECT_EQ(framer(input, 4096, piece), expected) << "pieces of " << piece;
}

TEST(ControlFraming, several_requests_in_one_segment_are_each_a_line) {
    LineFramer f(4096);
    f.feed("a\nb\nc");
    EXPECT_EQ(f.next(), "a");
    EXPECT_EQ(f.next(), "b");
    EXPECT_EQ(f.next(), std::nullopt);
    EXPECT_EQ(f.pending(), 1u);
    f.feed("\n");
    EXPECT_EQ(f.next(), "c");
    EXPECT_EQ(f.pending(), 0u);
}

// The bound counts the '\n': a line of max_line bytes with it is taken, one more is too long,
// and so are max_line bytes without a '\n' (no more can make it a line).
TEST(ControlFraming, the_bound_counts_the_newline) {
    EXPECT_EQ(framer("1234567\n", 8), (Framed{{"1234567"}, false}));
    EXPECT_EQ(framer("12345678\n", 8), (Framed{{}, true}));
    EXPECT_EQ(framer("12345678", 8), (Framed{{}, true}));
    EXPECT_EQ(framer("1234567", 8), (Framed{{}, false}));
    EXPECT_EQ(framer("\n", 1), (Framed{{""}, false}));
    EXPECT_EQ(framer("x", 1), (Framed{{}, true}));
}

TEST(ControlFraming, lines_before_an_overlong_one_come_out_and_nothing_after_it) {
    EXPECT_EQ(framer("ab\ncdefgh\nij\n", 4), (Framed{{"ab"}, true}));
    LineFramer f(4);
    f.feed("abcd");
    EXPECT_EQ(f.next(), std::nullopt);
    ASSERT_TRUE(f.too_long());
    f.feed("\nok\n");
    EXPECT_EQ(f.next(), std::nullopt);
    EXPECT_EQ(f.pending(), 0u) << "what follows is not kept";
}

// Bytes are bytes: a '\r' before the '\n' and a NUL inside stay in the line (JSON reads the
// first as white space and refuses the second).
TEST(ControlFraming, carriage_returns_and_nul_stay_in_the_line) {
    EXPECT_EQ(framer("a\0b\r\n"s, 16), (Framed{{"a\0b\r"s}, false}));
}

TEST(ControlFraming, bytes_without_a_newline_before_the_end_are_no_line) {
    LineFramer f(16);
    f.feed("{\"command\":");
    EXPECT_EQ(f.next(), std::nullopt);
    EXPECT_FALSE(f.too_long());
    EXPECT_EQ(f.pending(), 11u);
}

// The session keeps asio::async_read_until on a streambuf of max_size max_request: LineFramer
// is its rule, so the two must frame every stream alike.
TEST(ControlFraming, the_sessions_read_until_frames_as_line_framer) {
    const std::vector<std::pair<std::string, std::size_t>> cases = {
        {"{\"command\":\"status\"}\n", 4096},
        {"a\nb\nc\n", 4096},
        {"a\nb\nc", 4096},
        {"1234567\n", 8},
        {"12345678\n", 8},
        {"12345678", 8},
        {"ab\ncdefgh\nij\n", 4},
        {"abc\ndef\n", 4},
        {"\n\n\n", 1},
        {"a\0b\r\n\r\n"s, 16},
        {std::string(5000, 'x') + "\n", 4096},
        {std::string(4095, 'x') + "\n" + std::string(4095, 'y') + "\n", 4096},
        {"", 16},
    };
    for (const auto& [input, max] : cases)
        EXPECT_EQ(session(input, max), framer(input, max, 5))
            << input.substr(0, 40) << " / " << max;
}

}  // namespace
}  // namespace havip::vrrp
