// vidx model verify | tokenize | embed | keys.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "indexer/model/embedder_registry.h"
#include "indexer/model/key_proposal.h"
#include "indexer/model/model_verifier.h"
#include "indexer/video/image_io.h"
#include "search/hash_cache.h"

namespace vidx {

namespace {

using nlohmann::json;

// The checkpoint-hash cache in the state directory; null (with a warning) when the state
// directory is not usable, so that verify still works for a user without access to it.
std::unique_ptr<RocksHashCache> OpenHashCache(const Config& config) {
  Status dir = EnsureStateDir(config);
  if (dir.ok()) {
    auto cache = RocksHashCache::Open(config.state_dir);
    if (cache.ok()) return std::move(*cache);
    dir = cache.status();
  }
  if (auto log = spdlog::get("vidx")) {
    log->warn("checkpoint hashes are not cached: {}", dir.message());
  }
  return nullptr;
}

ModelVerification Verify(const Config& config, bool rehash, Status* setup_error) {
  StatusOr<EmbedderOptions> options = EmbedderOptionsForConfig(config.model);
  if (!options.ok()) {
    *setup_error = options.status();
    return {};
  }
  // A one-shot command: the weights may alias the checkpoint's mapping (no 600 MB copy).
  options->map_weights = true;
  std::unique_ptr<RocksHashCache> cache = OpenHashCache(config);
  return VerifyModel(*options, config.sampling, cache.get(), rehash);
}

json Strings(const std::vector<std::string>& v) { return json(v); }

}  // namespace

int RunModelVerify(const Config& config, const ModelVerifyArgs& args) {
  Status setup;
  ModelVerification v = Verify(config, args.rehash, &setup);
  if (!setup.ok()) return ReportError(setup);
  const LoadReport& r = v.report;
  if (args.json) {
    json missing = json::array(), nearest = json::object(), mismatched = json::array();
    for (const auto& m : r.missing) {
      missing.push_back(m.key);
      nearest[m.key] = m.nearest;
    }
    for (const auto& m : r.mismatched) {
      mismatched.push_back({{"key", m.key}, {"expected", m.expected}, {"found", m.found}});
    }
    json conversions = json::array();
    for (const auto& c : r.conversions) {
      conversions.push_back({{"key", c.key}, {"from", c.from}, {"to", c.to}});
    }
    json out = {{"ok", v.ok},
                {"model", config.model.path},
                {"checkpoint_sha256", v.checkpoint_sha256},
                {"hash_from_cache", v.hash_from_cache},
                {"fingerprint", v.fingerprint},
                // As loaded (auto resolved) when the model is usable, else as configured.
                {"precision", v.embedder ? v.embedder->precision() : config.model.precision},
                {"missing", missing},
                {"nearest", nearest},
                {"unexpected", Strings(r.unexpected)},
                {"mismatched", mismatched},
                {"duplicated", Strings(r.duplicated)},
                {"nan", Strings(r.nan)},
                {"errors", Strings(r.errors)},
                {"conversions", conversions},
                {"layout", Strings(r.layout)},
                {"deterministic", v.deterministic},
                {"error", v.error},
                {"seconds",
                 {{"load", v.load_seconds}, {"hash", v.hash_seconds}, {"probe", v.probe_seconds}}}};
    std::cout << out.dump() << "\n";
  } else if (v.ok) {
    std::printf("model %s: OK\n", config.model.path.c_str());
    std::printf("  family %s, device %s, precision %s, embedding size %d\n",
                v.embedder->family().c_str(), v.embedder->device().c_str(),
                v.embedder->precision().c_str(), v.embedder->dim());
    std::printf("  checkpoint sha256 %s%s\n", v.checkpoint_sha256.c_str(),
                v.hash_from_cache ? " (cached)" : "");
    std::printf("  fingerprint       %s\n", v.fingerprint.c_str());
    std::printf("  deterministic     yes\n");
    for (const auto& c : r.conversions) {
      std::printf("  converted %s from %s to %s\n", c.key.c_str(), c.from.c_str(), c.to.c_str());
    }
    for (const auto& l : r.layout) std::printf("  layout: %s\n", l.c_str());
  } else {
    std::fprintf(stderr, "vidx: model %s is not usable: %s\n", config.model.path.c_str(),
                 v.error.c_str());
    if (!r.ok()) std::fprintf(stderr, "%s", r.ToString().c_str());
  }
  return v.ok ? kExitOk : kExitFailure;
}

int RunModelTokenize(const Config& config, const ModelTokenizeArgs& args) {
  // The tokenizer belongs to the model: load it (strictly, weights mapped, neither hashed nor
  // probed) and ask it.
  StatusOr<EmbedderOptions> options = EmbedderOptionsForConfig(config.model);
  if (!options.ok()) return ReportError(options.status());
  options->map_weights = true;
  options->device = "cpu";
  options->precision = "fp32";
  StatusOr<std::unique_ptr<Embedder>> embedder = LoadEmbedder(*options, nullptr);
  if (!embedder.ok()) return ReportError(embedder.status());
  json tokens = json::array();
  for (const std::string& text : args.texts) {
    StatusOr<std::vector<int32_t>> ids = (*embedder)->Tokenize(text);
    if (!ids.ok()) return ReportError(ids.status());
    tokens.push_back(*ids);
  }
  if (args.json) {
    std::cout << json{{"tokens", tokens}}.dump() << "\n";
    return kExitOk;
  }
  for (size_t i = 0; i < args.texts.size(); ++i) {
    std::string line;
    for (const auto& id : tokens[i])
      line += (line.empty() ? "" : " ") + std::to_string(id.get<int>());
    std::printf("%s\n", line.c_str());
  }
  return kExitOk;
}

int RunModelEmbed(const Config& config, const ModelEmbedArgs& args) {
  Status setup;
  ModelVerification v = Verify(config, /*rehash=*/false, &setup);
  if (!setup.ok()) return ReportError(setup);
  if (!v.ok) {
    return ReportError(
        Status::FailedPrecondition("model " + config.model.path + " is not usable: " + v.error));
  }
  std::vector<float> embedding(static_cast<size_t>(v.embedder->dim()));
  if (!args.image.empty()) {
    StatusOr<Frame> image = LoadImageRgb(args.image);
    if (!image.ok()) return ReportError(image.status());
    Status s = v.embedder->EmbedImages(1, image->height, image->width, image->rgb.data(),
                                       embedding.data());
    if (!s.ok()) return ReportError(s.WithContext(args.image));
  } else {
    Status s = v.embedder->EmbedTexts(1, &args.text, embedding.data());
    if (!s.ok()) return ReportError(s);
  }
  if (args.json) {
    std::cout << json{{"embedding", embedding}, {"fingerprint", v.fingerprint}}.dump() << "\n";
    return kExitOk;
  }
  for (size_t i = 0; i < embedding.size(); ++i) {
    std::printf("%s%.7g", i == 0 ? "" : " ", embedding[i]);
  }
  std::printf("\n");
  return kExitOk;
}

namespace {

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

int RunModelKeys(const Config& config, const ModelKeysArgs& args) {
  StatusOr<EmbedderOptions> options = EmbedderOptionsForConfig(config.model);
  if (!options.ok()) return ReportError(options.status());
  options->map_weights = true;
  options->device = "cpu";
  options->precision = "fp32";
  LoadReport r;
  StatusOr<std::unique_ptr<Embedder>> embedder = LoadEmbedder(*options, &r);
  if (r.model_tensors.empty()) {  // failed before the checkpoint met the model
    return ReportError(embedder.ok() ? Status::Internal("the model reported no tensors")
                                     : embedder.status());
  }
  std::printf("checkpoint %s: %zu tensors; model %s: %zu tensors; key map %s\n",
              r.checkpoint.c_str(), r.checkpoint_tensors.size(), config.model.path.c_str(),
              r.model_tensors.size(), options->key_map.name.c_str());
  for (const auto& l : r.layout) std::printf("  layout: %s\n", l.c_str());
  if (r.missing.empty() && r.unexpected.empty() && r.mismatched.empty()) {
    std::printf("the keys match: every model tensor is filled, nothing to propose\n");
    return kExitOk;
  }
  std::printf("the strict loader refuses it:\n");
  for (const auto& m : r.missing) std::printf("  missing: %s\n", m.key.c_str());
  for (const auto& u : r.unexpected) std::printf("  unexpected: %s\n", u.c_str());
  for (const auto& m : r.mismatched) {
    std::printf("  shape mismatch: %s expects %s, checkpoint %s has %s\n", m.key.c_str(),
                m.expected.c_str(), m.source.c_str(), m.found.c_str());
  }
  StatusOr<KeyProposal> p = ProposeKeyMap(options->key_map, r.model_tensors, r.checkpoint_tensors);
  if (!p.ok()) return ReportError(p.status());
  const std::string yaml = p->ToYaml(r.checkpoint);
  std::printf("\nproposed key map (%zu new rules; %zu keys paired by name, shape and layer):\n%s",
              p->new_rules, p->mapped.size(), yaml.c_str());
  for (const auto& a : p->ambiguous) {
    std::string c;
    for (const auto& k : a.candidates) c += (c.empty() ? "" : ", ") + k;
    std::printf("ambiguous, not guessed: %s could be %s\n", a.key.c_str(), c.c_str());
  }
  for (const auto& t : p->cannot_fill) {
    std::printf("cannot be mapped: no checkpoint tensor fits model tensor %s %s\n", t.key.c_str(),
                ShapeText(t.shape).c_str());
  }
  for (const auto& t : p->cannot_place) {
    std::printf("cannot be mapped: no model tensor fits checkpoint tensor %s %s\n", t.key.c_str(),
                ShapeText(t.shape).c_str());
  }
  if (p->complete()) {
    std::printf("with this key map every model tensor is filled and no checkpoint key is left\n");
  } else {
    std::printf("with this key map the loader would still report %zu missing and %zu unexpected\n",
                p->still_missing.size(), p->still_unexpected.size());
  }
  if (!args.write.empty()) {
    std::ofstream out(args.write, std::ios::trunc);
    out << yaml;
    out.close();
    if (!out) return ReportError(Status::IoError(args.write + ": cannot be written"));
    std::printf("wrote %s: review it, set model.key_map to its path, run vidx model verify\n",
                args.write.c_str());
  }
  return p->complete() ? kExitOk : kExitFailure;
}

}  // namespace vidx
