#include "cli/command_line.h"

#include <cstdio>

#include "cli/version.h"

namespace vidx {
namespace {

using Kind = ValueCompletion::Kind;

const std::vector<std::string>& LogLevels() {
  static const std::vector<std::string> levels = {"trace", "debug",    "info", "warn",
                                                  "error", "critical", "off"};
  return levels;
}

// Records what a shell completes for `option` and returns it, for chaining.
CLI::Option* Completes(CommandLine* cl, CLI::Option* option, Kind kind,
                       std::vector<std::string> words = {}) {
  cl->completions[option] = ValueCompletion{kind, std::move(words)};
  return option;
}

CLI::App* Leaf(CommandLine* cl, CLI::App* parent, Command command, const std::string& name,
               const std::string& description) {
  CLI::App* sub = parent->add_subcommand(name, description);
  cl->leaves.emplace_back(sub, command);
  return sub;
}

}  // namespace

std::optional<Command> CommandLine::selected() const {
  for (const auto& [sub, command] : leaves) {
    if (sub->parsed()) return command;
  }
  return std::nullopt;
}

std::unique_ptr<CommandLine> MakeCommandLine() {
  auto cl = std::make_unique<CommandLine>();
  CommandLine* c = cl.get();
  CLI::App& app = c->app;
  app.name("vidx");
  app.description("vidx: index video libraries and search them in plain words");
  app.set_version_flag("--version", [] { return VersionText(); });
  app.require_subcommand(1);
  Completes(c,
            app.add_option("--config", c->config_path,
                           "configuration file (default: $VIDX_CONFIG, then /etc/vidx/vidx.yaml)")
                ->type_name("FILE"),
            Kind::kFile);
  Completes(c,
            app.add_option("--log-level", c->log_level, "override logging.level")
                ->type_name("LEVEL")
                ->check(CLI::IsMember(LogLevels())),
            Kind::kWords, LogLevels());

  Leaf(c, &app, Command::kDaemon, "daemon",
       "run the indexing service in the foreground (systemd runs this)");

  CLI::App* index =
      Leaf(c, &app, Command::kIndex, "index", "index files and directories once, then exit");
  Completes(c,
            index->add_option("PATH", c->index.paths, "files or directories")
                ->required()
                ->type_name("PATH"),
            Kind::kFile);
  index->add_flag("--json", c->index.json, "summary as JSON");
  index
      ->add_option("--shard", c->index.shard,
                   "index only shard I of N (0 <= I < N): the files whose path relative to "
                   "their PATH hashes to I; for array jobs (docs/scale-out.md)")
      ->type_name("I/N");
  Completes(c,
            index
                ->add_option("--state-dir", c->index.state_dir,
                             "write into this state directory instead of the configured one")
                ->type_name("DIR"),
            Kind::kDirectory);
  Completes(c,
            index
                ->add_option("--known", c->index.known,
                             "skip files this state directory (a merged index, read only) "
                             "already holds unchanged")
                ->type_name("DIR"),
            Kind::kDirectory);

  CLI::App* merge = Leaf(c, &app, Command::kMerge, "merge",
                         "merge the state directories of `index --shard` runs into one");
  Completes(c,
            merge->add_option("--into", c->merge.into, "target state directory")
                ->required()
                ->type_name("DIR"),
            Kind::kDirectory);
  Completes(c,
            merge->add_option("SHARD_DIR", c->merge.shards, "shard state directories")
                ->required()
                ->type_name("DIR"),
            Kind::kDirectory);
  merge->add_flag("--allow-incomplete", c->merge.allow_incomplete,
                  "merge although some of the N shards are missing");
  merge->add_flag("--json", c->merge.json, "summary as JSON");

  CLI::App* search = Leaf(c, &app, Command::kSearch, "search", "search the index in plain words");
  search->add_option("TEXT", c->search.text,
                     "query; '+' and '-' combine terms: \"beach + dog - night\"");
  search->add_option("-k", c->search.k, "number of files to return")->check(CLI::PositiveNumber);
  Completes(c,
            search->add_option("--image", c->search.image, "query by a picture")->type_name("FILE"),
            Kind::kFile);
  Completes(c,
            search->add_option("--like", c->search.like, "query by a video moment: VIDEO[@SECONDS]")
                ->type_name("VIDEO[@SECONDS]"),
            Kind::kFile);
  search->add_flag("--json", c->search.json, "machine-readable output");

  CLI::App* status = Leaf(c, &app, Command::kStatus, "status",
                          "files known, indexed, failed, pending; generation");
  status->add_flag("--json", c->status.json, "machine-readable output");

  CLI::App* model = app.add_subcommand("model", "inspect the model");
  model->require_subcommand(1);
  CLI::App* verify = Leaf(c, model, Command::kModelVerify, "verify",
                          "strict load, determinism probe, fingerprint");
  verify->add_flag("--json", c->model_verify.json, "machine-readable output");
  verify->add_flag("--rehash", c->model_verify.rehash,
                   "re-read the weights instead of the cached hash");
  CLI::App* tokenize =
      Leaf(c, model, Command::kModelTokenize, "tokenize", "token ids for each text");
  tokenize->add_option("TEXT", c->model_tokenize.texts, "texts")->required();
  tokenize->add_flag("--json", c->model_tokenize.json, "machine-readable output");
  CLI::App* embed = Leaf(c, model, Command::kModelEmbed, "embed",
                         "the L2-normalised embedding of a text or image");
  CLI::Option* embed_text = embed->add_option("--text", c->model_embed.text, "text to embed");
  CLI::Option* embed_image = Completes(
      c,
      embed->add_option("--image", c->model_embed.image, "image file to embed")->type_name("FILE"),
      Kind::kFile);
  embed_text->excludes(embed_image);
  embed->add_flag("--json", c->model_embed.json, "machine-readable output");
  CLI::App* keys = Leaf(c, model, Command::kModelKeys, "keys",
                        "compare the checkpoint's keys with the model's and propose rename rules");
  Completes(
      c,
      keys->add_option("--write", c->model_keys.write, "write the proposed key_map rules file here")
          ->type_name("FILE"),
      Kind::kFile);

  CLI::App* frames =
      Leaf(c, &app, Command::kFrames, "frames", "the frames the sampler would take from a video");
  Completes(c,
            frames->add_option("FILE", c->frames.file, "video file")->required()->type_name("FILE"),
            Kind::kFile);
  frames->add_flag("--json", c->frames.json, "machine-readable output");
  Completes(c,
            frames->add_option("--out", c->frames.out_dir, "write the frames as PNG images here")
                ->type_name("DIR"),
            Kind::kDirectory);

  Leaf(c, &app, Command::kReindex, "reindex",
       "ask the running daemon to reload its configuration, rebuild its vector index "
       "from the catalog and rescan the library");

  Leaf(c, &app, Command::kWeb, "web",
       "print the link that logs a browser into the running daemon's web UI");

  CLI::App* repair = Leaf(c, &app, Command::kRepair, "repair",
                          "salvage a corrupt catalog (stop the daemon first); files that lost "
                          "data are re-embedded and the vector indexes rebuilt at the next start");
  repair->add_flag("--json", c->repair.json, "machine-readable output");
  return cl;
}

std::optional<int> ParseCommandLine(CommandLine* cl, int argc, char** argv) {
  CLI::App& app = cl->app;
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
  const CLI::App* embed = app.get_subcommand("model")->get_subcommand("embed");
  if (embed->parsed() && embed->get_option("--text")->count() == 0 &&
      embed->get_option("--image")->count() == 0) {
    std::fprintf(stderr, "vidx: model embed needs --text TEXT or --image FILE\n");
    return kExitUsage;
  }
  if (!cl->selected()) return kExitUsage;
  return std::nullopt;
}

}  // namespace vidx
