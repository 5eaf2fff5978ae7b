// ApiServer: the daemon's local API, HTTP/1.1 on a unix socket.
//
// One I/O thread (epoll) accepts connections and reads each request, non-blocking, through an
// HttpRequestParser; a fixed pool of worker threads runs the handler on complete requests and
// writes the responses. One request per connection: every response carries
// "Connection: close" and the connection is closed after it.
//
// What the server answers by itself (JSON {"error": ...}, then close):
//   400 / 413 / 431 / 501 / 505  the request is malformed or over the limits (see
//                                HttpRequestParser); the handler is not called
//   408  the whole request did not arrive within read_timeout_seconds of the connection
//   500  the handler threw
//   503  max_connections are open, or Stop() came before a worker took the request
// Everything else, including unknown paths (404), is the handler's business. A client that
// disconnects half-way is just closed; a client that vanishes while its response is written
// does not raise SIGPIPE (MSG_NOSIGNAL).
//
// Also: "<socket_path>.lock" is created next to the socket and flock()ed while the server
// runs, so that two servers starting at once cannot take the socket from each other; the lock
// file itself is left in place (removing it would reintroduce the race).
//
// Thread-safety: Stop() and the destructor may be called from any thread except a handler
// (a handler calling Stop() would wait for itself).
#ifndef VIDX_DAEMON_API_SERVER_H_
#define VIDX_DAEMON_API_SERVER_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "daemon/api_client.h"
#include "daemon/http_message.h"

namespace vidx {

struct ApiServerOptions {
  std::string socket_path;  // required; at most 107 bytes (sockaddr_un)
  unsigned mode = 0660;     // applied to the socket file (chmod after bind)
  HttpLimits limits;
  int worker_threads = 4;             // threads running the handler (>= 1)
  double read_timeout_seconds = 10;   // the whole request must arrive within this (> 0)
  double write_timeout_seconds = 10;  // a response write that makes no progress this long is
                                      // abandoned (SO_SNDTIMEO; > 0)
  int max_connections = 1024;         // open connections; beyond: 503 and close at once (>= 1)
};

using ApiHandler = std::function<HttpResponse(const HttpRequest&)>;

class ApiServer {
 public:
  // Creates the socket's parent directory if missing (0755), refuses (kFailedPrecondition
  // naming the path) when another process answers on socket_path or holds its lock file,
  // refuses (kFailedPrecondition) when socket_path exists and is not a socket, removes a stale
  // socket file otherwise, binds, chmods, listens (backlog >= 1024) and starts its threads.
  // kInvalidArgument for bad options, kIoError when a system call fails.
  // The handler is called concurrently from worker threads and must be thread-safe; an
  // exception escaping it becomes a 500 response.
  static StatusOr<std::unique_ptr<ApiServer>> Start(ApiServerOptions options, ApiHandler handler);

  ~ApiServer();  // Stop()
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Stops accepting, answers connections whose request is still being read and requests no
  // worker has taken yet with 503, lets in-flight handlers finish and write their responses,
  // closes everything and unlinks the socket (if it is still the one this server bound).
  // Connections still waiting in the listen backlog are reset. Idempotent.
  void Stop();

  const std::string& socket_path() const { return options_.socket_path; }

  // Connections currently open (being read, queued or being answered). For tests and status.
  int open_connections() const { return open_connections_.load(); }

 private:
  struct Connection;
  using ConnectionPtr = std::unique_ptr<Connection>;

  ApiServer(ApiServerOptions options, ApiHandler handler);
  Status Open();  // directory, lock, stale check, bind, chmod, listen, epoll
  void IoLoop();  // the I/O thread
  void AcceptAll();
  void ReadFrom(uint64_t key, char* buffer, size_t size);
  void WorkerLoop();  // a worker thread
  void Serve(Connection* connection);
  void Enqueue(ConnectionPtr connection);
  void SendBestEffort(int fd, const HttpResponse& response);

  const ApiServerOptions options_;
  const ApiHandler handler_;

  FdHolder lock_fd_;
  FdHolder listen_fd_;
  FdHolder epoll_fd_;
  FdHolder wake_fd_;      // eventfd: Stop() wakes the I/O thread
  dev_t socket_dev_ = 0;  // identity of the socket file we bound, to unlink only ours
  ino_t socket_ino_ = 0;

  std::atomic<bool> stopping_{false};
  std::atomic<int> open_connections_{0};

  // I/O thread only: connections being read, keyed by accept order (so the first one has the
  // earliest deadline).
  std::map<uint64_t, ConnectionPtr> reading_;
  uint64_t next_key_ = 16;
  bool accept_paused_ = false;  // after EMFILE/ENFILE, until accept_resume_
  std::chrono::steady_clock::time_point accept_resume_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<ConnectionPtr> queue_;  // complete requests waiting for a worker
  bool workers_stop_ = false;        // guarded by queue_mu_

  std::mutex stop_mu_;
  bool stopped_ = false;  // guarded by stop_mu_
  std::thread io_thread_;
  std::vector<std::thread> workers_;
};

}  // namespace vidx

#endif  // VIDX_DAEMON_API_SERVER_H_
