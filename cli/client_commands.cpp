#include "cli/client_commands.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

#include <spdlog/spdlog.h>

#include "app/api_json.h"
#include "app/status_format.h"
#include "daemon/api_client.h"

namespace vidx {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Seconds a command waits for the daemon's answer (a search may wait for a flip).
constexpr double kApiTimeout = 120;

std::string Absolute(const std::string& path) {
  return path.empty() ? path : fs::absolute(path).lexically_normal().string();
}

// VIDEO[@SECONDS] with VIDEO made absolute (the daemon runs elsewhere).
std::string AbsoluteLike(const std::string& like) {
  const size_t at = like.rfind('@');
  if (at != std::string::npos && at + 1 < like.size() &&
      like.find_first_not_of("0123456789.", at + 1) == std::string::npos) {
    return Absolute(like.substr(0, at)) + like.substr(at);
  }
  return Absolute(like);
}

}  // namespace

StatusOr<Config> LoadConfiguration(const std::string& cli_path, std::string* used_path) {
  bool explicit_choice = false;
  std::string path = ResolveConfigPath(cli_path, &explicit_choice);
  *used_path = path;
  StatusOr<Config> config = LoadConfigFile(path);
  if (!config.ok() && config.status().code() == StatusCode::kNotFound) {
    if (!explicit_choice) {
      used_path->clear();
      return ParseConfig("", "");  // no file anywhere: built-in defaults
    }
    // A file the user named is missing: a usage error (exit 2), like any bad argument.
    return Status::InvalidArgument(config.status().message());
  }
  return config;
}

int ReportError(const Status& status) {
  std::fprintf(stderr, "vidx: %s\n", status.message().c_str());
  return status.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

StatusOr<json> AskDaemon(const Config& config, const std::string& method, const std::string& target,
                         const std::string& body) {
  StatusOr<HttpResponse> r = CallApi(config.daemon.socket, method, target, body, kApiTimeout);
  if (!r.ok()) {
    if (r.status().code() == StatusCode::kPermissionDenied) return r.status();
    if (r.status().code() == StatusCode::kUnavailable ||
        r.status().code() == StatusCode::kIoError) {
      spdlog::debug("no daemon: {}", r.status().message());
      return Status::Unavailable(r.status().message());
    }
    return r.status();
  }
  json doc = json::parse(r->body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::Corruption("the daemon on " + config.daemon.socket +
                              " sent a malformed answer (HTTP " + std::to_string(r->status) + ")");
  }
  if (r->status < 200 || r->status > 299) {  // POST /v1/reindex answers 202 Accepted
    const std::string message = doc.value("error", "HTTP " + std::to_string(r->status));
    if (r->status == 400) return Status::InvalidArgument(message);
    return Status::FailedPrecondition("the daemon says: " + message);
  }
  return doc;
}

int RunSearch(const Config& config, const SearchArgs& args,
              const SearchWithoutDaemon& without_daemon) {
  if (args.text.empty() && args.image.empty() && args.like.empty()) {
    std::fprintf(stderr, "vidx: search needs TEXT, --image FILE or --like VIDEO[@SECONDS]\n");
    return kExitUsage;
  }
  Query q;
  q.text = args.text;
  q.image = Absolute(args.image);
  q.like = AbsoluteLike(args.like);
  q.k = args.k;
  // Text and names need not be UTF-8: invalid bytes become U+FFFD rather than an exception.
  const std::string request =
      SearchRequestJson(q).dump(-1, ' ', false, json::error_handler_t::replace);
  StatusOr<json> doc = AskDaemon(config, "POST", "/v1/search", request);
  if (!doc.ok() && doc.status().code() == StatusCode::kUnavailable) doc = without_daemon(q);
  if (!doc.ok()) return ReportError(doc.status());
  if (args.json) {
    std::cout << doc->dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    std::cout << FormatSearchResults(*doc);
  }
  return kExitOk;
}

int RunStatus(const Config& config, const StatusArgs& args,
              const StatusWithoutDaemon& without_daemon) {
  StatusOr<json> doc = AskDaemon(config, "GET", "/v1/status", "");
  if (!doc.ok() && doc.status().code() == StatusCode::kUnavailable) doc = without_daemon();
  if (!doc.ok()) return ReportError(doc.status());
  if (args.json) {
    std::cout << doc->dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    std::cout << FormatStatus(*doc);
  }
  return kExitOk;
}

int RunReindex(const Config& config) {
  StatusOr<json> doc = AskDaemon(config, "POST", "/v1/reindex", "{}");
  if (!doc.ok() && doc.status().code() == StatusCode::kUnavailable) {
    return ReportError(Status::FailedPrecondition(
        "no daemon answers on " + config.daemon.socket +
        " (daemon.socket); start it with `vidx daemon` or `systemctl start vidx`"));
  }
  if (!doc.ok()) return ReportError(doc.status());
  std::printf("reindex requested; follow it with `vidx status`\n");
  return kExitOk;
}

}  // namespace vidx
