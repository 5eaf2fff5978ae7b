// Configuration: the YAML file (config/vidx.example.yaml) loaded into one validated option
// struct per component. Library components (indexer/, search/) receive only their own struct
// (SamplingSettings, ModelOptions, ...); only the wiring layers, the CLI commands (cli/), app/ and
// the daemon (daemon/), take the whole Config and hand each component its part.
//
// Every default is documented here and in config/vidx.example.yaml (a test checks the two
// agree). Errors are kInvalidArgument with one sentence naming the key, the file, its line
// and column, e.g.
//   /etc/vidx/vidx.yaml:7:8: sampling.fps must be greater than 0 (got -1)
//
// Thread-safety: plain values.
#ifndef VIDX_CONFIG_CONFIG_H_
#define VIDX_CONFIG_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/sampling_settings.h"
#include "common/status.h"
#include "indexer/model/rename_rule.h"

namespace vidx {

// Where each key was found, for error messages that come after loading (e.g. a state_dir
// that cannot be created when a command first needs it).
class ConfigSource {
 public:
  ConfigSource() = default;
  explicit ConfigSource(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }  // empty for built-in defaults
  void Record(const std::string& key, int line, int column) { marks_[key] = {line, column}; }
  // "FILE:LINE:COL: " for a key that appeared in the file, "FILE: " for one that did not,
  // "built-in defaults: " when there is no file.
  std::string Where(const std::string& key) const;

 private:
  struct Mark {
    int line;
    int column;
  };
  std::string file_;
  std::map<std::string, Mark> marks_;
};

struct LibraryOptions {
  std::vector<std::string> roots;  // default: none; each must be an existing directory
  std::vector<std::string> extensions = {"mp4", "mkv", "mov", "webm", "avi", "m4v"};
  double settle_seconds = 5;      // >= 0
  double rescan_interval = 3600;  // seconds, > 0
};

struct ModelOptions {
  std::string path = "/var/lib/vidx/models/clip-vit-base-patch32";
  std::string key_map = "hf";  // hf | openai | open_clip | path to a YAML of rename rules
  // Filled from the rules file when key_map is a path: the layout the renamed keys are in
  // (hf | openai | open_clip) and the rules, in order.
  std::string key_map_base = "hf";
  std::vector<RenameRule> key_map_rules;
  std::vector<std::string> ignore_unexpected;  // glob patterns, default none
  std::string device = "auto";                 // auto | cpu | cuda | cuda:N
  std::string precision = "auto";              // auto | fp32 | fp16 | bf16 | int8 (cpu only)
  int batch_size = 64;                         // > 0
  int threads = 0;                             // CPU inference threads, 0 = all cores
};

struct IndexOptions {
  std::string factory = "Flat";  // FAISS index_factory string
};

struct DaemonOptions {
  std::string socket = "/run/vidx/vidx.sock";
  // Seconds between vector index snapshots while changes keep coming (a snapshot is also
  // written whenever the queue empties, and at stop). > 0.
  double snapshot_interval = 60;
  // Niceness (0..19) of the indexing threads: decoders and inference. Searches run at the
  // daemon's own priority, so the kernel gives them the cores while a reindex runs. Read at
  // start; a reload does not change it.
  int index_nice = 19;
  // Searches first (indexer/pipeline/inference_gate.h): frames per inference call while the
  // daemon indexes (at most what model.batch_size collects), and indexing waits between calls
  // while a search runs. 0: whole batches, no waiting for searches.
  int index_chunk_frames = 8;
};

// The web UI's TCP listener (docs/web.md). The API it serves needs the token in
// <state_dir>/web.token; put TLS in front of it (a reverse proxy) before listening beyond
// loopback (docs/operations.md).
struct WebOptions {
  // IPV4:PORT or [IPV6]:PORT (config/listen_address.h); port 0 = any free port; "" = no
  // listener.
  std::string listen = "127.0.0.1:8421";
  int64_t thumb_cache_mb = 256;  // thumbnail cache under <state_dir>/thumbs, 1..1048576
};

struct LoggingOptions {
  std::string level = "info";  // trace | debug | info | warn | error | critical | off
};

struct Config {
  std::string state_dir = "/var/lib/vidx";
  LibraryOptions library;
  ModelOptions model;
  SamplingSettings sampling;  // common/sampling_settings.h
  IndexOptions index;
  DaemonOptions daemon;
  WebOptions web;
  LoggingOptions logging;
  ConfigSource source;
};

// Parses and validates YAML text. `file` names it in errors.
StatusOr<Config> ParseConfig(const std::string& yaml_text, const std::string& file);

// Reads and parses `path`. A missing file is kNotFound, an unreadable one kInvalidArgument,
// both naming it.
StatusOr<Config> LoadConfigFile(const std::string& path);

// Which file `vidx` should read: `cli_value` when given, else $VIDX_CONFIG, else
// /etc/vidx/vidx.yaml. `*explicit_choice` says whether the user named it (a missing file the
// user named is an error; a missing /etc/vidx/vidx.yaml means built-in defaults).
std::string ResolveConfigPath(const std::string& cli_value, bool* explicit_choice);

// Creates state_dir (and parents) if needed and checks it is a writable directory that
// CheckStateDirOwner accepts. A directory it creates loses group and other write permission.
// Errors name the `state_dir` key with its file position.
Status EnsureStateDir(const Config& config);

// Like sshd's StrictModes: the catalog must not be open to tampering. kFailedPrecondition
// (one sentence naming `dir`, its owner and the fix) when `dir` is owned by another uid than
// the effective one or is group- or world-writable; kInvalidArgument when it cannot be
// examined. `where` prefixes the message (the key's file position).
Status CheckStateDirOwner(const std::string& dir, const std::string& where);

}  // namespace vidx

#endif  // VIDX_CONFIG_CONFIG_H_
