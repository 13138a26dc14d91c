// The worker process: lanes of fetches over one chunk (see worker.hpp).
#include "shoal/worker.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <algorithm>
#include <deque>
#include <utility>
#include <vector>

#include "shoal/charset.hpp"
#include "shoal/control.hpp"
#include "shoal/cpu_gauge.hpp"
#include "shoal/extractor.hpp"
#include "shoal/fetcher.hpp"
#include "shoal/frame.hpp"
#include "shoal/line_picker.hpp"
#include "shoal/robots.hpp"
#include "shoal/robots_cache.hpp"
#include "shoal/robots_share.hpp"
#include "shoal/sys.hpp"
#include "shoal/url_source.hpp"

namespace shoal {

namespace net = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t max_pending_bytes = 1u << 20;
constexpr std::size_t batch_bytes = 64 * 1024;
constexpr auto batch_wait = std::chrono::milliseconds(2);
// Fetched pages waiting for extraction at most; more are extracted at once.
constexpr std::size_t max_fetched = 256;
// Lines that may wait for a busy origin's connection, per lane.
constexpr std::size_t picker_window = 64;
// How often the CPU gauge is read (see cpu_gauge.hpp); the first reading
// sooner, since lanes wait for it before they join busy hosts.
constexpr auto gauge_period = std::chrono::milliseconds(100);
constexpr auto gauge_first = std::chrono::milliseconds(25);
// Lines are handed back only when they would keep this worker busy at least
// this long more, at its pace so far: less is not worth a new worker.
constexpr auto hand_back_min = std::chrono::milliseconds(50);

// A broadcast wake-up for coroutines on one thread: wait() suspends until
// the next notify(). Callers re-check their condition in a loop.
class event {
public:
    explicit event(net::io_context& io) : timer_(io, net::steady_timer::time_point::max()) {}
    net::awaitable<void> wait() {
        ++waiting_;
        co_await timer_.async_wait(use_tuple);
        --waiting_;
    }
    void notify() {
        if (waiting_ > 0) timer_.cancel();
    }

private:
    net::steady_timer timer_;
    unsigned waiting_ = 0;
};

// A page fetched and waiting to be decoded and extracted into its record.
struct fetched {
    record rec;
    fetch_result result;
};

class chunk_crawl {
public:
    chunk_crawl(const worker_setup& s, net::io_context& io)
        : setup_(s),
          io_(io),
          fetcher_(io, fetch_config_of(s)),
          pipe_(io, s.records_fd),
          data_ready_(io),
          space_ready_(io),
          grace_(io),
          batch_timer_(io),
          gauge_timer_(io),
          parked_(io),
          picker_(s.work.lines, picker_window * std::size_t{s.options.concurrency},
                  [this](const std::string& origin) { return fetcher_.has_idle(origin); }) {
        if (s.options.robots) {
            if (!s.robots_dir.empty()) robots_share_.emplace(std::string(s.robots_dir));
            // Another worker's fetch of a robots.txt is waited for as long as
            // one fetch with its retries may take, then this one fetches too.
            const auto wait_limit = std::chrono::seconds(
                static_cast<long>(s.options.timeout_s * (s.options.retries + 1)) + 35);
            robots_.emplace(io, fetcher_, robots_token(s.options.user_agent),
                            robots_share_ ? &*robots_share_ : nullptr, wait_limit);
        }
        // Fault injection for the recovery tests: a worker that meets a URL
        // containing this text aborts, as a crash on a hostile page would.
        if (const char* v = std::getenv("SHOAL_FAULT_ABORT_URL")) abort_on_ = v;
        // Fault injection for the limits tests: after its first record, the
        // worker holds every descriptor it can open for this many seconds,
        // as if it had run out of them (run it under a low fd limit).
        if (const char* v = std::getenv("SHOAL_FAULT_HOLD_FDS")) hold_fds_s_ = std::atof(v);
        // Until the first reading, lanes do not open second connections: a
        // CPU-bound crawl would otherwise open them all in its first moments.
        gauge_.assume(true);
        // For the tests: the CPU counts as the limit throughout (1) or never (0).
        if (const char* v = std::getenv("SHOAL_FAULT_CPU_SATURATED")) {
            gauge_fixed_ = true;
            gauge_.assume(*v == '1');
        }
    }

