// track_file NAME { … } and vrrp_track_process NAME { … }: what a tracking instance follows
// besides scripts and interfaces.
#include <array>

#include "config/parse_blocks.hpp"
#include "config/parse_fields.hpp"

namespace havip::config {
namespace {

using std::chrono::seconds;

const std::array<FieldKeyword<TrackFile>, 1> track_file_fields{
    weight_field(&TrackFile::weight, &TrackFile::weight_reverse, -254, 254),
};

const std::array<FieldKeyword<TrackProcess>, 5> track_process_fields{
    flag_field("full_command", &TrackProcess::full_command),
    weight_field(&TrackProcess::weight, &TrackProcess::weight_reverse, -254, 254),
    int_field("quorum", &TrackProcess::quorum, 1, 65535),
    duration_field("terminate_delay", &TrackProcess::terminate_delay, Duration(0), seconds(3600)),
    duration_field("fork_delay", &TrackProcess::fork_delay, Duration(0), seconds(3600)),
};

}  // namespace

void parse_track_file(ParseContext& p, const Node& block) {
    auto name = p.block_name(block);
    if (!name) return;
    TrackFile t;
    t.name = *name;
    t.where = block.values[0].where;
    bool has_file = false;
    for (const Node& node : block.children) {
        if (set_field<TrackFile>(track_file_fields, p, node, t)) continue;
        const std::string_view k = p.kw(node);
        if (k == "file") {
            if (auto s = p.string_value(node)) {
                t.file = *s;
                has_file = true;
            }
        } else if (k == "init_file") {
            if (!p.want_statement(node)) continue;
            t.init_file = 0;
            std::size_t i = 0;
            if (i < node.values.size() && node.values[i].text != "overwrite") {
                if (auto n = p.integer_token(node.values[i], "init_file", -254, 254)) {
                    t.init_file = static_cast<int>(*n);
                }
                ++i;
            }
            if (i < node.values.size() && node.values[i].text == "overwrite") {
                t.init_overwrite = true;
                ++i;
            }
            p.extra_values(node, i);
        } else {
            p.unknown(node, Context::track_file);
        }
    }
    if (!has_file) {
        p.d.error(t.where, fmt::format("track_file \"{}\" has no file", t.name));
        return;
    }
    if (p.name_free(p.config.track_files, "track_file", t.name, t.where)) {
        p.config.track_files.push_back(std::move(t));
    }
}

// vrrp_track_process NAME { … } (keepalived.conf(5) "vrrp_track_process").
void parse_track_process(ParseContext& p, const Node& block) {
    auto name = p.block_name(block);
    if (!name) return;
    TrackProcess t;
    t.name = *name;
    t.where = block.values[0].where;
    bool has_process = false;
    SourceLocation quorum_max_at;
    for (const Node& node : block.children) {
        if (set_field<TrackProcess>(track_process_fields, p, node, t)) continue;
        const std::string_view k = p.kw(node);
        if (k == "process") {
            const Token* token = p.value(node);
            if (!token) continue;
            // Each word is one element: a quoted first word is the whole process name.
            t.process = token->text;
            t.params.clear();
            for (std::size_t i = 1; i < node.values.size(); ++i)
                t.params.push_back(node.values[i].text);
            has_process = !t.process.empty();
            if (!has_process) p.d.error(token->where, "process needs a non-empty name");
        } else if (k == "param_match") {
            const Token* token = p.value(node);
            if (!token) continue;
            p.extra_values(node, 1);
            if (token->text == "initial") {
                t.param_match = ParamMatch::initial;
            } else if (token->text == "partial") {
                t.param_match = ParamMatch::partial;
            } else {
                p.d.error(token->where,
                          fmt::format("param_match \"{}\" is not initial or partial", token->text));
                continue;
            }
        } else if (k == "quorum_max") {
            if (auto n = p.integer(node, 0, 65535)) {
                t.quorum_max = static_cast<int>(*n);
                quorum_max_at = node.values[0].where;
            }
        } else if (k == "delay") {
            Duration d{0};
            p.set_duration(node, d, Duration(0), seconds(3600));
            t.terminate_delay = t.fork_delay = d;
        } else {
            p.unknown(node, Context::track_process);
        }
    }
    if (!has_process) {
        p.d.error(t.where, fmt::format("vrrp_track_process \"{}\" has no process", t.name));
        return;
    }
    if (t.quorum_max && *t.quorum_max < t.quorum) {
        p.d.error(quorum_max_at,
                  fmt::format("quorum_max {} is less than quorum {}", *t.quorum_max, t.quorum));
        return;
    }
    // The kernel keeps 15 bytes of a process name (TASK_COMM_LEN): a longer name is never
    // a process's name, so keepalived never sees it running.
    if (!t.full_command && t.params.empty() && !t.param_match && t.process.size() > 15) {
        p.d.warning(t.where, fmt::format("vrrp_track_process \"{}\": process \"{}\" is longer than "
                                         "a process name can be (15 characters) and never matches; "
                                         "add full_command to match the command's path",
                                         t.name, t.process));
    }
    if (p.name_free(p.config.track_processes, "vrrp_track_process", t.name, t.where)) {
        p.config.track_processes.push_back(std::move(t));
    }
}

}  // namespace havip::config
