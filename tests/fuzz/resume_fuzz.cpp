// Fuzzes reading back an interrupted run's output (load_existing_output,
// what --resume does first) over whatever bytes the file may hold: JSONL or
// CSV (by the first input byte), torn records, quotes anywhere, line breaks
// inside quoted fields. It must not crash; it may only cut a tail off (the
// file left is a prefix of what it held, cut_bytes shorter, and ends on a
// line end); and reading the file it left again must cut nothing and find
// the same records, the same lines that are not records, and the same header.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "shoal/done_lines.hpp"
#include "shoal/resume.hpp"

namespace {

// One file for the whole run, rewritten for each input, removed at exit.
char scratch_name[] = "/tmp/shoal-resume-fuzz-XXXXXX";

const std::string& scratch_path() {
    static const std::string path = [] {
        const int fd = ::mkstemp(scratch_name);
        if (fd < 0) std::abort();
        ::close(fd);
        std::atexit([] { ::unlink(scratch_name); });
        return std::string(scratch_name);
    }();
    return path;
}

void write_file(const std::string& path, const std::string& content) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) std::abort();
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t w = ::write(fd, content.data() + done, content.size() - done);
        if (w <= 0) std::abort();
        done += static_cast<std::size_t>(w);
    }
    ::close(fd);
}

std::string read_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) std::abort();
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1 || size > (1u << 20)) return 0;
    const auto format = data[0] & 1 ? shoal::output_format::csv : shoal::output_format::jsonl;
    const std::string content(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::string& path = scratch_path();
    write_file(path, content);

    shoal::done_lines first_done;
    const shoal::existing_output first = shoal::load_existing_output(path, format, first_done);
    const std::string left = read_file(path);
    if (left.size() + first.cut_bytes != content.size()) std::abort();
    if (content.compare(0, left.size(), left) != 0) std::abort();
    if (!left.empty() && left.back() != '\n') std::abort();

    shoal::done_lines again_done;
    const shoal::existing_output again = shoal::load_existing_output(path, format, again_done);
    if (again.cut_bytes != 0 || again.records != first.records || again.unreadable != first.unreadable ||
        again.has_csv_header != first.has_csv_header || again.csv_header != first.csv_header)
        std::abort();
    if (read_file(path) != left) std::abort();
    return 0;
}