    // Starts lanes and the flusher; on_done runs when the last record is written.
    void start(std::function<void()> on_done) {
        on_done_ = std::move(on_done);
        started_ = clock_type::now();
        const auto& lines = setup_.work.lines;
        lanes_ = static_cast<unsigned>(std::min<std::size_t>(setup_.options.concurrency, lines.size()));
        busy_ = lanes_;
        if (lanes_ == 0) lanes_done_ = true;
        for (unsigned i = 0; i < lanes_; ++i) net::co_spawn(io_, lane(), rethrow);
        net::co_spawn(io_, flush_loop(), rethrow);
        if (!lanes_done_ && !gauge_fixed_) net::co_spawn(io_, gauge_loop(), rethrow);
    }

    // SIGTERM: take no more lines, let in-flight fetches end within the grace
    // time. More SIGTERMs change nothing (a `kill -TERM` of the whole process
    // group and the supervisor's forwarding both arrive); the supervisor's
    // "stop now" is SIGKILL.
    void on_signal() {
        if (stopping_) return;
        stopping_ = true;
        fetcher_.stop();  // fetches not yet sent end now, without records
        parked_.notify();
        // Retries waiting for a place go on, to end at once (not fetching).
        for (net::steady_timer* t : std::exchange(slot_queue_, {})) {
            ++busy_;
            t->cancel();
        }
        // With the lanes done, only records are left to write: nothing to
        // give a grace (a timer armed now would hold io_ after the last write).
        if (lanes_done_) return;
        grace_.expires_after(std::chrono::duration_cast<clock_type::duration>(
            std::chrono::duration<double>(setup_.options.grace_s)));
        grace_.async_wait([this](boost::system::error_code ec) {
            if (!ec) io_.stop();
        });
    }

    // SIGUSR1: the supervisor has a worker slot free at the end of the input
    // and nothing else to start. About half of the lines not yet started go
    // back to it, to run in a new worker beside this one (whole hosts, see
    // line_picker::give_away), when they are worth a new worker; the answer
    // goes back either way, an empty one for none.
    void hand_back() {
        std::vector<std::size_t> given;
        if (!stopping_ && worth_handing_back()) given = picker_.give_away();
        if (setup_.status_fd >= 0) {
            std::string note = handed_back_note(given);
            (void)sys::write_all(setup_.status_fd, note.data(), note.size());
        }
        if (!given.empty() && picker_.exhausted()) {
            announce_draining();
            parked_.notify();  // the waiting lanes end
        }
    }

    bool stopped_early() const { return stopping_; }

private:
    // The fetcher's settings; its callbacks reach members set up after it
    // (robots_), which they are only called after.
    fetch_config fetch_config_of(const worker_setup& s) {
        fetch_config c;
        c.timeout_s = s.options.timeout_s;
        c.max_body = s.options.max_body;
        c.retries = s.options.retries;
        c.max_redirects = s.options.max_redirects;
        c.limiter = s.limiter;
        c.ledger = s.ledger;
        c.limiter_entries = s.options.concurrency;
        c.pacer = s.pacer;
        c.idle_cap = s.idle_cap;
        c.insecure = s.options.insecure;
        c.ca_file = s.options.ca_file;
        c.user_agent = s.options.user_agent;
        c.headers = s.options.headers;
        c.tls = s.tls;
        c.shared_sessions = s.sessions;
        c.made_own_tls_context = [this] { announce(worker_note::own_tls); };
        c.before_connect = [this] {
            if (held_fds_) grab_descriptors();
        };
        c.proxy = proxy_of(s.options);
        c.backoff_begins = [this] { backoff_begins(); };
        c.backoff_ends = [this] { return backoff_ends(); };
        if (s.options.robots) {
            c.gate = [this](const target_url& u) { return robots_->check(u); };
            c.min_spacing = [this](const std::string& origin) { return robots_->crawl_delay(origin); };
        }
        return c;
    }

