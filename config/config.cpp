#include "config/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include <yaml-cpp/yaml.h>

#include "config/listen_address.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;

std::string Join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

// Reads one YAML document into option structs, recording key positions and turning every
// problem into a Status that names the file, line, column and dotted key.
class Reader {
 public:
  Reader(std::string file, ConfigSource* source) : file_(std::move(file)), source_(source) {}

  Status ErrorAt(const YAML::Mark& mark, const std::string& message) const {
    std::ostringstream out;
    out << file_;
    if (!mark.is_null()) out << ":" << mark.line + 1 << ":" << mark.column + 1;
    out << ": " << message;
    return Status::InvalidArgument(out.str());
  }

  // Checks that `node` is a mapping whose keys are all in `allowed` and appear once.
  Status CheckMap(const YAML::Node& node, const std::string& prefix,
                  const std::set<std::string>& allowed) const {
    if (!node.IsMap()) {
      return ErrorAt(node.Mark(), (prefix.empty() ? std::string("the top level") : prefix) +
                                      " must be a mapping of keys to values");
    }
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;  // a copy: it-> yields a temporary proxy
      if (!key.IsScalar()) return ErrorAt(key.Mark(), "keys must be plain names");
      std::string name = key.Scalar();
      std::string dotted = prefix.empty() ? name : prefix + "." + name;
      if (!allowed.count(name)) {
        return ErrorAt(key.Mark(),
                       "unknown key '" + dotted + "' (expected one of: " + Join(allowed) + ")");
      }
      if (!seen.insert(name).second) {
        return ErrorAt(key.Mark(), "key '" + dotted + "' appears twice");
      }
      source_->Record(dotted, key.Mark().line + 1, key.Mark().column + 1);
    }
    return Status::Ok();
  }

  template <typename T>
  Status Scalar(const YAML::Node& parent, const std::string& prefix, const char* name,
                const char* type_name, T* out) const {
    YAML::Node node = parent[name];
    if (!node) return Status::Ok();
    T value{};
    if (!node.IsScalar() || !YAML::convert<T>::decode(node, value)) {
      return ErrorAt(node.Mark(), Dotted(prefix, name) + " must be " + type_name + " (got " +
                                      Describe(node) + ")");
    }
    *out = value;
    return Status::Ok();
  }

  Status StringList(const YAML::Node& parent, const std::string& prefix, const char* name,
                    std::vector<std::string>* out) const {
    YAML::Node node = parent[name];
    if (!node) return Status::Ok();
    if (node.IsNull()) {
      out->clear();
      return Status::Ok();
    }
    if (!node.IsSequence()) {
      return ErrorAt(node.Mark(), Dotted(prefix, name) + " must be a list of strings (got " +
                                      Describe(node) + ")");
    }
    std::vector<std::string> values;
    for (const auto& item : node) {
      if (!item.IsScalar()) {
        return ErrorAt(item.Mark(), Dotted(prefix, name) + " must contain only strings");
      }
      values.push_back(item.Scalar());
    }
    *out = std::move(values);
    return Status::Ok();
  }

  YAML::Mark MarkOf(const YAML::Node& parent, const char* name) const {
    YAML::Node node = parent[name];
    return node ? node.Mark() : parent.Mark();
  }

  static std::string Dotted(const std::string& prefix, const char* name) {
    return prefix.empty() ? std::string(name) : prefix + "." + name;
  }

 private:
  static std::string Describe(const YAML::Node& node) {
    if (node.IsScalar()) return "'" + node.Scalar() + "'";
    if (node.IsSequence()) return "a list";
    if (node.IsMap()) return "a mapping";
    return "nothing";
  }

  std::string file_;
  ConfigSource* source_;
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

Status ParseLibrary(const Reader& r, const YAML::Node& n, LibraryOptions* o) {
  const std::string p = "library";
  VIDX_RETURN_IF_ERROR(
      r.CheckMap(n, p, {"roots", "extensions", "settle_seconds", "rescan_interval"}));
  VIDX_RETURN_IF_ERROR(r.StringList(n, p, "roots", &o->roots));
  VIDX_RETURN_IF_ERROR(r.StringList(n, p, "extensions", &o->extensions));
  VIDX_RETURN_IF_ERROR(r.Scalar(n, p, "settle_seconds", "a number", &o->settle_seconds));
  VIDX_RETURN_IF_ERROR(r.Scalar(n, p, "rescan_interval", "a number", &o->rescan_interval));
  for (const auto& root : o->roots) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
      return r.ErrorAt(r.MarkOf(n, "roots"),
                       "library.roots entry '" + root + "' is not an existing directory");
    }
  }
  for (auto& ext : o->extensions) {
    if (!ext.empty() && ext[0] == '.') ext.erase(0, 1);
    ext = Lower(ext);
    if (ext.empty() || ext.find('/') != std::string::npos) {
      return r.ErrorAt(r.MarkOf(n, "extensions"),
                       "library.extensions entries must be file extensions such as mp4");
    }
  }
  if (!(o->settle_seconds >= 0) || !std::isfinite(o->settle_seconds)) {
    return r.ErrorAt(r.MarkOf(n, "settle_seconds"),
                     "library.settle_seconds must be 0 or more seconds");
  }
  if (!(o->rescan_interval > 0) || !std::isfinite(o->rescan_interval)) {
    return r.ErrorAt(r.MarkOf(n, "rescan_interval"),
                     "library.rescan_interval must be greater than 0 seconds");
  }
  return Status::Ok();
}

