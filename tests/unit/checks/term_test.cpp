#include "checks/term.hpp"

#include <gtest/gtest.h>

namespace havip::checks {
namespace {

using namespace std::chrono_literals;
using Answer = std::variant<std::uint64_t, SqlError>;

const PeerAddress peer{"10.0.0.2", 3306};

TEST(PeerTerm, an_answered_term_is_recorded_and_logged_with_the_peer) {
    const auto got = peer_term_answer(true, Answer{std::uint64_t{4}}, 3s);
    EXPECT_EQ(got.term, 4u);
    EXPECT_EQ(got.error, "");
    EXPECT_EQ(describe(got, peer),
              "the data differ from the peer's: its term is 4 (10.0.0.2:3306)");
}

TEST(PeerTerm, a_job_that_did_not_complete_is_no_answer_whatever_it_left) {
    const auto got = peer_term_answer(false, Answer{std::uint64_t{4}}, 3s);
    EXPECT_EQ(got.term, std::nullopt) << "a worker past its deadline may have written anything";
    EXPECT_EQ(describe(got, peer),
              "the data differ from the peer's: cannot read its term (10.0.0.2:3306): no answer "
              "within 3 s");
}

TEST(PeerTerm, a_server_error_is_the_reason) {
    const auto got = peer_term_answer(true, Answer{SqlError{1045, "Access denied"}}, 3s);
    EXPECT_EQ(got.term, std::nullopt);
    EXPECT_EQ(got.error, (SqlError{1045, "Access denied"}.describe()));
}

TEST(PeerTerm, a_master_host_that_is_a_name_is_not_asked) {
    EXPECT_EQ(peer_term_unaskable(peer), std::nullopt);
    EXPECT_EQ(peer_term_unaskable({"::1", 3306}), std::nullopt);
    EXPECT_EQ(peer_term_unaskable({"db2.example", 3306}),
              "Master_Host db2.example is not an IP address (a name lookup could block)");
}

}  // namespace
}  // namespace havip::checks
