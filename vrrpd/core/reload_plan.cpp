#include "vrrpd/core/reload_plan.hpp"

#include <set>

namespace havip::vrrp {

ReloadPlan plan_reload(std::span<const RouterKey> running, std::span<const RouterKey> wanted) {
    ReloadPlan plan;
    std::vector<bool> taken(running.size(), false);
    for (std::size_t w = 0; w < wanted.size(); ++w) {
        std::size_t r = 0;
        while (r < running.size() && (taken[r] || !(running[r] == wanted[w])))
            ++r;
        if (r < running.size()) {
            taken[r] = true;
            plan.keep.push_back({r, w});
        } else {
            plan.start.push_back(w);
        }
    }
    for (std::size_t r = 0; r < running.size(); ++r)
        if (!taken[r]) plan.stop.push_back(r);
    return plan;
}

std::vector<std::string> joined_sync_groups(const ReloadPlan& plan,
                                            std::span<const std::string> running_groups,
                                            std::span<const std::string> wanted_groups) {
    std::set<std::string> joined;
    for (const auto& k : plan.keep) {
        const auto& group = wanted_groups[k.wanted];
        if (!group.empty() && group != running_groups[k.running]) joined.insert(group);
    }
    return {joined.begin(), joined.end()};
}

std::vector<ReloadStep> reload_program(const ReloadPlan& plan,
                                       std::span<const std::string> joined) {
    using Kind = ReloadStep::Kind;
    std::vector<ReloadStep> program{Kind::list_kept};
    auto each = [&](Kind kind, std::size_t count) {
        for (std::size_t i = 0; i < count; ++i)
            program.emplace_back(kind, i);
    };
    for (auto r : plan.stop)
        program.emplace_back(Kind::stop, r);
    program.emplace_back(Kind::release_dropped);
    each(Kind::reconfigure, plan.keep.size());
    each(Kind::create, plan.start.size());
    program.emplace_back(Kind::replace_checks);
    each(Kind::report_links, plan.keep.size());
    program.emplace_back(Kind::sockets);
    each(Kind::start, plan.start.size());
    program.emplace_back(Kind::forget_groups);
    for (const auto& group : joined)
        program.emplace_back(Kind::regroup, 0, group);
    return program;
}

std::vector<std::set<std::string>> vips_taken_over(std::span<const KeptVips> kept) {
    std::vector<std::set<std::string>> out(kept.size());
    for (std::size_t owner = 0; owner < kept.size(); ++owner) {
        if (!kept[owner].master) continue;
        for (std::size_t other = 0; other < kept.size(); ++other)
            if (other != owner)
                out[other].insert(kept[owner].wanted.begin(), kept[owner].wanted.end());
    }
    return out;
}

}  // namespace havip::vrrp