// Reads a key-map rules file:
//   base: hf | openai | open_clip       (default hf)
//   rules:
//     - {prefix: "module.", to: ""}
//     - {regex: "^backbone\\.(.*)$", to: "vision_model.$1"}
Status LoadKeyMapRules(const std::string& path, ModelOptions* o) {
  ConfigSource ignored;
  Reader r(path, &ignored);
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Status::InvalidArgument("key-map rules file " + path + " cannot be read");
  } catch (const YAML::Exception& e) {
    return r.ErrorAt(e.mark, "is not valid YAML: " + e.msg);
  }
  try {
    VIDX_RETURN_IF_ERROR(r.CheckMap(root, "", {"base", "rules"}));
    VIDX_RETURN_IF_ERROR(r.Scalar(root, "", "base", "a string", &o->key_map_base));
    static const std::set<std::string> kBases = {"hf", "openai", "open_clip"};
    if (!kBases.count(o->key_map_base)) {
      return r.ErrorAt(r.MarkOf(root, "base"),
                       "base must be hf, openai or open_clip (got '" + o->key_map_base + "')");
    }
    YAML::Node rules = root["rules"];
    if (rules && !rules.IsSequence()) {
      return r.ErrorAt(rules.Mark(), "rules must be a list of {prefix|regex, to} mappings");
    }
    o->key_map_rules.clear();
    for (const auto& rule : rules) {
      RenameRule parsed;
      if (rule.IsMap() && rule["regex"]) {
        VIDX_RETURN_IF_ERROR(r.CheckMap(rule, "rules[]", {"regex", "to"}));
        parsed.kind = RenameRule::Kind::kRegex;
        VIDX_RETURN_IF_ERROR(r.Scalar(rule, "rules[]", "regex", "a string", &parsed.from));
      } else {
        VIDX_RETURN_IF_ERROR(r.CheckMap(rule, "rules[]", {"prefix", "to"}));
        if (!rule["prefix"]) return r.ErrorAt(rule.Mark(), "a rule needs 'prefix' or 'regex'");
        VIDX_RETURN_IF_ERROR(r.Scalar(rule, "rules[]", "prefix", "a string", &parsed.from));
      }
      if (!rule["to"]) return r.ErrorAt(rule.Mark(), "a rule needs 'to'");
      VIDX_RETURN_IF_ERROR(r.Scalar(rule, "rules[]", "to", "a string", &parsed.to));
      o->key_map_rules.push_back(std::move(parsed));
    }
  } catch (const YAML::Exception& e) {
    return r.ErrorAt(e.mark, "could not be read: " + e.msg);
  }
  return Status::Ok();
}

bool ValidDevice(const std::string& d) {
  if (d == "auto" || d == "cpu" || d == "cuda") return true;
  if (d.rfind("cuda:", 0) != 0 || d.size() == 5) return false;
  return std::all_of(d.begin() + 5, d.end(), [](unsigned char c) { return std::isdigit(c); });
}

