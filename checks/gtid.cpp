#include "checks/gtid.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace havip::checks {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

template <typename Int>
bool parse_int(std::string_view s, Int& out) {
    s = trim(s);
    if (s.empty()) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && end == s.data() + s.size();
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        auto pos = s.find(sep, start);
        parts.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return parts;
}

bool is_interval_text(std::string_view s) {
    return !s.empty() && std::isdigit(static_cast<unsigned char>(s.front()));
}

}  // namespace

Parsed<MariadbGtidList> parse_mariadb_gtid_list(std::string_view text) {
    MariadbGtidList list;
    text = trim(text);
    if (text.empty()) return {list, {}};
    for (auto item : split(text, ',')) {
        item = trim(item);
        auto parts = split(item, '-');
        std::uint32_t domain = 0;
        MariadbGtid gtid;
        if (parts.size() != 3 || !parse_int(parts[0], domain) ||
            !parse_int(parts[1], gtid.server_id) || !parse_int(parts[2], gtid.sequence)) {
            return {std::nullopt, {fmt::format("'{}' is not a domain-server-sequence GTID", item)}};
        }
        if (list.contains(domain)) {
            return {std::nullopt, {fmt::format("domain {} appears twice", domain)}};
        }
        list[domain] = gtid;
    }
    return {list, {}};
}

Parsed<MysqlGtidSet> parse_mysql_gtid_set(std::string_view text) {
    MysqlGtidSet set;
    text = trim(text);
    if (text.empty()) return {set, {}};
    for (auto item : split(text, ',')) {
        item = trim(item);
        auto parts = split(item, ':');
        if (parts.size() < 2 || trim(parts[0]).size() != 36) {
            return {std::nullopt, {fmt::format("'{}' is not uuid:interval", item)}};
        }
        // uuid[:tag]:interval[:interval…] — a tag (8.3+) starts with a letter or '_', an
        // interval with a digit, and a tag applies to the intervals after it.
        std::string key(trim(parts[0]));
        for (std::size_t i = 1; i < parts.size(); ++i) {
            auto part = trim(parts[i]);
            if (!is_interval_text(part)) {
                key = fmt::format("{}:{}", trim(parts[0]), part);
                continue;
            }
            std::uint64_t lo = 0;
            std::uint64_t hi = 0;
            auto dash = part.find('-');
            bool good = dash == std::string_view::npos ? parse_int(part, lo) && (hi = lo, true)
                                                       : parse_int(part.substr(0, dash), lo) &&
                                                             parse_int(part.substr(dash + 1), hi);
            if (!good || lo == 0 || hi < lo) {
                return {std::nullopt, {fmt::format("bad interval '{}' in '{}'", part, item)}};
            }
            std::string lowered = key;
            std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            set[lowered].emplace_back(lo, hi);
        }
    }
    for (auto& [uuid, intervals] : set) {
        std::sort(intervals.begin(), intervals.end());
        GtidIntervals merged;
        for (const auto& iv : intervals) {
            if (!merged.empty() && iv.first <= merged.back().second + 1) {
                merged.back().second = std::max(merged.back().second, iv.second);
            } else {
                merged.push_back(iv);
            }
        }
        intervals = std::move(merged);
    }
    return {set, {}};
}

bool mariadb_applied(const MariadbGtidList& received, const MariadbGtidList& applied) {
    return mariadb_missing(received, applied).empty();
}

std::vector<std::string> mariadb_missing(const MariadbGtidList& received,
                                         const MariadbGtidList& applied) {
    std::vector<std::string> missing;
    for (const auto& [domain, got] : received) {
        auto it = applied.find(domain);
        if (it == applied.end()) {
            missing.push_back(fmt::format("domain {}: {}-{}-{} received, nothing applied", domain,
                                          domain, got.server_id, got.sequence));
        } else if (it->second.sequence < got.sequence) {
            missing.push_back(fmt::format("domain {}: {}-{}-{} received, {}-{}-{} applied", domain,
                                          domain, got.server_id, got.sequence, domain,
                                          it->second.server_id, it->second.sequence));
        }
    }
    return missing;
}

bool mysql_gtid_subset(const MysqlGtidSet& subset, const MysqlGtidSet& superset) {
    for (const auto& [uuid, intervals] : subset) {
        auto it = superset.find(uuid);
        if (it == superset.end()) {
            if (!intervals.empty()) return false;
            continue;  // nothing of this source to cover: the other sources still count
        }
        // Both lists are merged, so each interval must sit inside a single superset interval.
        for (const auto& interval : intervals) {
            bool covered = std::any_of(it->second.begin(), it->second.end(), [&](const auto& s) {
                return s.first <= interval.first && interval.second <= s.second;
            });
            if (!covered) return false;
        }
    }
    return true;
}

std::string to_string(const MariadbGtidList& list) {
    std::string out;
    for (const auto& [domain, gtid] : list) {
        if (!out.empty()) out += ',';
        out += fmt::format("{}-{}-{}", domain, gtid.server_id, gtid.sequence);
    }
    return out;
}

}  // namespace havip::checks
