// libFuzzer entry for the GTID positions servers report (gtid_binlog_pos, Gtid_IO_Pos,
// Executed_Gtid_Set): text from a server is parsed, printed and compared. A list that parses
// must print to text that parses to the same list, and contain itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "checks/gtid.hpp"

using namespace havip::checks;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // The input split in two: a "received" and an "applied" position.
    const auto cut = text.find('|');
    const auto first = text.substr(0, cut);
    const auto second = cut == std::string_view::npos ? std::string_view{} : text.substr(cut + 1);

    const auto a = parse_mariadb_gtid_list(first);
    const auto b = parse_mariadb_gtid_list(second);
    if (a.value) {
        const auto again = parse_mariadb_gtid_list(to_string(*a.value));
        if (!again.value || to_string(*again.value) != to_string(*a.value)) __builtin_trap();
        if (!mariadb_applied(*a.value, *a.value)) __builtin_trap();
        if (b.value) {
            (void)mariadb_applied(*a.value, *b.value);
            (void)mariadb_missing(*a.value, *b.value);
        }
    }
    const auto x = parse_mysql_gtid_set(first);
    const auto y = parse_mysql_gtid_set(second);
    if (x.value) {
        if (!mysql_gtid_subset(*x.value, *x.value)) __builtin_trap();
        if (y.value) (void)mysql_gtid_subset(*x.value, *y.value);
    }
    return 0;
}