Status ParseModel(const Reader& r, const YAML::Node& n, ModelOptions* o) {
  const std::string p = "model";
  VIDX_RETURN_IF_ERROR(r.CheckMap(
      n, p,
      {"path", "key_map", "ignore_unexpected", "device", "precision", "batch_size", "threads"}));
  VIDX_RETURN_IF_ERROR(r.Scalar(n, p, "path", "a path", &o->path));
  VIDX_RETURN_IF_ERROR(r.Scalar(n, p, "key_map", "a string", &o->key_map));
  VIDX_RETURN_IF_ERROR(r.StringList(n, p, "ignore_unexpected", &o->ignore_unexpected));
  VIDX_RETURN_IF_ERROR(r.Scalar(n, p, "device", "a string", &o->device));
  VIDX_RETURN_IF_ERROR(r.Scalar(n, p, "precision", "a string", &o->precision));
  VIDX_RETURN_IF_ERROR(r.Scalar(n, p, "batch_size", "an integer", &o->batch_size));
  VIDX_RETURN_IF_ERROR(r.Scalar(n, p, "threads", "an integer", &o->threads));
  if (o->path.empty()) return r.ErrorAt(r.MarkOf(n, "path"), "model.path must not be empty");
  static const std::set<std::string> kBuiltinMaps = {"hf", "openai", "open_clip"};
  if (!kBuiltinMaps.count(o->key_map)) {
    std::error_code ec;
    if (!fs::is_regular_file(o->key_map, ec)) {
      return r.ErrorAt(r.MarkOf(n, "key_map"),
                       "model.key_map must be hf, openai, open_clip or the path of a rename-rule "
                       "file, and '" +
                           o->key_map + "' is none of these");
    }
    VIDX_RETURN_IF_ERROR(LoadKeyMapRules(o->key_map, o));
  } else {
    o->key_map_base = o->key_map;
  }
  if (!ValidDevice(o->device)) {
    return r.ErrorAt(r.MarkOf(n, "device"),
                     "model.device must be auto, cpu, cuda or cuda:N (got '" + o->device + "')");
  }
  static const std::set<std::string> kPrecisions = {"auto", "fp32", "fp16", "bf16", "int8"};
  if (!kPrecisions.count(o->precision)) {
    return r.ErrorAt(
        r.MarkOf(n, "precision"),
        "model.precision must be one of " + Join(kPrecisions) + " (got '" + o->precision + "')");
  }
  if (o->precision == "int8" && o->device != "auto" && o->device != "cpu") {
    return r.ErrorAt(r.MarkOf(n, "precision"),
                     "model.precision int8 runs on the CPU only, so model.device must be cpu or "
                     "auto (got '" +
                         o->device + "')");
  }
  if (o->batch_size <= 0) {
    return r.ErrorAt(r.MarkOf(n, "batch_size"), "model.batch_size must be greater than 0");
  }
  if (o->threads < 0) {
    return r.ErrorAt(r.MarkOf(n, "threads"), "model.threads must be 0 (all cores) or more");
  }
  return Status::Ok();
}

Status ParseSampling(const Reader& r, const YAML::Node& n, SamplingSettings* o) {
  const std::string p = "sampling";
  VIDX_RETURN_IF_ERROR(
      r.CheckMap(n, p, {"fps", "max_frames", "keyframe_tolerance", "clip_frames", "skip_similar"}));
  VIDX_RETURN_IF_ERROR(r.Scalar(n, p, "fps", "a number", &o->fps));
  VIDX_RETURN_IF_ERROR(r.Scalar(n, p, "max_frames", "an integer", &o->max_frames));
  VIDX_RETURN_IF_ERROR(r.Scalar(n, p, "clip_frames", "an integer", &o->clip_frames));
  if (YAML::Node tol = n["keyframe_tolerance"]) {
    if (tol.IsScalar() && tol.Scalar() == "auto") {
      o->keyframe_tolerance = -1;
    } else {
      VIDX_RETURN_IF_ERROR(r.Scalar(n, p, "keyframe_tolerance", "'auto' or a number of seconds",
                                    &o->keyframe_tolerance));
      if (!(o->keyframe_tolerance >= 0) || !std::isfinite(o->keyframe_tolerance)) {
        return r.ErrorAt(tol.Mark(),
                         "sampling.keyframe_tolerance must be 'auto' or 0 or more "
                         "seconds");
      }
    }
  }
  if (YAML::Node skip = n["skip_similar"]) {
    if (skip.IsScalar() && skip.Scalar() == "off") {
      o->skip_similar = 0;
    } else {
      VIDX_RETURN_IF_ERROR(
          r.Scalar(n, p, "skip_similar", "'off' or a number of grey levels", &o->skip_similar));
      if (!(o->skip_similar > 0 && o->skip_similar <= 255)) {
        return r.ErrorAt(skip.Mark(),
                         "sampling.skip_similar must be 'off' or a number of grey levels "
                         "greater than 0 and at most 255");
      }
    }
  }
  if (!(o->fps > 0) || !std::isfinite(o->fps)) {
    std::ostringstream got;
    got << o->fps;
    return r.ErrorAt(r.MarkOf(n, "fps"),
                     "sampling.fps must be greater than 0 (got " + got.str() + ")");
  }
  if (o->max_frames <= 0) {
    return r.ErrorAt(r.MarkOf(n, "max_frames"), "sampling.max_frames must be greater than 0");
  }
  if (o->clip_frames < 1) {
    return r.ErrorAt(r.MarkOf(n, "clip_frames"), "sampling.clip_frames must be 1 or more");
  }
  return Status::Ok();
}

