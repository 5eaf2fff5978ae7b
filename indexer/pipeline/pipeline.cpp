#include "indexer/pipeline/pipeline.h"

#include <string>
#include <utility>
#include <vector>

#include "indexer/model/preprocess.h"
#include "indexer/pipeline/decode_stage.h"
#include "indexer/pipeline/embed_stage.h"
#include "indexer/pipeline/frame_queue.h"
#include "indexer/pipeline/triage.h"

namespace vidx {

StatusOr<SamplerOptions> SamplerOptionsForModel(const Embedder& embedder,
                                                const SamplingSettings& sampling) {
  const ImagePreprocessSpec& p = embedder.image_input();
  const int side = p.height;
  if (p.width != side || side <= 0) {
    return Status::Unsupported("the model's input of " + std::to_string(p.width) + "x" +
                               std::to_string(p.height) +
                               " is not square; the sampler prepares square frames only");
  }
  if (p.interpolation != "bicubic") {
    return Status::Unsupported("the model resizes with " + p.interpolation +
                               " interpolation; vidx implements bicubic only");
  }
  // Every frame must come out side x side whatever the video's shape: a centre crop to the
  // input, or an exact resize to it.
  const bool squash = p.resize == ImagePreprocessSpec::Resize::kExact && p.resize_height == side &&
                      p.resize_width == side;
  if (!p.center_crop && !squash) {
    return Status::Unsupported("the model neither crops its input nor resizes to exactly " +
                               std::to_string(side) + "x" + std::to_string(side) +
                               ", so frames of other shapes would not fit it");
  }
  SamplerOptions o;
  o.sampling = sampling;
  o.output_size = side;
  // The sampler converts each frame at its displayed size; the model's own resize and crop
  // (the code PreprocessImages uses for query pictures) make it what EmbedPreparedImages takes.
  o.prepare = [spec = p](Frame* frame) {
    std::vector<uint8_t> out;
    VIDX_RETURN_IF_ERROR(ResizeAndCrop(spec, frame->rgb.data(), frame->height, frame->width, &out));
    frame->rgb = std::move(out);
    frame->width = spec.width;
    frame->height = spec.height;
    return Status::Ok();
  };
  return o;
}

IndexPipeline::IndexPipeline(const Embedder* embedder, std::string fingerprint, IndexSink* sink,
                             KnownFiles* known, PipelineOptions options, const FrameSource* frames)
    : embedder_(embedder),
      fingerprint_(std::move(fingerprint)),
      sink_(sink),
      known_(known),
      options_(std::move(options)),
      own_frames_(frames == nullptr ? NewSamplerFrameSource(options_.sampler) : nullptr),
      frames_(frames == nullptr ? own_frames_.get() : frames) {}

IndexPipeline::~IndexPipeline() = default;

Status IndexPipeline::Run(const std::vector<std::string>& files, PipelineCounters* counters,
                          const PipelineProgress& progress) {
  PipelineCounters& c = *counters;
  c = PipelineCounters();
  c.files_total = static_cast<int64_t>(files.size());
  const PipelineClock::time_point start = PipelineClock::now();
  auto report = [&] {
    c.wall_seconds = SecondsSince(start);
    if (progress) progress(c);
  };
  const int side = options_.sampler.output_size;
  const ImagePreprocessSpec& input = embedder_->image_input();
  if (side <= 0 || input.height != side || input.width != side) {
    return Status::InvalidArgument("sampler output size " + std::to_string(side) +
                                   " does not match the model's input size");
  }
  if (options_.batch_size < 1 || options_.decode_workers < 1 || options_.chunk_frames < 1 ||
      options_.sampler.sampling.clip_frames < 1) {
    return Status::InvalidArgument(
        "batch_size, decode_workers, chunk_frames and clip_frames must be >= 1");
  }

  std::vector<PendingFile> pending;
  VIDX_RETURN_IF_ERROR(TriageFiles(files, known_, &pending, &c, report));

  EmbedStage embed(embedder_, fingerprint_, sink_, options_.sampler.sampling, options_.batch_size,
                   &pending, &c, report, options_.gate, options_.chunk_frames);
  Status result = embed.CommitUnreadable();
  FrameQueue queue(options_.queue_frames);
  DecodeStage decode(frames_, &pending, &queue, options_.decode_workers, options_.cancel,
                     options_.sampler.sampling.skip_similar);
  auto cancelled = [&] { return options_.cancel != nullptr && options_.cancel->load(); };
  if (result.ok()) decode.Start();
  QueueItem item;
  while (result.ok() && queue.Pop(&item)) {
    // Checked before every item: a file whose decoding was cut short by the cancellation is
    // never committed as failed.
    if (cancelled()) {
      result = Status::Unavailable("indexing cancelled");
      break;
    }
    result = embed.Add(std::move(item));
    // Nothing else is ready and a finished file waits for its frames: embed now.
    if (result.ok() && queue.Empty()) result = embed.FlushIfWaiting();
  }
  if (result.ok() && cancelled()) result = Status::Unavailable("indexing cancelled");
  if (result.ok()) result = embed.Flush();
  if (!result.ok()) queue.Cancel();
  c.decode_seconds = decode.Join();
  c.wall_seconds = SecondsSince(start);
  return result;
}

}  // namespace vidx
