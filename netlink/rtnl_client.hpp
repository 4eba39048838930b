// The rtnetlink implementation of AddressControl and LinkQuery: blocking requests on a
// socket of their own (never the monitor's), each bounded by a receive timeout.
#pragma once

#include <chrono>

#include "netlink/address_control.hpp"
#include "netlink/link_query.hpp"
#include "netlink/result.hpp"
#include "netlink/socket.hpp"

namespace havip::netlink {

class RtnlClient final : public AddressControl, public LinkQuery {
  public:
    // A request socket in the caller's current network namespace. `timeout` bounds each wait
    // for a reply, so a lost acknowledgement costs at most that long.
    static Result<RtnlClient> open(std::chrono::milliseconds timeout = std::chrono::milliseconds{
                                       1000});

    Result<Change> add(const Vip& vip) override;
    Result<Change> remove(const Vip& vip) override;
    Result<std::vector<AddressInfo>> addresses(int ifindex) override;
    Result<std::vector<AddressInfo>> dump_addresses() override;

    Result<int> ifindex(std::string_view name) override;
    Result<LinkInfo> link(int ifindex) override;
    Result<std::vector<LinkInfo>> dump_links() override;
    Result<MacAddress> mac(int ifindex) override;
    Result<boost::asio::ip::address_v4> primary_ipv4(int ifindex) override;
    Result<boost::asio::ip::address_v6> ipv6_link_local(int ifindex) override;

  private:
    explicit RtnlClient(Socket socket) : socket_(std::move(socket)) {}
    Result<LinkInfo> get_link(Request request);

    Socket socket_;
};

}  // namespace havip::netlink
