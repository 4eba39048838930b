#include "havip/rejoin.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <map>
#include <set>

#include <fmt/format.h>

#include "checks/gtid.hpp"

namespace havip::cli {
namespace {

std::string gtid_text(std::uint32_t domain, std::uint32_t server, std::uint64_t sequence) {
    return fmt::format("{}-{}-{}", domain, server, sequence);
}

struct Gtid {
    std::uint32_t domain = 0;
    std::uint32_t server = 0;
    std::uint64_t sequence = 0;
};

std::optional<Gtid> parse_gtid(std::string_view text) {
    auto one = checks::parse_mariadb_gtid_list(text);
    if (!one.value || one.value->size() != 1) return std::nullopt;
    const auto& [domain, g] = *one.value->begin();
    return Gtid{domain, g.server_id, g.sequence};
}

// An event header of mariadb-binlog's output:
// "#261206  2:50:01 server id 1  end_log_pos 1234 CRC32 0x…\tGTID 0-1-102 trans".
bool is_header(std::string_view line) {
    return !line.empty() && line.front() == '#' &&
           line.find(" server id ") != std::string_view::npos &&
           line.find("end_log_pos") != std::string_view::npos;
}

// Calls f with each line of text, without its newline.
template <typename F>
void each_line(std::string_view text, F&& f) {
    std::size_t at = 0;
    while (at < text.size()) {
        auto end = text.find('\n', at);
        if (end == std::string_view::npos) end = text.size();
        f(text.substr(at, end - at));
        at = end + 1;
    }
}

std::string utc(std::chrono::system_clock::time_point now, const char* format) {
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char text[64] = {};
    std::strftime(text, sizeof text, format, &tm);
    return text;
}

}  // namespace

RejoinPlan plan_rejoin(const NodeTarget& local, const NodeTarget& authority,
                       const RejoinFacts& facts) {
    RejoinPlan plan;
    const ServerFacts& l = facts.local;
    const ServerFacts& a = facts.authority;
    auto refuse = [&](const NodeTarget& node, const std::string& why) {
        plan.errors.push_back(
            fmt::format("{}: refusing: {}; nothing was changed", node.label(), why));
    };
    // Only the stale side is rejoined: the authority keeps its data and the VIP.
    if (facts.local_holds_vip)
        refuse(local, "this node holds the database VIP: it is the authority, never rejoined");
    if (!l.read_only)
        refuse(local,
               "read_only is OFF: this node may be taking writes; only a read-only stale node "
               "is rejoined (the authority is never rejoined)");
    if (!l.log_bin)
        refuse(local, "log_bin is OFF: the transactions the authority lacks cannot be saved");
    // Which transactions are extra is read from the positions on the strength of
    // gtid_strict_mode (a domain's sequence only grows along the binary log, so nothing of the
    // authority's can follow the first extra one); without it they cannot be told apart.
    if (!l.gtid_strict_mode)
        refuse(local,
               "gtid_strict_mode is OFF: the transactions the authority lacks cannot be told "
               "from the positions; save them by hand");
    if (l.server_id != 0 && l.server_id == a.server_id)
        refuse(authority, fmt::format("server_id {} is also this node's", a.server_id));
    auto l_state = parse_binlog_state(l.gtid_binlog_state);
    auto a_state = parse_binlog_state(a.gtid_binlog_state);
    if (!l_state)
        refuse(local, fmt::format("cannot read gtid_binlog_state '{}'", l.gtid_binlog_state));
    if (!a_state)
        refuse(authority, fmt::format("cannot read gtid_binlog_state '{}'", a.gtid_binlog_state));
    auto l_pos = checks::parse_mariadb_gtid_list(l.gtid_binlog_pos);
    if (!l_pos.value)
        refuse(local, fmt::format("cannot read gtid_binlog_pos '{}'", l.gtid_binlog_pos));
    if (!plan.errors.empty()) return plan;

    // The authority holds writes this node lacks when some (domain, server) of its binary log
    // is beyond this node's.
    bool authority_ahead = false;
    for (const auto& [key, sequence] : *a_state) {
        auto it = l_state->find(key);
        if (it == l_state->end() || it->second < sequence) authority_ahead = true;
    }
    // The authority is the node taking the writes: writable. A read-only peer is refused even
    // when it holds transactions this node lacks: in a pair where both latched diverged each
    // holds some, and two rejoins at once (each node dumping the other while it is emptied)
    // would leave neither with the data.
    if (a.read_only) {
        refuse(local,
               fmt::format("the peer {} is read-only{}: it is not shown to be the authority (the "
                           "writer); when both nodes are latched, decide which keeps its data "
                           "(`havip promote --force` there), then rejoin the other",
                           authority.name,
                           authority_ahead ? "" : " and holds no transaction this node lacks"));
        return plan;
    }

    // Per domain: the local (domain, server) sequences beyond the authority's are extra. A
    // server's own transactions form one ordered stream, so what the authority logged of server
    // s up to sequence m is this node's s-stream up to m as well; under gtid_strict_mode the
    // domain's sequence grows along this node's binary log, so everything after the last shared
    // sequence (the highest min(ours, theirs) over the servers both logged) is extra.
    std::map<std::uint32_t, ExtraRange> ranges;
    std::map<std::uint32_t, std::pair<std::uint64_t, std::uint32_t>>
        shared;  // domain → (seq, server)
    for (const auto& [key, sequence] : *l_state) {
        const auto [domain, server] = key;
        auto it = a_state->find(key);
        if (it != a_state->end()) {
            const std::uint64_t common = std::min(sequence, it->second);
            auto& best = shared[domain];
            if (common >= best.first) best = {common, server};
        }
        if (it == a_state->end() || it->second < sequence) {
            auto& range = ranges[domain];
            range.domain = domain;
            range.beyond_authority.push_back(gtid_text(domain, server, sequence));
        }
    }
    for (auto& [domain, range] : ranges) {
        auto s = shared.find(domain);
        if (s == shared.end()) {
            refuse(local,
                   fmt::format("domain {}: no transaction of it is in the authority's binary log "
                               "(ours {}, theirs '{}'), so where the histories split is unknown; "
                               "save that domain by hand",
                               domain, l.gtid_binlog_state, a.gtid_binlog_state));
            continue;
        }
        auto last = l_pos.value->find(domain);
        if (last == l_pos.value->end()) {
            refuse(local, fmt::format("domain {} is in gtid_binlog_state '{}' but not in "
                                      "gtid_binlog_pos '{}'",
                                      domain, l.gtid_binlog_state, l.gtid_binlog_pos));
            continue;
        }
        range.after = gtid_text(domain, s->second.second, s->second.first);
        range.through = gtid_text(domain, last->second.server_id, last->second.sequence);
        plan.extra.push_back(range);
    }
    if (!plan.errors.empty()) {
        plan.extra.clear();
        return plan;
    }
    for (const auto& range : plan.extra) {
        auto join = [](std::string& to, const std::string& item) {
            to += (to.empty() ? "" : ",") + item;
        };
        join(plan.domains, std::to_string(range.domain));
        join(plan.start_position, range.after);
        join(plan.stop_position, range.through);
    }

    if (plan.has_extra()) {
        std::string beyond;
        for (const auto& range : plan.extra)
            for (const auto& g : range.beyond_authority)
                beyond += (beyond.empty() ? "" : ", ") + g;
        plan.steps.push_back(fmt::format(
            "save the transactions {} has and {} lacks (GTIDs after {} through {}; last of each "
            "server: {}) as SQL with mariadb-binlog into the state directory's rejoin/, then "
            "count them against the positions; refuse if that fails",
            local.name, authority.name, plan.start_position, plan.stop_position, beyond));
    } else {
        plan.notices.push_back(fmt::format(
            "{} holds no transaction {} lacks (gtid_binlog_state '{}' within '{}'): nothing to "
            "save",
            local.label(), authority.name, l.gtid_binlog_state, a.gtid_binlog_state));
    }
    // The seed replaces mysql.* too: say before anything is done which accounts go.
    std::string lost;
    for (const auto& account : l.all_accounts) {
        if (std::find(a.all_accounts.begin(), a.all_accounts.end(), account) !=
            a.all_accounts.end())
            continue;
        lost +=
            (lost.empty() ? "" : ", ") + fmt::format("'{}'@'{}'", account.first, account.second);
    }
    if (!lost.empty())
        plan.notices.push_back(fmt::format(
            "{}: the re-seed replaces its accounts (mysql.*) with {}'s; accounts only {} has are "
            "gone afterwards: {}",
            local.label(), authority.name, local.name, lost));
    plan.steps.push_back(fmt::format(
        "stop {}'s replication, drop its schemas (unlogged) and RESET MASTER: its data and binary "
        "log are replaced by {}'s{}",
        local.name, authority.name,
        plan.has_extra() ? " (its extra transactions are in the saved file)" : ""));
    plan.steps.push_back(fmt::format(
        "re-seed {} from {} with `havip bootstrap`'s dump path (mariadb-dump --single-transaction "
        "--master-data=1 --gtid), GTID state set to {}'s, and replication both ways; wait until "
        "both channels run and are caught up",
        local.name, authority.name, authority.name));
    plan.steps.push_back(
        "clear the diverged latch of the running havipd (the request `havip clear-diverged` "
        "sends)");
    return plan;
}

std::vector<std::string> binlog_gtids(std::string_view text) {
    std::vector<std::string> out;
    each_line(text, [&](std::string_view line) {
        if (!is_header(line)) return;
        auto g = line.find("GTID ");
        if (g == std::string_view::npos || g == 0) return;
        const char before = line[g - 1];
        if (before != '\t' && before != ' ') return;
        auto rest = line.substr(g + 5);
        auto stop = rest.find_first_of(" \t");
        auto token = rest.substr(0, stop);
        if (parse_gtid(token)) out.emplace_back(token);
    });
    return out;
}

std::optional<std::string> check_saved(const RejoinPlan& plan, const RejoinFacts& facts,
                                       const std::vector<std::string>& gtids) {
    auto a_state = parse_binlog_state(facts.authority.gtid_binlog_state).value_or(BinlogState{});
    std::map<std::uint32_t, const ExtraRange*> by_domain;
    for (const auto& range : plan.extra)
        by_domain[range.domain] = &range;
    std::map<std::uint32_t, std::string> last;
    for (const auto& text : gtids) {
        auto g = parse_gtid(text);
        if (!g) return fmt::format("mariadb-binlog printed an unreadable GTID '{}'", text);
        auto range = by_domain.find(g->domain);
        if (range == by_domain.end())
            return fmt::format("mariadb-binlog printed {} of domain {}, which has nothing to save",
                               text, g->domain);
        auto after = parse_gtid(range->second->after);
        if (after && g->sequence <= after->sequence)
            return fmt::format("mariadb-binlog printed {}, not after {}", text,
                               range->second->after);
        auto in_authority = a_state.find({g->domain, g->server});
        if (in_authority != a_state.end() && in_authority->second >= g->sequence)
            return fmt::format("mariadb-binlog printed {}, which the authority logged too", text);
        last[g->domain] = text;
    }
    for (const auto& range : plan.extra) {
        auto it = last.find(range.domain);
        if (it == last.end())
            return fmt::format(
                "mariadb-binlog printed no transaction of domain {} (expected those "
                "after {} through {}): purged binary logs?",
                range.domain, range.after, range.through);
        if (it->second != range.through)
            return fmt::format(
                "mariadb-binlog's last transaction of domain {} is {}, not {} (the "
                "local gtid_binlog_pos)",
                range.domain, it->second, range.through);
    }
    return std::nullopt;
}

const char* to_string(RejoinMethod method) {
    return method == RejoinMethod::flashback ? "flashback" : "reseed";
}

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// A Query event's statement that is part of a row-event transaction: its start or end.
bool transaction_control(std::string_view statement) {
    if (auto end = statement.find("/*!*/;"); end != std::string_view::npos)
        statement = statement.substr(0, end);
    while (!statement.empty() && (statement.back() == ';' || statement.back() == ' '))
        statement.remove_suffix(1);
    const auto word = lower(statement);
    return word == "begin" || word == "commit" || word == "rollback" ||
           word == "start transaction";
}

// The event type of a header line: the word after the tab ("Write_rows", "Xid", "Table_map").
std::string_view event_type(std::string_view header) {
    auto tab = header.find('\t');
    auto type = tab == std::string_view::npos ? std::string_view{} : header.substr(tab + 1);
    return type.substr(0, type.find_first_of(" :\t"));
}

// The events of a row-event transaction as mariadb-binlog prints them (GTID and Query are read
// apart), and those around transactions.
bool row_transaction_event(std::string_view type) {
    for (std::string_view known : {"Table_map", "Write_rows", "Update_rows", "Delete_rows",
                                   "Write_rows_v1", "Update_rows_v1", "Delete_rows_v1",
                                   "Write_rows_compressed", "Update_rows_compressed",
                                   "Delete_rows_compressed", "Annotate_rows", "Xid", "Rotate",
                                   "Gtid", "Binlog", "Start", "Stop", "Format_desc"})
        if (type == known) return true;
    return false;
}

}  // namespace