Status ParseIndex(const Reader& r, const YAML::Node& n, IndexOptions* o) {
  VIDX_RETURN_IF_ERROR(r.CheckMap(n, "index", {"factory"}));
  VIDX_RETURN_IF_ERROR(r.Scalar(n, "index", "factory", "a FAISS factory string", &o->factory));
  if (o->factory.empty()) {
    return r.ErrorAt(r.MarkOf(n, "factory"), "index.factory must not be empty");
  }
  return Status::Ok();
}

Status ParseDaemon(const Reader& r, const YAML::Node& n, DaemonOptions* o) {
  VIDX_RETURN_IF_ERROR(
      r.CheckMap(n, "daemon", {"socket", "snapshot_interval", "index_nice", "index_chunk_frames"}));
  VIDX_RETURN_IF_ERROR(r.Scalar(n, "daemon", "socket", "a path", &o->socket));
  VIDX_RETURN_IF_ERROR(
      r.Scalar(n, "daemon", "snapshot_interval", "a number", &o->snapshot_interval));
  VIDX_RETURN_IF_ERROR(r.Scalar(n, "daemon", "index_nice", "an integer", &o->index_nice));
  VIDX_RETURN_IF_ERROR(
      r.Scalar(n, "daemon", "index_chunk_frames", "an integer", &o->index_chunk_frames));
  if (o->socket.empty() || o->socket[0] != '/') {
    return r.ErrorAt(r.MarkOf(n, "socket"), "daemon.socket must be an absolute path");
  }
  if (!(o->snapshot_interval > 0) || !std::isfinite(o->snapshot_interval)) {
    return r.ErrorAt(r.MarkOf(n, "snapshot_interval"),
                     "daemon.snapshot_interval must be greater than 0 seconds");
  }
  if (o->index_nice < 0 || o->index_nice > 19) {
    return r.ErrorAt(r.MarkOf(n, "index_nice"), "daemon.index_nice must be 0 to 19");
  }
  if (o->index_chunk_frames < 0) {
    return r.ErrorAt(r.MarkOf(n, "index_chunk_frames"),
                     "daemon.index_chunk_frames must be 0 or more");
  }
  return Status::Ok();
}

Status ParseWeb(const Reader& r, const YAML::Node& n, WebOptions* o) {
  VIDX_RETURN_IF_ERROR(r.CheckMap(n, "web", {"listen", "thumb_cache_mb"}));
  if (YAML::Node listen = n["listen"]; listen && listen.IsNull()) {
    o->listen.clear();  // `listen:` with nothing after it: no listener, like ""
  } else {
    VIDX_RETURN_IF_ERROR(
        r.Scalar(n, "web", "listen", "IPV4:PORT, [IPV6]:PORT or \"\"", &o->listen));
  }
  VIDX_RETURN_IF_ERROR(r.Scalar(n, "web", "thumb_cache_mb", "an integer", &o->thumb_cache_mb));
  if (!o->listen.empty()) {
    StatusOr<ListenAddress> address = ParseListenAddress(o->listen);
    if (!address.ok()) {
      return r.ErrorAt(r.MarkOf(n, "listen"), "web.listen " + address.status().message() +
                                                  "; use e.g. 127.0.0.1:8421, or \"\" for "
                                                  "no web listener");
    }
  }
  if (o->thumb_cache_mb < 1 || o->thumb_cache_mb > (int64_t{1} << 20)) {
    return r.ErrorAt(r.MarkOf(n, "thumb_cache_mb"),
                     "web.thumb_cache_mb must be between 1 and 1048576 (got " +
                         std::to_string(o->thumb_cache_mb) + ")");
  }
  return Status::Ok();
}

Status ParseLogging(const Reader& r, const YAML::Node& n, LoggingOptions* o) {
  VIDX_RETURN_IF_ERROR(r.CheckMap(n, "logging", {"level"}));
  VIDX_RETURN_IF_ERROR(r.Scalar(n, "logging", "level", "a string", &o->level));
  static const std::set<std::string> kLevels = {"trace", "debug",    "info", "warn",
                                                "error", "critical", "off"};
  if (!kLevels.count(o->level)) {
    return r.ErrorAt(r.MarkOf(n, "level"),
                     "logging.level must be one of " + Join(kLevels) + " (got '" + o->level + "')");
  }
  return Status::Ok();
}

}  // namespace

