// MariaDB's mysql_native_password hash, computed here so bootstrap can tell whether an
// existing account already has the inventory's password without sending that password in a
// query (SELECT PASSWORD('…') would show it in the general log and the process list).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace havip::cli {

// SHA-1 (FIPS 180-4) of `data`.
std::array<std::uint8_t, 20> sha1(std::string_view data);

// "*" and the upper-case hex of SHA1(SHA1(password)): mysql.user.authentication_string of an
// account with plugin mysql_native_password, as PASSWORD() returns it.
std::string native_password_hash(std::string_view password);

}  // namespace havip::cli
