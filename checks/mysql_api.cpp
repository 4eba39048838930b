#include "checks/mysql_api.hpp"

#include <dlfcn.h>

#include <fmt/format.h>

namespace havip::checks {
namespace {

MysqlApi load() {
    MysqlApi api;
    // RTLD_LOCAL: its symbols stay out of the global namespace; RTLD_NOW: a missing symbol
    // shows here, not in the middle of a check.
    void* handle = ::dlopen(HAVIP_MARIADB_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = ::dlerror();
        api.load_error = why ? why : "dlopen " HAVIP_MARIADB_LIBRARY " failed";
        return api;
    }
    auto resolve = [&](auto& slot, const char* name) {
        if (!api.load_error.empty()) return;
        void* symbol = ::dlsym(handle, name);
        if (symbol == nullptr) {
            api.load_error = fmt::format("{}: no symbol {}", HAVIP_MARIADB_LIBRARY, name);
            return;
        }
        slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(symbol);
    };
    resolve(api.library_init, "mysql_server_init");
    resolve(api.library_end, "mysql_server_end");
    resolve(api.thread_init, "mysql_thread_init");
    resolve(api.thread_end, "mysql_thread_end");
    resolve(api.init, "mysql_init");
    resolve(api.options, "mysql_options");
    resolve(api.real_connect, "mysql_real_connect");
    resolve(api.close, "mysql_close");
    resolve(api.error_number, "mysql_errno");
    resolve(api.error, "mysql_error");
    resolve(api.get_server_info, "mysql_get_server_info");
    resolve(api.get_server_version, "mysql_get_server_version");
    resolve(api.get_socket, "mysql_get_socket");
    resolve(api.real_query, "mysql_real_query");
    resolve(api.store_result, "mysql_store_result");
    resolve(api.field_count, "mysql_field_count");
    resolve(api.num_fields, "mysql_num_fields");
    resolve(api.fetch_fields, "mysql_fetch_fields");
    resolve(api.fetch_row, "mysql_fetch_row");
    resolve(api.fetch_lengths, "mysql_fetch_lengths");
    resolve(api.free_result, "mysql_free_result");
    resolve(api.next_result, "mysql_next_result");
    resolve(api.send_query, "mysql_send_query");
    resolve(api.read_query_result, "mysql_read_query_result");
    resolve(api.thread_id, "mysql_thread_id");
    // The handle stays open for the life of the process: the table points into it.
    return api;
}

}  // namespace

const MysqlApi& mysql_api() {
    static const MysqlApi api = load();
    return api;
}

}  // namespace havip::checks