    static void rethrow(std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
    }

    // A fetch waiting for its retry's backoff holds no place among the
    // worker's --concurrency: its lane gives the place to the first retry
    // waiting for one, else to a new lane while lines are left to start; it
    // takes one again before its next attempt, in turn (FIFO), from a lane
    // that ends or goes between lines. Lanes in a backoff hold no connection
    // and no --per-host slot: busy_ <= concurrency keeps both within what was
    // sized for --concurrency. At most max_lanes lanes: past that, a lane in
    // a backoff leaves its place empty (memory stays bounded by -c, not by
    // the lines that fail at once).
    void backoff_begins() {
        if (!slot_queue_.empty()) {
            hand_place();
            return;
        }
        --busy_;
        if (!stopping_ && !picker_.exhausted() && lanes_ < max_lanes()) {
            ++lanes_;
            ++busy_;
            net::co_spawn(io_, lane(), rethrow);
        }
    }

    net::awaitable<void> backoff_ends() {
        if (stopping_ || (busy_ < setup_.options.concurrency && slot_queue_.empty())) {
            ++busy_;
            co_return;
        }
        net::steady_timer turn(io_, net::steady_timer::time_point::max());
        slot_queue_.push_back(&turn);
        // Lanes parked for the CPU look again, once, and give their places.
        if (slot_queue_.size() == 1) parked_.notify();
        co_await turn.async_wait(use_tuple);  // hand_place() or a stop: busy_ counts this one
    }

    // A place that comes free goes to the first retry waiting for one
    // (busy_ unchanged), else it is free.
    void hand_place() {
        if (slot_queue_.empty()) {
            --busy_;
            return;
        }
        net::steady_timer* first = slot_queue_.front();
        slot_queue_.pop_front();
        first->cancel();
    }

    unsigned max_lanes() const { return std::max(8 * setup_.options.concurrency, 64u); }

    net::awaitable<void> lane() {
        std::string finished_origin;  // where this lane's last fetch went
        while (!stopping_) {
            // Between lines, a lane gives its place to a retry waiting for one.
            if (!slot_queue_.empty()) break;
            auto picked = picker_.next(finished_origin, !gauge_.saturated());
            // The origin's last line may be the one this lane took: it goes
            // on the connection the lane just freed.
            if (!finished_origin.empty() && picker_.done_with(finished_origin) &&
                !(picked && picked->origin == finished_origin))
                fetcher_.close_idle(finished_origin);  // its memory, its descriptor
            if (!picked) {
                if (picker_.exhausted()) break;
                // What is left waits for hosts being fetched, and the CPU is
                // the limit: wait until it has room or those lines are gone.
                finished_origin.clear();
                co_await parked_.wait();
                continue;
            }
            if (picker_.exhausted()) {
                announce_draining();
                parked_.notify();  // the waiting lanes end
            }
            finished_origin = std::move(picked->origin);  // crawl_line needs the URL, not this
            co_await crawl_line(std::move(*picked));
            if (hold_fds_s_ > 0) hold_descriptors();
            while (pending_.size() > max_pending_bytes && !write_failed_) co_await space_ready_.wait();
        }
        hand_place();
        if (--lanes_ == 0) {
            process_fetched();
            append_counters_frame(fetcher_.counters(), pending_);  // the last frame, for --stats
            lanes_done_ = true;
            grace_.cancel();
            batch_timer_.cancel();
            gauge_timer_.cancel();
            data_ready_.notify();
        }
    }

