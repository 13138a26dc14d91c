// The supervisor <-> writer message channel (see control.hpp).
#include "shoal/control.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstring>

#include "shoal/sys.hpp"

namespace shoal {
namespace {

constexpr std::size_t header_bytes = 1 + 8 + 8;
constexpr std::size_t max_message = 1 << 16;

}  // namespace

void make_control_pair(int fds[2]) {
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
        sys::throw_errno(exit_code::internal, "socketpair");
}

bool send_control(int sock, const control_message& m) {
    char header[header_bytes];
    header[0] = static_cast<char>(m.kind);
    std::memcpy(header + 1, &m.chunk_id, 8);
    std::memcpy(header + 9, &m.count, 8);
    iovec iov[2] = {{header, header_bytes},
                    {const_cast<char*>(m.payload.data()), m.payload.size()}};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = m.payload.empty() ? 1 : 2;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    if (m.fd >= 0) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &m.fd, sizeof(int));
    }
    return sys::retry_eintr([&] { return ::sendmsg(sock, &msg, MSG_NOSIGNAL); }) >= 0;
}

int receive_control(int sock, control_message& m) {
    static thread_local std::string buf(max_message, '\0');
    iovec iov{buf.data(), buf.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = sys::retry_eintr([&] { return ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); });
    if (n <= 0) return n == 0 ? 0 : -1;
    if (static_cast<std::size_t>(n) < header_bytes) {
        errno = EPROTO;
        return -1;
    }
    m.kind = static_cast<control_kind>(buf[0]);
    std::memcpy(&m.chunk_id, buf.data() + 1, 8);
    std::memcpy(&m.count, buf.data() + 9, 8);
    m.payload.assign(buf.data() + header_bytes, static_cast<std::size_t>(n) - header_bytes);
    m.fd = -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            std::memcpy(&m.fd, CMSG_DATA(c), sizeof(int));
    return 1;
}

std::string handed_back_note(const std::vector<std::size_t>& indexes) {
    std::string out(1 + 4 + 4 * indexes.size(), '\0');
    out[0] = static_cast<char>(worker_note::handed_back);
    const auto n = static_cast<std::uint32_t>(indexes.size());
    std::memcpy(out.data() + 1, &n, 4);
    for (std::size_t k = 0; k < indexes.size(); ++k) {
        const auto i = static_cast<std::uint32_t>(indexes[k]);
        std::memcpy(out.data() + 5 + 4 * k, &i, 4);
    }
    return out;
}

int take_worker_status(std::string& buf, worker_status& out) {
    if (buf.empty()) return 0;
    const auto note = static_cast<worker_note>(buf[0]);
    std::size_t used = 1;
    out.lines.clear();
    switch (note) {
        case worker_note::draining:
        case worker_note::own_tls:
            break;
        case worker_note::handed_back: {
            if (buf.size() < 5) return 0;
            std::uint32_t n = 0;
            std::memcpy(&n, buf.data() + 1, 4);
            used = 5 + 4 * std::size_t{n};
            if (buf.size() < used) return 0;
            out.lines.resize(n);
            if (n > 0) std::memcpy(out.lines.data(), buf.data() + 5, 4 * std::size_t{n});
            break;
        }
        default:
            return -1;
    }
    out.note = note;
    buf.erase(0, used);
    return 1;
}

}  // namespace shoal
