#include "systemd/journal.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace havip::systemd {

std::string journal_datagram(std::span<const JournalField> fields) {
    std::string out;
    for (const auto& f : fields) {
        out += f.name;
        if (f.value.find('\n') == std::string_view::npos) {
            out += '=';
        } else {
            out += '\n';
            std::uint64_t size = f.value.size();
            for (int i = 0; i < 8; ++i)
                out += static_cast<char>((size >> (8 * i)) & 0xff);
        }
        out += f.value;
        out += '\n';
    }
    return out;
}

namespace {

sockaddr_un journal_address(std::string_view path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), std::min(path.size(), sizeof addr.sun_path - 1));
    return addr;
}

// The large-entry path: the entry in a sealed memfd, its descriptor in an empty datagram.
bool send_as_memfd(int fd, const sockaddr_un& addr, std::string_view datagram) {
    const int memfd = ::memfd_create("havipd-journal", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (memfd < 0) return false;
    bool ok =
        ::write(memfd, datagram.data(), datagram.size()) == static_cast<ssize_t>(datagram.size()) &&
        ::fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == 0;
    if (ok) {
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
        msghdr msg{};
        msg.msg_name = const_cast<sockaddr_un*>(&addr);
        msg.msg_namelen = sizeof addr;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(cmsg), &memfd, sizeof(int));
        ok = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0;
    }
    ::close(memfd);
    return ok;
}

}  // namespace

bool send_journal_entry(int fd, std::string_view datagram, std::string_view socket_path) {
    static_assert(journal_socket_path.size() < sizeof(sockaddr_un::sun_path));
    const sockaddr_un addr = journal_address(socket_path);
    if (::sendto(fd, datagram.data(), datagram.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                 reinterpret_cast<const sockaddr*>(&addr), sizeof addr) >= 0)
        return true;
    if (errno == EMSGSIZE || errno == ENOBUFS) return send_as_memfd(fd, addr, datagram);
    return false;
}

}  // namespace havip::systemd
