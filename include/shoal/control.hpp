// control: the message channel between the supervisor and the writer, a
// SOCK_SEQPACKET socket pair (message boundaries, and descriptor passing for
// the read ends of worker pipes).
//
//   supervisor -> writer: open_chunk (+ the pipe's read end), records (frames
//                         the supervisor made itself, e.g. crash records), finish
//   writer -> supervisor: chunk_done (the pipe reached end of file)
#pragma once

#include <cstdint>
#include <string>

namespace shoal {

enum class control_kind : std::uint8_t { open_chunk = 1, records = 2, finish = 3, chunk_done = 4 };

struct control_message {
    control_kind kind = control_kind::finish;
    std::uint64_t chunk_id = 0;
    std::uint64_t count = 0;  // open_chunk: lines expected; chunk_done: records received
    std::string payload;      // records: frames
    int fd = -1;              // open_chunk: the pipe's read end
};

// Creates the socket pair: [0] for the supervisor, [1] for the writer.
void make_control_pair(int fds[2]);

// Sends m (and m.fd when >= 0). Returns false with errno set on failure.
bool send_control(int sock, const control_message& m);

// Receives one message. Returns 1 on a message, 0 when the peer closed,
// -1 with errno set on error (EAGAIN when non-blocking and nothing is there).
int receive_control(int sock, control_message& m);

}  // namespace shoal
