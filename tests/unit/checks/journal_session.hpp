// Fake SQL sessions for the database steps (promote's fence, switchover): every statement is
// journaled as "<who>: <sql>" in one journal, so the order across both servers is visible;
// answers are scripted per session, in order (an unscripted statement answers with no rows).
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "checks/mysql_actions.hpp"
#include "checks/mysql_client.hpp"

namespace havip::checks {

using ReplicaRows = std::vector<ReplicaRow>;
using Answer = std::variant<ReplicaRows, SqlError>;

// Sends are journaled as "<who>: <sql>"; answers are scripted per session, in order (an
// unscripted statement answers with no rows).
class JournalSession : public SqlSession {
  public:
    JournalSession(std::string who, std::vector<std::string>& journal)
        : who_{std::move(who)}, journal_{journal} {}
    std::deque<Answer> answers;
    bool is_mariadb() const override { return true; }
    Answer query(const std::string& sql) override {
        journal_.push_back(fmt::format("{}: {}", who_, sql));
        if (answers.empty()) return std::vector<ReplicaRow>{};
        auto a = answers.front();
        answers.pop_front();
        return a;
    }

  private:
    std::string who_;
    std::vector<std::string>& journal_;
};

// The test's view of the peer: its scripted answers, the connects asked for, or a refusal.
struct Peer {
    std::vector<std::string>& journal;
    std::deque<Answer> answers;
    std::optional<SqlError> refuse;
    std::vector<std::string> connects;  // "host:port"

    PeerConnector connector() {
        return [this](const std::string& host, unsigned port) -> PeerSession {
            connects.push_back(fmt::format("{}:{}", host, port));
            if (refuse) return *refuse;
            auto s = std::make_unique<JournalSession>("peer", journal);
            s->answers = answers;
            return std::unique_ptr<SqlSession>(std::move(s));
        };
    }
};

}  // namespace havip::checks