BinlogScan scan_binlog(std::string_view text) {
    BinlogScan scan;
    scan.gtids = binlog_gtids(text);
    scan.bytes = text.size();
    std::string gtid = "?";  // the transaction being read
    bool ddl = false;
    bool in_query = false;   // after a Query header, before its statement
    std::string flagged;     // the last transaction put in not_rows
    // An UPDATE's before (WHERE) and after (SET) images: the columns each lists.
    enum class Image { none, before, after } image = Image::none;
    std::set<std::string> before, after;
    auto end_update = [&] {
        if (image == Image::after && before != after &&
            (scan.partial_images.empty() || scan.partial_images.back() != gtid))
            scan.partial_images.push_back(gtid);
        image = Image::none;
    };
    each_line(text, [&](std::string_view line) {
        if (image != Image::none) {
            if (line.starts_with("###   @")) {
                const auto column = std::string(line.substr(7, line.find('=') - 7));
                (image == Image::before ? before : after).insert(column);
                return;
            }
            if (line == "### WHERE" && image == Image::before && before.empty()) return;
            if (line == "### SET" && image == Image::before) {
                image = Image::after;
                return;
            }
            end_update();
        }
        if (line.starts_with("### UPDATE ")) {
            before.clear();
            after.clear();
            image = Image::before;  // "### WHERE" follows
            return;
        }
        if (is_header(line)) {
            in_query = false;
            if (auto g = line.find("\tGTID "); g != std::string_view::npos) {
                auto rest = line.substr(g + 6);
                const auto stop = rest.find(' ');
                gtid = std::string(rest.substr(0, stop));
                ddl = stop != std::string_view::npos &&
                      rest.substr(stop).find(" ddl") != std::string_view::npos;
                // Flagged at once (whatever its statement looks like); the statement is added
                // when it is read.
                if (ddl) {
                    scan.not_rows.push_back(gtid + " (DDL)");
                    flagged = gtid;
                }
            } else if (line.find("\tQuery\t") != std::string_view::npos) {
                in_query = true;
            } else if (auto type = event_type(line);
                       gtid != "?" && flagged != gtid && !row_transaction_event(type)) {
                // LOAD DATA as a statement (Begin_load_query, Execute_load_query), and any
                // event flashback has no inverse for.
                flagged = gtid;
                scan.not_rows.push_back(fmt::format("{} (a {} event)", gtid, type));
            }
            return;
        }
        if (!in_query || line.empty() || line.front() == '#' || line.starts_with("/*!") ||
            line.starts_with("SET ") || line.starts_with("use "))
            return;
        in_query = false;
        if (ddl && flagged == gtid && scan.not_rows.back().ends_with(" (DDL)")) {
            scan.not_rows.back().pop_back();
            scan.not_rows.back() += fmt::format(": {})", line.substr(0, 60));
            return;
        }
        if (transaction_control(line) || flagged == gtid) return;
        flagged = gtid;
        scan.not_rows.push_back(fmt::format("{} (a statement: {})", gtid, line.substr(0, 60)));
    });
    end_update();
    return scan;
}

