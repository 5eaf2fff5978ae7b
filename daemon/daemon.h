// Daemon: `vidx daemon` — the catalog, the configuration's model, the library indexer, the
// search service and the local API on daemon.socket, with the systemd notify protocol.
//
//   Start():  state directory, catalog (RocksDB's lock keeps a second daemon or a one-shot
//             `vidx index` out), strict model load + probe, generations opened (a changed
//             fingerprint starts the blue/green build), socket bound (mode 0660), then, when
//             web.listen is set, the web listener (docs/web.md): <state_dir>/web.token made
//             if missing, the TCP port bound, <state_dir>/web.address written.
//   Run():    the indexer runs; READY=1; STATUS= and WATCHDOG=1 every few seconds; returns
//             after RequestStop() with STOPPING=1 sent, the API and the web listener closed
//             (web.address removed), the chunk in flight cancelled and the index snapshotted.
//
// API (HTTP/1.1 + JSON, one request per connection; documents in daemon/api_json.h):
//   GET /v1/status, POST /v1/search, POST /v1/reindex. Errors: 400 bad request, 404 unknown
//   path, 405 wrong method, 409 fingerprint mismatch, 503 nothing searchable yet.
//
// Thread-safety: Request*() may be called from any thread (a signal-handling thread);
// Handle() from the API's worker threads.
#ifndef VIDX_DAEMON_DAEMON_H_
#define VIDX_DAEMON_DAEMON_H_

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "config/config.h"
#include "daemon/api_server.h"
#include "daemon/http_message.h"
#include "daemon/library_indexer.h"
#include "daemon/sd_notify.h"
#include "daemon/search_service.h"
#include "search/catalog.h"
#include "web/http_server.h"
#include "web/web_routes.h"

namespace vidx {

class Daemon {
 public:
  // `config_path` is what SIGHUP re-reads (empty: built-in defaults). Errors name the file,
  // key or socket at fault: kInvalidArgument for configuration, kFailedPrecondition for a
  // refused model or a socket another daemon answers on, kIoError otherwise.
  static StatusOr<std::unique_ptr<Daemon>> Start(std::string config_path, Config config);
  ~Daemon();

  Status Run();
  void RequestStop();
  void RequestReload();

  HttpResponse Handle(const HttpRequest& request);

 private:
  class WebSide;  // the WebBackend of the web routes (daemon.cpp)

  Daemon();
  // The web listener when config.web.listen is set; errors name web.listen or the file.
  Status StartWeb(const Config& config);
  void StopWeb();  // closes the listener and removes web.address; idempotent
  StatusOr<nlohmann::json> StatusDocument();
  HttpResponse Search(const HttpRequest& request);
  HttpResponse StatusResponse();
  std::string StatusLine() const;  // for STATUS=
  // Sends `state` to systemd. A failure is logged once per kind (status code) until a
  // notification gets through again, not on every tick. Run()'s thread only.
  void Notify(const std::string& state);

  std::unique_ptr<Catalog> catalog_;
  SearchService search_;
  std::unique_ptr<LibraryIndexer> indexer_;
  std::unique_ptr<ApiServer> api_;
  std::unique_ptr<WebSide> web_side_;
  std::unique_ptr<WebRoutes> web_routes_;
  std::unique_ptr<HttpServer> web_;
  std::string web_address_path_;  // <state_dir>/web.address while the listener is up
  SystemdNotifier notifier_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool reload_ = false;
  std::atomic<int64_t> searches_{0};
  std::set<StatusCode> notify_failures_;  // kinds logged since the last notification that worked
};

}  // namespace vidx

#endif  // VIDX_DAEMON_DAEMON_H_
