// robots.txt verdicts shared by a run's workers (see robots_share.hpp).
#include "shoal/robots_share.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "shoal/sys.hpp"
#include "shoal/url.hpp"

namespace shoal {
namespace {

// A published file: this header line, the origin line, "file" or "none",
// then the robots.txt bytes; or "unreachable", the steady clock's
// milliseconds when it was found so (one clock for every process), and why.
constexpr std::string_view magic = "shoal-robots 1\n";

std::optional<std::string> read_whole(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The pid a claim file names, or 0.
pid_t claimant(const std::string& claim_path) {
    const auto text = read_whole(claim_path);
    if (!text) return 0;
    long pid = 0;
    for (char c : *text) {
        if (c < '0' || c > '9') break;
        pid = pid * 10 + (c - '0');
        if (pid > 1 << 30) return 0;
    }
    return static_cast<pid_t>(pid);
}

bool alive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

long long now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

robots_share::robots_share(std::string dir) : dir_(std::move(dir)) {}

std::string robots_share::path_of(std::string_view origin) const {
    char name[32];
    std::snprintf(name, sizeof name, "/%016llx", static_cast<unsigned long long>(origin_hash(origin)));
    return dir_ + name;
}

std::optional<shared_robots> robots_share::lookup(std::string_view origin) const {
    const auto text = read_whole(path_of(origin));
    if (!text) return std::nullopt;
    std::string_view rest = *text;
    if (!rest.starts_with(magic)) return std::nullopt;
    rest.remove_prefix(magic.size());
    if (!rest.starts_with(origin) || rest.substr(origin.size(), 1) != "\n") return std::nullopt;
    rest.remove_prefix(origin.size() + 1);
    shared_robots r;
    if (rest.starts_with("file\n")) {
        r.has_file = true;
        r.text = std::string(rest.substr(5));
    } else if (rest.starts_with("unreachable ")) {
        rest.remove_prefix(12);
        const std::size_t nl = rest.find('\n');
        if (nl == std::string_view::npos) return std::nullopt;
        long long at = 0;
        if (std::from_chars(rest.data(), rest.data() + nl, at).ptr != rest.data() + nl) return std::nullopt;
        if (now_ms() - at >= std::chrono::milliseconds(unreachable_for).count()) return std::nullopt;  // try again
        r.unreachable = true;
        r.text = std::string(rest.substr(nl + 1));
    } else if (rest != "none\n") {
        return std::nullopt;
    }
    return r;
}

robots_share::claim_result robots_share::claim(std::string_view origin) {
    const std::string path = path_of(origin) + ".claim";
    const std::string me = std::to_string(::getpid()) + "\n";
    for (int tries = 0; tries < 2; ++tries) {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            const bool ok = sys::write_all(fd, me.data(), me.size());
            ::close(fd);
            if (ok) return claim_result::mine;
            ::unlink(path.c_str());
            return claim_result::unavailable;
        }
        if (errno != EEXIST) return claim_result::unavailable;
        // A claim file that names no pid yet is being written, not dead.
        const pid_t holder = claimant(path);
        if (holder == 0 || alive(holder)) return claim_result::taken;
        ::unlink(path.c_str());  // its process died mid-fetch: take it over
    }
    return claim_result::taken;
}

void robots_share::publish(std::string_view origin, const shared_robots& what) {
    std::string text(magic);
    text.append(origin);
    if (what.unreachable)
        text += "\nunreachable " + std::to_string(now_ms()) + "\n" + what.text;
    else if (what.has_file)
        text += "\nfile\n" + what.text;
    else
        text += "\nnone\n";
    (void)sys::write_file_atomically(path_of(origin), text);  // not shared: each worker fetches its own
}

void robots_share::release(std::string_view origin) {
    const std::string path = path_of(origin) + ".claim";
    if (claimant(path) == ::getpid()) ::unlink(path.c_str());
}

}  // namespace shoal
