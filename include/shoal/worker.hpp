// worker: the process that crawls one chunk. One io_context, up to
// --concurrency coroutines ("lanes") each taking the next line of the chunk,
// fetching it, extracting title and price, and sending the record as a frame
// to the writer. A full pipe (a slow writer or disk) makes lanes wait instead
// of buffering without limit.
#pragma once

#include <memory>
#include <string_view>

#include "shoal/chunker.hpp"
#include "shoal/extractor.hpp"
#include "shoal/host_limiter.hpp"
#include "shoal/host_pacer.hpp"
#include "shoal/options.hpp"

namespace shoal {

struct tls_client_context;
class tls_session_store;

struct worker_setup {
    const crawl_options& options;
    const chunk& work;
    const extractor& rules;  // built once in the supervisor, inherited by the fork
    unsigned worker_no = 0;
    host_limiter* limiter = nullptr;  // --per-host over all workers (nullptr = no limit)
    unsigned ledger = 0;              // this worker's ledger in the limiter
    host_pacer* pacer = nullptr;      // --per-host-rate over all workers (nullptr = no limit)
    std::size_t idle_cap = 0;  // kept-alive connections this worker may hold
    int records_fd = -1;    // pipe to the writer (write end)
    int status_fd = -1;     // pipe to the supervisor: 'd' all lines taken, 't' made a TLS context
    std::shared_ptr<const tls_client_context> tls;  // the supervisor's, CA store loaded
    tls_session_store* sessions = nullptr;          // TLS sessions shared by all workers
    std::string_view robots_dir;  // --robots: the run's robots_share directory
};

// Runs the chunk to the end. Returns the process exit status: 0 when every
// line has a record, 3 when stopped by a signal.
int run_worker(const worker_setup& setup);

}  // namespace shoal