    // Fetches one line. The page is decoded and extracted later, by
    // process_fetched(), so that the lane sends its next request first: the
    // requests of all lanes whose answers arrived together go out together,
    // and the server (and this worker) wake up once for them, not per page.
    net::awaitable<void> crawl_line(picked_line picked) {
        const input_line& line = *picked.line;
        if (!abort_on_.empty() && line.text.find(abort_on_) != std::string::npos) std::abort();
        fetched page;
        record& r = page.rec;
        r.line = line.number;
        r.url = line.text;
        if (auto* e = std::get_if<url_error>(&picked.url)) {
            // An overlong line comes one byte longer than the limit, to be
            // told apart; its record keeps the limit's bytes.
            if (r.url.size() > url_source::max_line_bytes) r.url.resize(url_source::max_line_bytes);
            r.stage = error_stage::input;
            r.error_code = std::move(e->code);
            r.error_message = std::move(e->message);
            r.fields = setup_.rules.empty_fields();
            add_record(r);
            co_return;
        }
        auto start = clock_type::now();
        page.result =
            co_await fetch_with_descriptors(line.text, std::move(std::get<target_url>(picked.url)));
        // The run stopped before it was sent: the line is left for a rerun.
        if (page.result.abandoned) co_return;
        r.elapsed_ms = std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
        fetched_.push_back(std::move(page));
        if (fetched_.size() >= max_fetched) {
            process_fetched();
        } else if (!process_posted_) {
            process_posted_ = true;
            net::post(io_, [this] { process_fetched(); });
        }
    }

    // Decodes and extracts every fetched page, in the order fetched, into
    // records.
    void process_fetched() {
        process_posted_ = false;
        for (fetched& page : fetched_) {
            finish(page);
            add_record(page.rec);
        }
        fetched_.clear();
    }

    void finish(fetched& page) {
        record& r = page.rec;
        fetch_result& f = page.result;
        std::string_view body = decode_body(f, setup_.options.max_body, decoded_);
        r.status = f.status;
        r.final_url = std::move(f.final_url);
        r.attempts = f.attempts;
        r.bytes = body.size();
        r.stage = f.stage;
        r.error_code = std::move(f.error_code);
        r.error_message = std::move(f.error_message);
        if (!body.empty() && worth_extracting(f.content_type)) {
            std::string charset = detect_charset(body, f.content_type);
            // Most pages are valid UTF-8 already: extract from the body itself
            // instead of a converted copy.
            std::string converted;
            std::string_view text = body;
            if (charset != "UTF-8" || !is_valid_utf8(body)) {
                converted = to_utf8(body, charset);
                text = converted;
            } else if (text.starts_with("\xEF\xBB\xBF")) {
                text.remove_prefix(3);  // a byte order mark is no text, as to_utf8 drops it
            }
            extraction e = setup_.rules.extract(text, charset_currency_hint(charset), r.final_url);
            r.title = std::move(e.title);
            r.price = std::move(e.price);
            r.fields = std::move(e.fields);
        } else {
            r.fields = setup_.rules.empty_fields();
        }
    }

    bool worth_handing_back() const {
        const std::size_t left = picker_.left();
        if (left < 2) return false;
        if (records_ == 0) return true;  // not one line done yet: what is left is slow
        const auto elapsed = clock_type::now() - started_;
        return elapsed * static_cast<double>(left) / static_cast<double>(records_) >= hand_back_min;
    }

    void add_record(const record& r) {
        ++records_;
        append_frame(r, pending_);
        data_ready_.notify();
        if (pending_.size() >= batch_bytes) batch_timer_.cancel();
    }

    static bool out_of_descriptors(const fetch_result& f) {
        return f.error_code == "too_many_open_files";  // EMFILE or ENFILE
    }

