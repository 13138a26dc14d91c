// tests/hostile_server.py as an RAII child process: a loopback HTTP server
// whose every path is one way of breaking HTTP (trickling, silence, endless
// headers, decompression bombs, resets, garbage status lines, redirect loops...).
//
//   shoal::test::hostile_site site;
//   write_file(dir / "urls.txt", site.url("/trickle") + "\n" + site.url("/ok") + "\n");
//
// The server is stopped by its PID (SIGTERM, then SIGKILL) when the object goes.
#pragma once

#include <optional>

#include "support/process.hpp"

namespace shoal::test {

class hostile_site : public local_site {
public:
    explicit hostile_site(std::optional<tls_files> tls = std::nullopt)
        : local_site(std::move(tls), {}, "tests/hostile_server.py") {}
};

}  // namespace shoal::test
