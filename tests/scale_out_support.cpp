#include "tests/scale_out_support.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "search/catalog.h"
#include "tests/run_command.h"
#include "tests/tiny_library.h"

namespace vidx::testing {
namespace {

namespace fs = std::filesystem;

std::string Hex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace

std::string MakeScaleOutLibrary(const std::string& dir, int n, ScaleOutLibrary* lib) {
  lib->dir = dir;
  lib->library = (fs::path(dir) / "lib").string();
  std::string error = MakeVideos(lib->library, n, 2, &lib->videos);
  if (!error.empty()) return error;
  const fs::path models = fs::path(dir) / "models";
  fs::create_directories(models);
  error = MakeTinyModels(VIDX_TINY_MODELS_DIR, models.string());
  if (!error.empty()) return error;
  lib->model = (models / "tiny_c").string();
  lib->other_model = (models / "tiny_c2").string();
  fs::create_directories(fs::path(dir) / "pictures");
  lib->pictures.clear();
  for (size_t i = 0; i < lib->videos.size(); ++i) {
    const std::string picture =
        (fs::path(dir) / "pictures" / ("p" + std::to_string(i) + ".png")).string();
    CommandResult r = RunCommand("ffmpeg -v error -y -ss 1.2 -i " + ShellQuote(lib->videos[i]) +
                                 " -frames:v 1 " + ShellQuote(picture));
    if (r.exit_code != 0) return "ffmpeg could not take a picture: " + r.err;
    lib->pictures.push_back(picture);
  }
  return "";
}

void WriteScaleOutConfig(const std::string& path, const std::string& state_dir,
                         const std::string& model, const std::string& library) {
  std::ofstream(path) << "state_dir: " << state_dir << "\nmodel:\n  path: " << model
                      << "\n  batch_size: 8\nsampling:\n  fps: 1\nlibrary:\n  roots: [" << library
                      << "]\n";
}

IndexSummary SummariseIndex(const std::string& vidx, const std::string& config,
                            const std::string& state_dir, const std::vector<std::string>& pictures,
                            std::string* error) {
  IndexSummary s;
  error->clear();
  {
    CatalogOptions o;
    o.read_only = true;
    StatusOr<std::unique_ptr<Catalog>> c = Catalog::Open(state_dir, o);
    if (!c.ok()) {
      *error = c.status().ToString();
      return s;
    }
    std::optional<Generation> g = (*c)->ActiveGeneration();
    if (!g) {
      *error = state_dir + " has no active generation";
      return s;
    }
    s.vectors = g->vectors;
    s.fingerprint = g->fingerprint;
    Status st = (*c)->ForEachFile(g->id, [&](const FileRecord& r) {
      if (r.status == FileStatus::kIndexed) s.files.insert(r.file.path);
      return Status::Ok();
    });
    if (!st.ok()) *error = st.ToString();
  }
  for (const std::string& p : pictures) {
    CommandResult r = RunCommand(vidx + " --config " + ShellQuote(config) + " search --image " +
                                 ShellQuote(p) + " --json -k 1");
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    if (r.exit_code != 0 || j.is_discarded() || j["results"].empty()) {
      *error = "search --image " + p + " failed: " + r.err + r.out;
      return s;
    }
    const nlohmann::json& top = j["results"][0];
    s.top.push_back(TopHit{top["path"].get<std::string>(), top["moments"][0]["start"].get<double>(),
                           top["moments"][0]["end"].get<double>()});
  }
  return s;
}

std::map<std::string, std::string> DumpCatalog(const std::string& state_dir) {
  std::map<std::string, std::string> out;
  CatalogOptions o;
  o.read_only = true;
  StatusOr<std::unique_ptr<Catalog>> c = Catalog::Open(state_dir, o);
  if (!c.ok()) {
    out["error"] = c.status().ToString();
    return out;
  }
  for (const Generation& g : (*c)->ListGenerations()) {
    std::ostringstream gen;
    gen << g.fingerprint << " " << GenerationStateName(g.state) << " " << g.dimension << " "
        << g.files_indexed << " " << g.files_failed << " " << g.vectors;
    out["gen/" + std::to_string(g.id)] = gen.str();
    Status s = (*c)->ForEachFile(g.id, [&](const FileRecord& r) {
      std::ostringstream f;
      f << r.file.size << " " << r.file.mtime_ns << " " << r.content_hash << " "
        << static_cast<int>(r.status) << " " << r.duration << " " << r.codec << " ids";
      for (uint64_t id : r.vector_ids) f << " " << id;
      out["file/" + std::to_string(g.id) + "/" + r.file.path] = f.str();
      return Status::Ok();
    });
    if (!s.ok()) out["error"] = s.ToString();
    s = (*c)->ForEachVector(g.id, 0, [&](const VectorRecord& v) {
      std::ostringstream r;
      r << v.path << " " << v.start << " " << v.end << " "
        << Hex(std::string(reinterpret_cast<const char*>(v.vector.data()),
                           v.vector.size() * sizeof(float)));
      out["vec/" + std::to_string(g.id) + "/" + std::to_string(v.id)] = r.str();
      return Status::Ok();
    });
    if (!s.ok()) out["error"] = s.ToString();
  }
  return out;
}

}  // namespace vidx::testing