std::string ConfigSource::Where(const std::string& key) const {
  if (file_.empty()) return "built-in defaults: ";
  auto it = marks_.find(key);
  if (it == marks_.end()) return file_ + ": ";
  return file_ + ":" + std::to_string(it->second.line) + ":" + std::to_string(it->second.column) +
         ": ";
}

StatusOr<Config> ParseConfig(const std::string& yaml_text, const std::string& file) {
  Config config;
  config.source = ConfigSource(file);
  Reader r(file, &config.source);
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return r.ErrorAt(e.mark, "is not valid YAML: " + e.msg);
  }
  if (root.IsNull()) return config;  // an empty file means built-in defaults
  try {
    VIDX_RETURN_IF_ERROR(r.CheckMap(
        root, "",
        {"state_dir", "library", "model", "sampling", "index", "daemon", "web", "logging"}));
    VIDX_RETURN_IF_ERROR(r.Scalar(root, "", "state_dir", "a path", &config.state_dir));
    if (config.state_dir.empty()) {
      return r.ErrorAt(r.MarkOf(root, "state_dir"), "state_dir must not be empty");
    }
    if (root["library"]) VIDX_RETURN_IF_ERROR(ParseLibrary(r, root["library"], &config.library));
    if (root["model"]) VIDX_RETURN_IF_ERROR(ParseModel(r, root["model"], &config.model));
    if (root["sampling"]) {
      VIDX_RETURN_IF_ERROR(ParseSampling(r, root["sampling"], &config.sampling));
    }
    if (root["index"]) VIDX_RETURN_IF_ERROR(ParseIndex(r, root["index"], &config.index));
    if (root["daemon"]) VIDX_RETURN_IF_ERROR(ParseDaemon(r, root["daemon"], &config.daemon));
    if (root["web"]) VIDX_RETURN_IF_ERROR(ParseWeb(r, root["web"], &config.web));
    if (root["logging"]) VIDX_RETURN_IF_ERROR(ParseLogging(r, root["logging"], &config.logging));
  } catch (const YAML::Exception& e) {
    return r.ErrorAt(e.mark, "could not be read: " + e.msg);
  }
  return config;
}

StatusOr<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      return Status::NotFound("configuration file " + path + " does not exist");
    }
    return Status::InvalidArgument("configuration file " + path + " cannot be read");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ParseConfig(text.str(), path);
}

std::string ResolveConfigPath(const std::string& cli_value, bool* explicit_choice) {
  if (!cli_value.empty()) {
    *explicit_choice = true;
    return cli_value;
  }
  const char* env = std::getenv("VIDX_CONFIG");
  if (env != nullptr && env[0] != '\0') {
    *explicit_choice = true;
    return env;
  }
  *explicit_choice = false;
  return "/etc/vidx/vidx.yaml";
}

Status CheckStateDirOwner(const std::string& dir, const std::string& where) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return Status::InvalidArgument(where + "state_dir '" + dir +
                                   "' cannot be examined: " + std::strerror(errno));
  }
  const uid_t me = ::geteuid();
  if (st.st_uid != me) {
    return Status::FailedPrecondition(
        where + "state_dir '" + dir + "' is owned by uid " + std::to_string(st.st_uid) +
        ", not by uid " + std::to_string(me) + " that runs vidx; refusing to use it (run vidx " +
        "as its owner, or fix it with: chown -R " + std::to_string(me) + " " + dir + ")");
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::FailedPrecondition(
        where + "state_dir '" + dir + "' is writable by other users (mode " + mode +
        "); refusing to use it (fix it with: chmod go-w " + dir + ")");
  }
  return Status::Ok();
}

Status EnsureStateDir(const Config& config) {
  const std::string where = config.source.Where("state_dir");
  std::error_code ec;
  const bool existed = fs::exists(config.state_dir, ec);
  fs::create_directories(config.state_dir, ec);
  if (ec) {
    return Status::InvalidArgument(where + "state_dir '" + config.state_dir +
                                   "' cannot be created: " + ec.message());
  }
  if (!fs::is_directory(config.state_dir, ec)) {
    return Status::InvalidArgument(where + "state_dir '" + config.state_dir +
                                   "' is not a directory");
  }
  if (!existed) {  // made here: whatever the umask, only its owner may write to it
    fs::permissions(config.state_dir, fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove, ec);
  }
  VIDX_RETURN_IF_ERROR(CheckStateDirOwner(config.state_dir, where));
  if (::access(config.state_dir.c_str(), W_OK | X_OK) != 0) {
    return Status::InvalidArgument(where + "state_dir '" + config.state_dir +
                                   "' is not writable by this user");
  }
  return Status::Ok();
}

}  // namespace vidx
