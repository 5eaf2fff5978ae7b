// vidx: argument parsing and wiring only. The command-line contract: README.md.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/logging.h"
#include "config/config.h"

namespace vidx {
namespace {

constexpr const char* kVersion = "0.1.0";

// Loads the configuration: --config, then $VIDX_CONFIG, then
// /etc/vidx/vidx.yaml; a missing default file means built-in defaults.
// `*used_path` gets the file read (empty for built-in defaults).
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

int Main(int argc, char** argv) {
  CLI::App app{"vidx: index video libraries and search them in plain words"};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);
  std::string config_path;
  std::string log_level;
  app.add_option("--config", config_path,
                 "configuration file (default: $VIDX_CONFIG, then /etc/vidx/vidx.yaml)");
  app.add_option("--log-level", log_level, "override logging.level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));

  auto* daemon = app.add_subcommand(
      "daemon", "run the indexing service in the foreground (systemd runs this)");

  IndexArgs index_args;
  auto* index = app.add_subcommand("index", "index files and directories once, then exit");
  index->add_option("PATH", index_args.paths, "files or directories")->required();
  index->add_flag("--json", index_args.json, "summary as JSON");

  SearchArgs search_args;
  auto* search = app.add_subcommand("search", "search the index in plain words");
  search->add_option("TEXT", search_args.text,
                     "query; '+' and '-' combine terms: \"beach + dog - night\"");
  search->add_option("-k", search_args.k, "number of files to return")->check(CLI::PositiveNumber);
  search->add_option("--image", search_args.image, "query by a picture");
  search->add_option("--like", search_args.like, "query by a video moment: VIDEO[@SECONDS]");
  search->add_flag("--json", search_args.json, "machine-readable output");

  StatusArgs status_args;
  auto* status = app.add_subcommand("status", "files known, indexed, failed, pending; generation");
  status->add_flag("--json", status_args.json, "machine-readable output");

  auto* model = app.add_subcommand("model", "inspect the model");
  model->require_subcommand(1);
  ModelVerifyArgs verify_args;
  auto* verify = model->add_subcommand("verify", "strict load, determinism probe, fingerprint");
  verify->add_flag("--json", verify_args.json, "machine-readable output");
  verify->add_flag("--rehash", verify_args.rehash,
                   "re-read the weights instead of the cached hash");
  ModelTokenizeArgs tokenize_args;
  auto* tokenize = model->add_subcommand("tokenize", "token ids for each text");
  tokenize->add_option("TEXT", tokenize_args.texts, "texts")->required();
  tokenize->add_flag("--json", tokenize_args.json, "machine-readable output");
  ModelEmbedArgs embed_args;
  auto* embed = model->add_subcommand("embed", "the L2-normalised embedding of a text or image");
  auto* embed_text_opt = embed->add_option("--text", embed_args.text, "text to embed");
  auto* embed_image_opt = embed->add_option("--image", embed_args.image, "image file to embed");
  embed_text_opt->excludes(embed_image_opt);
  embed->add_flag("--json", embed_args.json, "machine-readable output");
  ModelKeysArgs keys_args;
  auto* keys = model->add_subcommand(
      "keys", "compare the checkpoint's keys with the model's and propose rename rules");
  keys->add_option("--write", keys_args.write, "write the proposed key_map rules file here");

  FramesArgs frames_args;
  auto* frames = app.add_subcommand("frames", "the frames the sampler would take from a video");
  frames->add_option("FILE", frames_args.file, "video file")->required();
  frames->add_flag("--json", frames_args.json, "machine-readable output");
  frames->add_option("--out", frames_args.out_dir, "write the frames as PNG images here");

  auto* reindex = app.add_subcommand(
      "reindex",
      "ask the running daemon to reload its configuration, rebuild its vector index "
      "from the catalog and rescan the library");

  auto* web = app.add_subcommand(
      "web", "print the link that logs a browser into the running daemon's web UI");

  RepairArgs repair_args;
  auto* repair = app.add_subcommand(
      "repair",
      "salvage a corrupt catalog (stop the daemon first); files that lost data are "
      "re-embedded and the vector indexes rebuilt at the next start");
  repair->add_flag("--json", repair_args.json, "machine-readable output");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (*embed && !*embed_text_opt && !*embed_image_opt) {
    std::fprintf(stderr, "vidx: model embed needs --text TEXT or --image FILE\n");
    return kExitUsage;
  }

  std::string used_config_path;
  StatusOr<Config> config = LoadConfiguration(config_path, &used_config_path);
  if (!config.ok()) return ReportError(config.status());
  SetUpLogging(log_level.empty() ? config->logging.level : log_level);

  if (*frames) return RunFrames(*config, frames_args);
  if (*index) return RunIndex(*config, index_args);
  if (*search) return RunSearch(*config, search_args);
  if (*status) return RunStatus(*config, status_args);
  if (*verify) return RunModelVerify(*config, verify_args);
  if (*tokenize) return RunModelTokenize(*config, tokenize_args);
  if (*embed) return RunModelEmbed(*config, embed_args);
  if (*keys) return RunModelKeys(*config, keys_args);
  if (*reindex) return RunReindex(*config);
  if (*repair) return RunRepair(*config, repair_args);
  if (*web) return RunWeb(*config);
  if (*daemon) {
    if (!used_config_path.empty()) {
      used_config_path = std::filesystem::absolute(used_config_path).string();
    }
    return RunDaemon(*config, used_config_path);
  }
  return kExitUsage;
}

}  // namespace

int ReportError(const Status& status) {
  std::fprintf(stderr, "vidx: %s\n", status.message().c_str());
  return status.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

}  // namespace vidx

int main(int argc, char** argv) {
  try {
    return vidx::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vidx: internal error: %s\n", e.what());
    return vidx::kExitFailure;
  }
}