RejoinPlan with_method(RejoinPlan plan, const NodeTarget& local, const NodeTarget& authority,
                       const RejoinFacts& facts, const BinlogScan& scan) {
    const ServerFacts& l = facts.local;
    auto reseed = [&](std::string why) {
        plan.method = RejoinMethod::reseed;
        plan.method_why = std::move(why);
        return plan;
    };
    if (!plan.errors.empty()) return reseed("refused");
    if (!plan.has_extra())
        return reseed(
            "no extra transaction in the binary log to roll back: what diverged is not there, so "
            "the whole node is re-seeded");
    if (l.binlog_format != "ROW")
        return reseed(fmt::format("binlog_format is {}, not ROW: flashback inverts row events only",
                                  l.binlog_format));
    if (l.binlog_row_image != "FULL")
        return reseed(fmt::format(
            "binlog_row_image is {}, not FULL: flashback needs every column's before image",
            l.binlog_row_image.empty() ? "unknown" : l.binlog_row_image));
    if (auto e = check_saved(plan, facts, scan.gtids))
        return reseed("not every extra transaction is in this node's binary log: " + *e);
    if (scan.gtids.size() > flashback_max_transactions)
        return reseed(fmt::format("{} extra transactions, more than flashback's bound of {}",
                                  scan.gtids.size(), flashback_max_transactions));
    if (scan.bytes > flashback_max_bytes)
        return reseed(fmt::format("the range is {} MiB of binary log, more than flashback's {} MiB",
                                  scan.bytes >> 20, flashback_max_bytes >> 20));
    auto listed = [](const std::vector<std::string>& items) {
        std::string out;
        for (std::size_t i = 0; i < items.size() && i < 3; ++i)
            out += (out.empty() ? "" : ", ") + items[i];
        if (items.size() > 3) out += fmt::format(" and {} more", items.size() - 3);
        return out;
    };
    if (!scan.not_rows.empty())
        return reseed(fmt::format(
            "{} extra transaction(s) are not row events, which flashback cannot invert: {}",
            scan.not_rows.size(), listed(scan.not_rows)));
    if (!scan.partial_images.empty())
        return reseed(fmt::format(
            "{} extra transaction(s) have UPDATEs without a full before image (logged with "
            "binlog_row_image other than FULL): {}",
            scan.partial_images.size(), listed(scan.partial_images)));

    plan.method = RejoinMethod::flashback;
    plan.method_why = fmt::format(
        "{} extra transaction(s), all row events with full images ({} KiB of binary log)",
        scan.gtids.size(), (scan.bytes + 1023) / 1024);
    // The save stays first and the latch is cleared last; the re-seed between is replaced.
    std::vector<std::string> steps = {plan.steps.front()};
    steps.push_back(fmt::format(
        "stop replication between {} and {} both ways; roll back the extra transactions with "
        "mariadb-binlog --flashback over the same range, applied with sql_log_bin=0 ({} stays "
        "read-only): {}",
        local.name, authority.name, local.name, plan.method_why));
    steps.push_back(fmt::format(
        "RESET MASTER on {} and SET GLOBAL gtid_slave_pos='{}' (where the histories part); then "
        "`havip bootstrap`'s steps after a seed: replicate from {} there, and {} from {}'s binary "
        "log; wait until both channels run and are caught up. An applier error there (1032/1062: "
        "the rollback did not restore the branch point) falls back to the re-seed",
        local.name, branch_position(plan, facts), authority.name, authority.name, local.name));
    steps.push_back(plan.steps.back());
    plan.steps = std::move(steps);
    return plan;
}

