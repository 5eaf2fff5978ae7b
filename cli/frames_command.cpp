// vidx frames FILE [--json] [--out DIR]: the frames the sampler would take from FILE.
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "indexer/model/clip_config.h"
#include "indexer/video/image_io.h"
#include "indexer/video/sampler.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;

constexpr int kDefaultInputSize = 224;  // CLIP's, when the model directory is not there yet

// The square input side the model expects (its preprocessing's crop), or CLIP's 224 when the
// model is not installed: `frames` works without a model.
int ModelInputSize(const ModelOptions& model) {
  StatusOr<ClipConfig> clip = LoadClipConfig(model.path);
  if (!clip.ok()) return kDefaultInputSize;
  StatusOr<PreprocessConfig> pp = LoadPreprocessConfig(model.path, clip->vision);
  if (!pp.ok() || pp->output_height() <= 0) return kDefaultInputSize;
  return pp->output_height();
}

std::string FrameFileName(size_t index, double t) {
  char name[64];
  std::snprintf(name, sizeof(name), "frame_%05zu_%09.3f.png", index, t);
  return name;
}

}  // namespace

int RunFrames(const Config& config, const FramesArgs& args) {
  SamplerOptions options;
  options.sampling = config.sampling;
  options.output_size = ModelInputSize(config.model);
  FrameSampler sampler(options);

  if (!args.out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(args.out_dir, ec);
    if (ec) {
      return ReportError(Status::InvalidArgument("--out directory '" + args.out_dir +
                                                 "' cannot be created: " + ec.message()));
    }
  }

  VideoInfo info;
  nlohmann::json frames = nlohmann::json::array();
  size_t index = 0;
  Status status = sampler.Sample(args.file, &info, [&](Frame&& frame) -> Status {
    frames.push_back({{"t", frame.t}});
    if (!args.out_dir.empty()) {
      fs::path out = fs::path(args.out_dir) / FrameFileName(index, frame.t);
      VIDX_RETURN_IF_ERROR(WritePng(out.string(), frame));
    }
    ++index;
    return Status::Ok();
  });
  if (!status.ok()) return ReportError(status);

  if (args.json) {
    nlohmann::json out = {{"path", info.path},
                          {"duration", info.duration},
                          {"width", info.width},
                          {"height", info.height},
                          {"frames", frames}};
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  std::printf("%s\n  %s, %dx%d, %.3f s, %zu frames (model input %dx%d)\n", info.path.c_str(),
              info.codec.c_str(), info.width, info.height, info.duration, frames.size(),
              options.output_size, options.output_size);
  for (size_t i = 0; i < frames.size(); ++i) {
    std::printf("  %5zu  %10.3f s\n", i, frames[i]["t"].get<double>());
  }
  if (!args.out_dir.empty()) std::printf("  images written to %s\n", args.out_dir.c_str());
  return kExitOk;
}

}  // namespace vidx
