// Config -> settings: every vrrp_instance of the configuration with what the interfaces are now
// (indexes, MACs, the advert source, the MTU, IPv6 forwarding), as the settings one Instance
// runs with. Decided here from what `host` answers — netlink in the daemon, a fake host in the
// unit tests — and executed by the daemon (Daemon::resolve logs the notes and runs the result).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.hpp"
#include "netlink/address_control.hpp"
#include "netlink/link_query.hpp"
#include "vrrpd/instance.hpp"

namespace havip::vrrp {

// What resolving asks of the host.
struct ResolveHost {
    netlink::LinkQuery& links;
    netlink::AddressControl& addresses;  // the unicast source's interface, when none is named
    std::function<bool(int ifindex)> ipv6_forwarding;  // the NA Router flag on that link
};

struct ResolveNote {
    enum class Kind {
        error,    // the configuration cannot run here: the daemon refuses it
        warning,  // it runs, with something the operator should know
        waiting,  // following one instance's interface back: a piece not there yet
    };
    Kind kind = Kind::error;
    std::string message;  // prefixed with FILE:LINE:COL where the configuration says it
};

struct Resolution {
    std::vector<InstanceSettings> settings;  // in the configuration's order
    std::vector<ResolveNote> notes;
    bool ok = true;  // no error and nothing waited for: `settings` has every instance
};

// With `only`, just that instance, whose interface came back (follow_interfaces): a piece not
// there yet is waited for rather than an error, and a tracked interface still missing is
// tracked as down.
Resolution resolve_instances(const config::Config& config, ResolveHost& host,
                             std::string_view only = {});

// "FILE:LINE:COL: " for a known location, "" otherwise.
std::string where(const config::SourceLocation& at);

}  // namespace havip::vrrp