std::string branch_position(const RejoinPlan& plan, const RejoinFacts& facts) {
    auto current = checks::parse_mariadb_gtid_list(facts.local.gtid_current_pos)
                       .value.value_or(checks::MariadbGtidList{});
    std::map<std::uint32_t, std::string> by_domain;
    for (const auto& [domain, g] : current)
        by_domain[domain] = gtid_text(domain, g.server_id, g.sequence);
    for (const auto& range : plan.extra)
        by_domain[range.domain] = range.after;
    std::string out;
    for (const auto& [domain, text] : by_domain)
        out += (out.empty() ? "" : ",") + text;
    return out;
}

std::string saved_file_name(std::chrono::system_clock::time_point now, std::uint32_t server_id) {
    return fmt::format("{}-{}.sql", utc(now, "%Y%m%dT%H%M%SZ"), server_id);
}

std::string saved_header(const NodeTarget& local, const NodeTarget& authority,
                         const RejoinFacts& facts, const std::vector<std::string>& gtids,
                         std::chrono::system_clock::time_point now) {
    std::string out;
    auto line = [&](const std::string& text) { out += "-- " + text + "\n"; };
    line(
        fmt::format("havip rejoin: {} transaction(s) of {} (server_id {}) that the authority {} "
                    "(server_id {}) did not have",
                    gtids.size(), local.label(), facts.local.server_id, authority.label(),
                    facts.authority.server_id));
    line(fmt::format("saved at {} before {} was rolled back or re-seeded to {}'s history; they are "
                     "applied NOWHERE now",
                     utc(now, "%Y-%m-%dT%H:%M:%SZ"), local.name, authority.name));
    line(fmt::format("{}: gtid_binlog_pos '{}', gtid_binlog_state '{}'", local.name,
                     facts.local.gtid_binlog_pos, facts.local.gtid_binlog_state));
    line(fmt::format("{}: gtid_binlog_pos '{}', gtid_current_pos '{}', gtid_binlog_state '{}'",
                     authority.name, facts.authority.gtid_binlog_pos,
                     facts.authority.gtid_current_pos, facts.authority.gtid_binlog_state));
    std::string list;
    for (const auto& g : gtids)
        list += (list.empty() ? "" : " ") + g;
    line("GTIDs: " + list);
    line("Below is mariadb-binlog --verbose output: each row change is shown decoded in '###'");
    line("comments. The events keep their original GTIDs, so replaying this file as is on the");
    line("authority is refused under gtid_strict_mode; review the rows and re-apply what is");
    line("still wanted as new transactions on the node that holds the VIP.");
    out += "\n";
    return out;
}

}  // namespace havip::cli