    // Running out of file descriptors (EMFILE, ENFILE) is not the URL's
    // fault: the fetch closes the kept-alive connections, waits for fetches
    // in flight to free theirs, and starts again, without an error record.
    // Only when no fetch of this worker has ended for --timeout plus a second
    // (every connection in use would have hit its deadline by then, so
    // nothing here is going to free one) does the error become the record.
    // `text` is the line url was parsed from: a fetch that starts again
    // parses it again, so the common case moves url instead of copying it.
    net::awaitable<fetch_result> fetch_with_descriptors(const std::string& text, target_url url) {
        const auto stalled = std::chrono::duration_cast<clock_type::duration>(
            std::chrono::duration<double>(setup_.options.timeout_s + 1.0));
        auto wait = std::chrono::milliseconds(10);
        for (bool first = true;; first = false) {
            // Not a ?: inside the co_await: GCC 12 evaluates both of its
            // arms there, parsing the URL again on every fetch.
            if (!first) url = std::get<target_url>(parse_url(text));
            fetch_result f = co_await fetcher_.fetch(std::move(url));
            auto now = clock_type::now();
            if (!out_of_descriptors(f)) {
                last_fetch_end_ = now;
                co_return f;
            }
            if (now - last_fetch_end_ > stalled) co_return f;
            if (!fd_wait_reported_) {
                fd_wait_reported_ = true;
                std::fprintf(stderr, "shoal: worker %u: out of file descriptors (%s); fetches wait for one\n",
                             setup_.worker_no, f.error_message.c_str());
            }
            fetcher_.close_idle();
            net::steady_timer t(io_, wait);
            co_await t.async_wait(use_tuple);
            wait = std::min(wait * 2, std::chrono::milliseconds(500));
        }
    }

    // SHOAL_FAULT_HOLD_FDS: for hold_fds_s_ seconds, takes every descriptor
    // that is free, and every one freed meanwhile (looked for before each
    // new connection, so a lane that closed one cannot open the next with
    // it, and every 2 ms); then gives them all back.
    void hold_descriptors() {
        const auto until = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                                   std::chrono::duration<double>(std::exchange(hold_fds_s_, 0.0)));
        held_fds_.emplace();
        grab_descriptors();
        std::fprintf(stderr, "shoal: worker %u: fault injection: holding %zu descriptors (%s)\n",
                     setup_.worker_no, held_fds_->size(), std::strerror(errno));
        net::co_spawn(
            io_,
            [this, until]() -> net::awaitable<void> {
                net::steady_timer t(io_);
                while (clock_type::now() < until) {
                    t.expires_after(std::chrono::milliseconds(2));
                    co_await t.async_wait(use_tuple);
                    grab_descriptors();
                }
                for (int fd : *held_fds_) ::close(fd);
                held_fds_.reset();
            },
            net::detached);
    }

