// When GARP / NA bursts go out under keepalived's garp_master_* and garp_interval settings.
#include "vrrpd/core/announce.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace havip::vrrp {
namespace {

using namespace std::chrono_literals;
using std::chrono::microseconds;

TEST(AnnounceSchedule, defaults_send_five_at_once_and_five_more_after_five_seconds) {
    const auto schedule = announcement_schedule(AnnounceSettings{});
    EXPECT_EQ(schedule.on_master, (std::vector<Burst>{{0us, 5}, {5s, 5}}));
    EXPECT_EQ(schedule.refresh_period, 0us);
    EXPECT_TRUE(schedule.each_refresh.empty());
    // Refresh off: nothing after the second burst however long we stay master.
    EXPECT_EQ(bursts_until(schedule, 3600s), schedule.on_master);
}

TEST(AnnounceSchedule, zero_master_delay_means_no_second_burst) {
    AnnounceSettings settings;
    settings.master_delay = 0s;
    EXPECT_EQ(announcement_schedule(settings).on_master, (std::vector<Burst>{{0us, 5}}));
}

TEST(AnnounceSchedule, zero_master_repeat_sends_nothing) {
    AnnounceSettings settings;
    settings.master_repeat = 0;
    EXPECT_TRUE(announcement_schedule(settings).on_master.empty());
}

// keepalived's garp_lower_prio_repeat / _delay: a master that hears a lower-priority master
// announces with these, the refresh going on as before; a repeat of 0 announces nothing.
TEST(AnnounceSchedule, a_lower_priority_master_is_answered_with_the_lower_prio_bursts) {
    AnnounceSettings settings;
    settings.master_refresh = 60s;
    settings.lower_prio_repeat = 2;
    settings.lower_prio_delay = 10s;
    const auto lower = lower_priority_schedule(settings);
    EXPECT_EQ(lower.on_master, (std::vector<Burst>{{0us, 2}, {10s, 2}}));
    EXPECT_EQ(lower.refresh_period, microseconds(60s));
    EXPECT_EQ(announcement_schedule(settings).on_master, (std::vector<Burst>{{0us, 5}, {5s, 5}}));
    settings.lower_prio_delay = 0s;
    EXPECT_EQ(lower_priority_schedule(settings).on_master, (std::vector<Burst>{{0us, 2}}));
    settings.lower_prio_repeat = 0;
    EXPECT_TRUE(lower_priority_schedule(settings).on_master.empty());
    // The defaults are keepalived's: as on becoming MASTER.
    EXPECT_EQ(lower_priority_schedule(AnnounceSettings{}),
              announcement_schedule(AnnounceSettings{}));
}

TEST(AnnounceSchedule, interval_spreads_each_burst_into_single_frames) {
    AnnounceSettings settings;
    settings.master_repeat = 3;
    settings.master_delay = 1s;
    settings.interval = 10ms;
    EXPECT_EQ(
        announcement_schedule(settings).on_master,
        (std::vector<Burst>{{0ms, 1}, {10ms, 1}, {20ms, 1}, {1s, 1}, {1010ms, 1}, {1020ms, 1}}));
}

TEST(AnnounceSchedule, interval_longer_than_delay_interleaves_bursts_in_time_order) {
    AnnounceSettings settings;
    settings.master_repeat = 3;
    settings.master_delay = 1s;
    settings.interval = 1s;
    EXPECT_EQ(announcement_schedule(settings).on_master,
              (std::vector<Burst>{{0s, 1}, {1s, 1}, {1s, 1}, {2s, 1}, {2s, 1}, {3s, 1}}));
}

TEST(AnnounceSchedule, refresh_repeats_refresh_repeat_frames_every_period_after_takeover) {
    AnnounceSettings settings;
    settings.master_refresh = 60s;
    settings.refresh_repeat = 2;
    const auto schedule = announcement_schedule(settings);
    EXPECT_EQ(schedule.refresh_period, 60s);
    EXPECT_EQ(schedule.each_refresh, (std::vector<Burst>{{0us, 2}}));
    EXPECT_EQ(bursts_until(schedule, 150s),
              (std::vector<Burst>{{0us, 5}, {5s, 5}, {60s, 2}, {120s, 2}}));
}

TEST(AnnounceSchedule, refresh_with_zero_repeat_is_off) {
    AnnounceSettings settings;
    settings.master_refresh = 60s;
    settings.refresh_repeat = 0;
    const auto schedule = announcement_schedule(settings);
    EXPECT_EQ(schedule.refresh_period, 0us);
    EXPECT_EQ(bursts_until(schedule, 600s).size(), 2u);
}

TEST(AnnounceSchedule, refresh_shorter_than_master_delay_interleaves_in_time_order) {
    AnnounceSettings settings;
    settings.master_refresh = 2s;
    const auto bursts = bursts_until(announcement_schedule(settings), 7s);
    EXPECT_EQ(bursts, (std::vector<Burst>{{0us, 5}, {2s, 1}, {4s, 1}, {5s, 5}, {6s, 1}}));
}

TEST(AnnounceSchedule, refresh_with_interval_spreads_refresh_frames) {
    AnnounceSettings settings;
    settings.master_delay = 0s;
    settings.master_repeat = 1;
    settings.master_refresh = 10s;
    settings.refresh_repeat = 2;
    settings.interval = 100ms;
    const auto bursts = bursts_until(announcement_schedule(settings), 11s);
    EXPECT_EQ(bursts, (std::vector<Burst>{{0us, 1}, {10s, 1}, {10100ms, 1}}));
}

TEST(AnnounceSchedule, horizon_is_exclusive) {
    const auto schedule = announcement_schedule(AnnounceSettings{});
    EXPECT_EQ(bursts_until(schedule, 5s), (std::vector<Burst>{{0us, 5}}));
    EXPECT_EQ(bursts_until(schedule, 5s + 1us).size(), 2u);
    EXPECT_TRUE(bursts_until(schedule, 0us).empty());
}

TEST(AnnounceSchedule, next_burst_is_the_burst_itself_until_its_time) {
    AnnounceSettings settings;  // 5 at once, 5 after 5 s
    settings.master_refresh = 10s;
    const auto s = announcement_schedule(settings);
    EXPECT_EQ(next_burst(s, 0, 0us), (NextBurst{0, {0us, 5}}));
    EXPECT_EQ(next_burst(s, 1, 1s), (NextBurst{1, {5s, 5}}));
    EXPECT_EQ(next_burst(s, 2, 6s), (NextBurst{2, {10s, 1}}));
    EXPECT_EQ(next_burst(s, 3, 11s), (NextBurst{3, {20s, 1}}));
    EXPECT_FALSE(next_burst(announcement_schedule(AnnounceSettings{}), 2, 6s));
}

TEST(AnnounceSchedule, bursts_missed_in_a_stall_go_out_as_one) {
    AnnounceSettings settings;
    settings.master_refresh = 10s;
    const auto s = announcement_schedule(settings);
    // Stalled from 0 to 7 s: the 5 s burst stands for the one at 0 s too.
    EXPECT_EQ(next_burst(s, 0, 7s), (NextBurst{1, {5s, 5}}));
    // Stalled an hour past the first refresh: one refresh now, the next on the grid.
    EXPECT_EQ(next_burst(s, 2, 3605s), (NextBurst{361, {3600s, 1}}));
    EXPECT_EQ(next_burst(s, 362, 3605s), (NextBurst{362, {3610s, 1}}));
    // From the start, past both master bursts and some refreshes.
    EXPECT_EQ(next_burst(s, 0, 35s), (NextBurst{4, {30s, 1}}));
}

}  // namespace
}  // namespace havip::vrrp
