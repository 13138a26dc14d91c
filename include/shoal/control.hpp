// control: the message channel between the supervisor and the writer, a
// SOCK_SEQPACKET socket pair (message boundaries, and descriptor passing for
// the read ends of worker pipes).
//
//   supervisor -> writer: open_chunk (+ the pipe's read end), records (frames
//                         the supervisor made itself, e.g. crash records), finish
//   writer -> supervisor: chunk_done (the pipe reached end of file)
//
// Also the worker -> supervisor status pipe, a byte stream of notes (see
// worker_note): 'd' every line is taken, 't' the worker made its own TLS
// context, and 'h' the lines it hands back when asked (SIGUSR1): a 32-bit
// count, then as many 32-bit indexes into its chunk's lines.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shoal {

enum class control_kind : std::uint8_t { open_chunk = 1, records = 2, finish = 3, chunk_done = 4 };

struct control_message {
    control_kind kind = control_kind::finish;
    std::uint64_t chunk_id = 0;  // finish: workers started
    std::uint64_t count = 0;  // open_chunk: lines expected; chunk_done: records received;
                              // finish: lines handed back (see worker_note)
    std::string payload;      // records: frames; finish: "interrupted" when the run was stopped
    int fd = -1;              // open_chunk: the pipe's read end
};

// Creates the socket pair: [0] for the supervisor, [1] for the writer.
void make_control_pair(int fds[2]);

// Sends m (and m.fd when >= 0). Returns false with errno set on failure.
bool send_control(int sock, const control_message& m);

// Receives one message. Returns 1 on a message, 0 when the peer closed,
// -1 with errno set on error (EAGAIN when non-blocking and nothing is there).
int receive_control(int sock, control_message& m);

enum class worker_note : char { draining = 'd', own_tls = 't', handed_back = 'h' };

struct worker_status {
    worker_note note = worker_note::draining;
    std::vector<std::uint32_t> lines;  // handed_back: indexes into the chunk's lines
};

// The bytes of a handed_back note.
std::string handed_back_note(const std::vector<std::size_t>& indexes);

// Takes the first whole note off the front of buf into out. Returns 1 when
// it did, 0 when buf holds only part of one (read more), -1 when buf starts
// with a byte that is no note.
int take_worker_status(std::string& buf, worker_status& out);

}  // namespace shoal