    void grab_descriptors() {
        for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) held_fds_->push_back(fd);
    }

    // Writes what lanes produced to the pipe, in batches.
    net::awaitable<void> flush_loop() {
        std::string inflight;
        for (;;) {
            if (pending_.empty()) {
                if (lanes_done_) break;
                co_await data_ready_.wait();
                continue;
            }
            // Batch: let a few more records arrive, so that one write(2)
            // carries many of them (the writer reads in big pieces too).
            if (pending_.size() < batch_bytes && !lanes_done_) {
                batch_timer_.expires_after(batch_wait);
                co_await batch_timer_.async_wait(use_tuple);
            }
            inflight.swap(pending_);
            auto [ec, n] = co_await net::async_write(pipe_, net::buffer(inflight), use_tuple);
            inflight.clear();
            space_ready_.notify();
            if (ec) {
                // A broken pipe means the writer is gone: the supervisor says so.
                if (ec != net::error::broken_pipe)
                    std::fprintf(stderr, "shoal: worker %u: writer pipe: %s\n", setup_.worker_no,
                                 ec.message().c_str());
                write_failed_ = true;
                io_.stop();  // the lines without records are re-run or resumed
                co_return;
            }
        }
        boost::system::error_code ignored;
        pipe_.close(ignored);
        if (on_done_) on_done_();
    }

    // Reads the CPU gauge while lanes run; lanes that wait for room get it
    // once the CPU is no longer the limit.
    net::awaitable<void> gauge_loop() {
        for (bool first = true; !lanes_done_; first = false) {
            gauge_timer_.expires_after(first ? gauge_first : gauge_period);
            co_await gauge_timer_.async_wait(use_tuple);
            if (lanes_done_) break;
            gauge_.sample();
            if (!gauge_.saturated()) parked_.notify();
        }
    }

    void announce_draining() {
        if (!std::exchange(draining_announced_, true)) announce(worker_note::draining);
    }

    // One byte to the supervisor: draining, every line is taken (its slot is
    // free for the next chunk); own_tls, this worker met https without the
    // supervisor's TLS context (through a redirect) and made its own, so the
    // supervisor makes one for the workers after it.
    void announce(worker_note what) {
        const char c = static_cast<char>(what);
        if (setup_.status_fd >= 0) (void)sys::write_all(setup_.status_fd, &c, 1);
    }

    const worker_setup& setup_;
    net::io_context& io_;
    fetcher fetcher_;
    std::optional<robots_share> robots_share_;  // --robots: what the run's workers learned
    std::optional<robots_cache> robots_;        // --robots: fetcher_'s gate
    net::posix::stream_descriptor pipe_;
    event data_ready_, space_ready_;
    net::steady_timer grace_;
    net::steady_timer batch_timer_;
    net::steady_timer gauge_timer_;
    cpu_gauge gauge_;
    bool gauge_fixed_ = false;  // SHOAL_FAULT_CPU_SATURATED
    event parked_;              // lanes waiting for the CPU to have room
    unsigned busy_ = 0;  // lanes not waiting in a retry's backoff: at most --concurrency
    // Retries whose backoff is over, waiting for a place, in turn (see backoff_begins).
    std::deque<net::steady_timer*> slot_queue_;
    std::function<void()> on_done_;
    clock_type::time_point started_ = clock_type::now();
    std::size_t records_ = 0;  // records made so far
    std::string abort_on_;
    double hold_fds_s_ = 0;
    std::optional<std::vector<int>> held_fds_;  // while the hold lasts
    bool fd_wait_reported_ = false;
    clock_type::time_point last_fetch_end_ = clock_type::now();
    std::vector<fetched> fetched_;  // pages fetched, not yet decoded and extracted
    bool process_posted_ = false;
    std::string decoded_;           // the decoded page, its capacity reused
    std::string pending_;
    line_picker picker_;
    bool draining_announced_ = false;
    unsigned lanes_ = 0;
    bool lanes_done_ = false;
    bool stopping_ = false;
    bool write_failed_ = false;
};

std::string title_of(const worker_setup& s) {
    const auto& lines = s.work.lines;
    std::string t = "shoal: worker " + std::to_string(s.worker_no) + " lines ";
    if (lines.empty()) return t + "none";
    return t + std::to_string(lines.front().number) + "-" + std::to_string(lines.back().number);
}

}  // namespace

int run_worker(const worker_setup& setup) {
    sys::set_process_title(title_of(setup));
    ::signal(SIGPIPE, SIG_IGN);
    net::io_context io(1);
    chunk_crawl crawl(setup, io);
    // SIGTERM, and SIGUSR1 (hand lines back): SIGINT and SIGHUP stay
    // ignored, so a Ctrl-C that reaches the whole process group is handled
    // once, by the supervisor.
    net::signal_set signals(io, SIGTERM, SIGUSR1);
    bool done = false;
    std::function<void(boost::system::error_code, int)> on_signal =
        [&](boost::system::error_code ec, int sig) {
            if (ec || done) return;
            if (sig == SIGUSR1) crawl.hand_back();
            else crawl.on_signal();
            signals.async_wait(on_signal);
        };
    signals.async_wait(on_signal);
    // The supervisor forks workers with SIGUSR1 and SIGTERM blocked, so
    // that one sent before the handler above was in place waits for it
    // instead of killing (or being lost).
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigaddset(&usr1, SIGTERM);
    ::sigprocmask(SIG_UNBLOCK, &usr1, nullptr);
    // Lanes and the flusher end by themselves; then the signal wait must not
    // keep run() alive (nor a signal whose handler was queued before).
    crawl.start([&] {
        done = true;
        signals.cancel();
    });
    io.run();
    // Blocked again before the handler goes with `signals`: a request that
    // comes now finds the worker ending, and must not kill it.
    ::sigprocmask(SIG_BLOCK, &usr1, nullptr);
    return crawl.stopped_early() ? 3 : 0;
}

}  // namespace shoal
