// SamplingRun: the state of one FrameSampler::Sample() call -- the decoder, the keyframe
// index, and the plan that turns target times into seeks and decodes (docs/architecture.md §6).
// Internal to vidx_video; use FrameSampler.
//
// Thread-safety: one SamplingRun per call and thread.
#ifndef VIDX_INDEXER_VIDEO_SAMPLING_RUN_H_
#define VIDX_INDEXER_VIDEO_SAMPLING_RUN_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "common/status.h"
#include "indexer/video/ffmpeg_ptr.h"
#include "indexer/video/frame_convert.h"
#include "indexer/video/media_input.h"
#include "indexer/video/sampler.h"

namespace vidx {
namespace video_internal {

constexpr int64_t kNoPts = std::numeric_limits<int64_t>::min();

// A decoded frame held until it is delivered or superseded.
struct Held {
  ffmpeg::FramePtr frame{av_frame_alloc()};
  int64_t pts = kNoPts;
  bool valid = false;

  void Clear() {
    if (frame) av_frame_unref(frame.get());
    valid = false;
    pts = kNoPts;
  }
  void TakeFrom(Held* other) {
    Clear();
    av_frame_move_ref(frame.get(), other->frame.get());
    pts = other->pts;
    valid = other->valid;
    other->valid = false;
    other->pts = kNoPts;
  }
};

// One Sample() call: owns the decoder and the planning state.
class SamplingRun {
 public:
  // `input`, `sink` and `stats` (not null) must outlive the run.
  SamplingRun(const SamplerOptions& options, MediaInput* input, const FrameSink& sink,
              SampleStats* stats)
      : options_(options), in_(input), sink_(sink), stats_(stats) {}

  Status Init(VideoInfo* info);
  // The sampler's job: every target, in order.
  Status Run();
  // DecodeFrameAt's job (frame_at.h): delivers the one frame shown at `seconds` (>= 0; past
  // the end: the last frame) and nothing else.
  Status RunFrameAt(double seconds);

 private:
  Status ServeTarget(size_t i);
  // Decodes forward from where the demuxer is: keeps in `best` the latest frame presented at
  // or before `t`, stops at the first one presented after it (kept in `after` when it is
  // earlier than what `after` holds).
  Status DecodeCovering(int64_t t, Held* best, Held* after);
  Status TryKeyframe(int64_t t, double target, int64_t next_t, bool* served);
  int64_t KeyframeBefore(int64_t t) const;
  Status ForwardTo(int64_t t, double target);
  // Seeks so that decoding resumes at or before demuxer time `ts`.
  Status Seek(int64_t ts);
  // Decoder and position state after any seek; `await_key`: drop pictures until a keyframe.
  void ResetAfterSeek(bool await_key);
  // Seeks to the indexed keyframe presented at `key` (a keyframes_ value). Demuxers disagree
  // on whether their seek compares decoding or presentation times, so the seek aims early
  // enough for both and the packets before that keyframe are then skipped unread by the
  // decoder (SkipPacket), never decoded.
  Status SeekToKeyframe(int64_t key);
  // True for a packet of our stream that precedes the keyframe SeekToKeyframe aimed at.
  bool SkipPacket(const AVPacket* pkt);
  Status SeekToStart();
  Status SeekWithoutIndex(int64_t t);
  int64_t ProbeEndTs();
  Status DecodeNext(Held* out, bool* got);
  Status Deliver(Held* held, double target);
  Status EnsureOneFrame();
  double FramesBetween(int64_t from, int64_t to) const {
    return static_cast<double>(to - from) * av_q2d(tb_) * frame_rate_;
  }
  int64_t ToTs(double seconds) const {
    return start_ts_ + static_cast<int64_t>(std::llround(seconds / av_q2d(tb_)));
  }
  Status DeadlineStatus() const {
    return in_->Error(StatusCode::kDeadlineExceeded, "", AVERROR_EXIT);
  }

  const SamplerOptions& options_;
  MediaInput* in_;
  const FrameSink& sink_;
  SampleStats* stats_;

  AVStream* st_ = nullptr;
  AVRational tb_{1, 1};
  ffmpeg::CodecContextPtr dec_;
  std::unique_ptr<FrameConverter> conv_;
  ffmpeg::PacketPtr pkt_{av_packet_alloc()};
  Held scratch_;
  Held pending_;  // decoded, later than every delivered frame, not delivered yet

  std::vector<double> targets_;
  std::vector<int64_t> keyframes_;  // presentation-ish timestamps (stream units), ascending
  size_t next_keyframe_ = 0;        // keyframes before this one are used or already passed
  int64_t start_ts_ = 0;
  int64_t tolerance_ts_ = 0;
  int64_t keyframe_shift_ = 0;  // keyframes_[i] - keyframe_shift_ is the index (seek) time
  double frame_rate_ = 25;
  double duration_ = 0;  // presentation duration, seconds (0 = unknown)

  bool live_ = false;      // the decoder holds a valid forward-decoding state
  bool draining_ = false;  // end of input was sent to the decoder
  bool eof_ = false;       // the decoder has returned everything
  int64_t pos_ = kNoPts;   // pts of the latest frame decoded in the live state
  int64_t last_delivered_ = kNoPts;
  int64_t last_pts_ = kNoPts;
  int delivered_ = 0;
  int consecutive_errors_ = 0;
  bool await_key_ = false;  // after a seek: drop pictures until a keyframe (mid-GOP landing)
  int dropped_waiting_ = 0;
  // After SeekToKeyframe: packets are skipped until a keyframe presented at or after
  // skip_before_, or anything presented after skip_key_ (the keyframe aimed at).
  int64_t skip_before_ = kNoPts;
  int64_t skip_key_ = kNoPts;
};

}  // namespace video_internal
}  // namespace vidx

#endif  // VIDX_INDEXER_VIDEO_SAMPLING_RUN_H_
