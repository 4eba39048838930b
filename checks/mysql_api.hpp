// MariaDB Connector/C, loaded with dlopen on first use instead of linked: libmariadb pulls in
// libssl, libcrypto and libz, about 2 MiB of resident memory, which a havipd without a
// mysql_check (or the CLI's other commands) would carry for nothing. The table is filled once,
// under the function-local static's initialisation guard, and read-only afterwards.
#pragma once

#include <mysql.h>

#include <string>

namespace havip::checks {

struct MysqlApi {
    decltype(&::mysql_server_init) library_init = nullptr;
    decltype(&::mysql_server_end) library_end = nullptr;
    decltype(&::mysql_thread_init) thread_init = nullptr;
    decltype(&::mysql_thread_end) thread_end = nullptr;
    decltype(&::mysql_init) init = nullptr;
    decltype(&::mysql_options) options = nullptr;
    decltype(&::mysql_real_connect) real_connect = nullptr;
    decltype(&::mysql_close) close = nullptr;
    decltype(&::mysql_errno) error_number = nullptr;
    decltype(&::mysql_error) error = nullptr;
    decltype(&::mysql_get_server_info) get_server_info = nullptr;
    decltype(&::mysql_get_server_version) get_server_version = nullptr;
    decltype(&::mysql_get_socket) get_socket = nullptr;
    decltype(&::mysql_real_query) real_query = nullptr;
    decltype(&::mysql_store_result) store_result = nullptr;
    decltype(&::mysql_field_count) field_count = nullptr;
    decltype(&::mysql_num_fields) num_fields = nullptr;
    decltype(&::mysql_fetch_fields) fetch_fields = nullptr;
    decltype(&::mysql_fetch_row) fetch_row = nullptr;
    decltype(&::mysql_fetch_lengths) fetch_lengths = nullptr;
    decltype(&::mysql_free_result) free_result = nullptr;
    decltype(&::mysql_next_result) next_result = nullptr;
    decltype(&::mysql_send_query) send_query = nullptr;
    decltype(&::mysql_read_query_result) read_query_result = nullptr;
    decltype(&::mysql_thread_id) thread_id = nullptr;

    // Empty when every function above is set; otherwise why not (dlopen's or dlsym's words),
    // and none of them may be called.
    std::string load_error;
    bool loaded() const { return load_error.empty(); }
};

// The process's one table, loaded from HAVIP_MARIADB_LIBRARY (libmariadb.so.3) on first call.
const MysqlApi& mysql_api();

}  // namespace havip::checks
