#include "indexer/pipeline/pipeline.h"

#include <utility>

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
    return Status::Unsupported(
        "the model's input is not a square centre crop; frames cannot "
        "be prepared for it by the sampler");
  }
  if (p.interpolation != "bicubic") {
    return Status::Unsupported("the model resizes with " + p.interpolation +
                               " interpolation; the sampler resizes bicubic only");
  }
  SamplerOptions o;
  o.sampling = sampling;
  o.output_size = side;
  if (p.resize == ImagePreprocessSpec::Resize::kShortestEdge && p.shortest_edge > 0) {
    if (!p.center_crop && p.shortest_edge != side) {
      return Status::Unsupported("the model resizes without a centre crop");
    }
    if (p.shortest_edge < side) {
      return Status::Unsupported("the model's resize is smaller than its crop");
    }
    o.resize_shortest = p.shortest_edge;
  } else if (p.resize == ImagePreprocessSpec::Resize::kExact) {
    // An exact resize squashes the whole picture to the model's input, while the sampler keeps
    // the aspect ratio and crops the centre: for any non-square video the indexed frames would
    // differ from what the same picture gives as a query, under one fingerprint. Refused until
    // the sampler can squash the way the model's preprocessing does.
    return Status::Unsupported(
        "the model resizes pictures to an exact size without keeping their aspect ratio "
        "(SigLIP-style preprocessing); the frame sampler keeps the aspect ratio and crops, so "
        "vidx cannot index with this model yet");
  }
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
  if (options_.batch_size < 1 || options_.decode_workers < 1 ||
      options_.sampler.sampling.clip_frames < 1) {
    return Status::InvalidArgument("batch_size, decode_workers and clip_frames must be >= 1");
  }

  std::vector<PendingFile> pending;
  VIDX_RETURN_IF_ERROR(TriageFiles(files, known_, &pending, &c, report));

  EmbedStage embed(embedder_, fingerprint_, sink_, options_.sampler.sampling, options_.batch_size,
                   &pending, &c, report);
  Status result = embed.CommitUnreadable();
  FrameQueue queue(options_.queue_frames);
  DecodeStage decode(frames_, &pending, &queue, options_.decode_workers, options_.cancel);
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
