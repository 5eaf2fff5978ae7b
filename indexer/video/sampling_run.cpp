#include "indexer/video/sampling_run.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

namespace vidx {
namespace video_internal {

namespace {

// Decoding this many frames forward is considered cheaper than a seek plus a keyframe decode.
constexpr double kCheapForwardFrames = 8;
// Without a keyframe index: keep decoding forward rather than seek when the target is at most
// this many seconds ahead (a seek there backs off 2 s and waits for a keyframe anyway).
constexpr double kNoIndexForwardSeconds = 3;
// Give up on a stream after this many decode errors in a row.
constexpr int kMaxConsecutiveErrors = 200;
// After a seek, pictures before the first keyframe are dropped (they may reference pictures
// that were never decoded) -- but not forever, for streams without keyframes.
constexpr int kMaxDroppedWaitingForKey = 600;

}  // namespace

Status SamplingRun::Init(VideoInfo* info) {
  if (!pkt_ || !scratch_.frame || !pending_.frame) {
    return Status::ResourceExhausted(in_->path() + ": out of memory");
  }
  AVFormatContext* fmt = in_->format();
  st_ = in_->stream();
  tb_ = st_->time_base;
  if (tb_.num <= 0 || tb_.den <= 0) tb_ = AVRational{1, 90000};

  auto dec = in_->OpenDecoder(options_.decode_threads);
  if (!dec.ok()) return dec.status();
  dec_ = std::move(dec).value();

  const int rotation = StreamRotation(st_);
  const AVRational sar = av_guess_sample_aspect_ratio(fmt, st_, nullptr);
  if (options_.prepare) {  // converted at the displayed size; `prepare` resizes
    conv_ = std::make_unique<FrameConverter>(rotation, 0, sar);
  } else {
    conv_ = std::make_unique<FrameConverter>(rotation, options_.output_size, sar,
                                             options_.resize_shortest, options_.output_width);
  }

  if (fmt->start_time != AV_NOPTS_VALUE) {
    start_ts_ = av_rescale_q(fmt->start_time, AV_TIME_BASE_Q, tb_);
  } else if (st_->start_time != AV_NOPTS_VALUE) {
    start_ts_ = st_->start_time;
  }
  const AVRational fr = st_->avg_frame_rate.num > 0 ? st_->avg_frame_rate : st_->r_frame_rate;
  if (fr.num > 0 && fr.den > 0) frame_rate_ = std::min(av_q2d(fr), 1000.0);

  // Presentation duration: where the video stream ends, measured from the presentation start.
  double duration = 0;
  if (st_->duration > 0 && st_->duration != AV_NOPTS_VALUE) {
    const int64_t first = st_->start_time != AV_NOPTS_VALUE ? st_->start_time : start_ts_;
    duration = static_cast<double>(first - start_ts_ + st_->duration) * av_q2d(tb_);
  } else {
    // Matroska/WebM give no stream duration, and their segment duration may count from
    // timestamp 0 rather than from the first frame: read the timestamps at the end instead.
    const int64_t end = ProbeEndTs();
    if (end != kNoPts && end > start_ts_) {
      duration = static_cast<double>(end - start_ts_) * av_q2d(tb_);
    } else if (fmt->duration > 0 && fmt->duration != AV_NOPTS_VALUE) {
      duration = static_cast<double>(fmt->duration) / AV_TIME_BASE;
    }
  }
  if (!std::isfinite(duration) || duration < 0) duration = 0;
  duration_ = duration;

  // The keyframe index. It is trusted when it reaches the end of the stream (MP4, MKV, AVI
  // read it from the header); demuxers such as MPEG-TS only index what they have read so far.
  const int entries = avformat_index_get_entries_count(st_);
  int64_t last_entry = kNoPts;
  for (int i = 0; i < entries; ++i) {
    const AVIndexEntry* e = avformat_index_get_entry(st_, i);
    if (e == nullptr) continue;
    last_entry = std::max(last_entry, e->timestamp);
    if ((e->flags & AVINDEX_KEYFRAME) && !(e->flags & AVINDEX_DISCARD_FRAME)) {
      keyframes_.push_back(e->timestamp);
    }
  }
  // MP4 indexes decoding timestamps; with B-frames a keyframe is shown a little after it is
  // decoded. Plan with (approximate) presentation times, seek with the index's own times.
  if (!keyframes_.empty() && st_->start_time != AV_NOPTS_VALUE) {
    int64_t first_entry = std::numeric_limits<int64_t>::max();
    for (int i = 0; i < entries; ++i) {
      const AVIndexEntry* e = avformat_index_get_entry(st_, i);
      if (e != nullptr) first_entry = std::min(first_entry, e->timestamp);
    }
    const int64_t shift = st_->start_time - first_entry;
    if (shift > 0 && static_cast<double>(shift) * av_q2d(tb_) < 1.0) keyframe_shift_ = shift;
  }
  for (auto& k : keyframes_) k += keyframe_shift_;
  std::sort(keyframes_.begin(), keyframes_.end());
  keyframes_.erase(std::unique(keyframes_.begin(), keyframes_.end()), keyframes_.end());
  const double covered =
      last_entry == kNoPts ? 0 : static_cast<double>(last_entry - start_ts_) * av_q2d(tb_);
  if (keyframes_.empty() || covered < duration - std::max(5.0, 0.1 * duration)) {
    keyframes_.clear();
  }

  const double tolerance = options_.sampling.ResolvedKeyframeTolerance();
  tolerance_ts_ = static_cast<int64_t>(std::floor(tolerance / av_q2d(tb_)));
  targets_ = ChooseTargets(duration, options_.sampling.fps, options_.sampling.max_frames);

  if (info != nullptr) {
    const AVCodecParameters* par = st_->codecpar;
    DisplaySize(par->width, par->height, sar, rotation, &info->width, &info->height);
    info->duration = duration;
    info->codec = avcodec_get_name(par->codec_id);
    info->format = fmt->iformat->name;
    info->rotation = rotation;
    info->has_index = !keyframes_.empty();
  }
  return Status::Ok();
}

Status SamplingRun::Run() {
  for (size_t i = 0; i < targets_.size(); ++i) {
    if (in_->deadline().Expired()) return DeadlineStatus();
    VIDX_RETURN_IF_ERROR(ServeTarget(i));
  }
  return EnsureOneFrame();
}

Status SamplingRun::RunFrameAt(double seconds) {
  // Past the end means the end; a stream of unknown duration is searched up to a bound that
  // keeps the timestamp arithmetic finite.
  double at = duration_ > 0 ? std::min(seconds, duration_) : seconds;
  at = std::min(std::max(at, 0.0), 1e9);
  // Rounded down (a time inside a frame's interval belongs to that frame, however coarse the
  // time base), with a margin for a time given exactly at a frame's start.
  const int64_t t = start_ts_ + static_cast<int64_t>(std::floor(at / av_q2d(tb_) + 1e-6));
  Held best;   // the latest frame presented at or before t
  Held after;  // the first frame presented after t, when nothing came before it
  if (!keyframes_.empty()) {
    // The keyframe before t; when it turns out to be presented after t (the index holds
    // approximate presentation times), step back to an earlier one.
    auto it = std::upper_bound(keyframes_.begin(), keyframes_.end(), t);
    for (int back = 0; back < 3 && !best.valid && it != keyframes_.begin(); ++back) {
      --it;
      VIDX_RETURN_IF_ERROR(SeekToKeyframe(*it));
      VIDX_RETURN_IF_ERROR(DecodeCovering(t, &best, &after));
    }
  } else {
    VIDX_RETURN_IF_ERROR(SeekWithoutIndex(t));
    VIDX_RETURN_IF_ERROR(DecodeCovering(t, &best, &after));
  }
  if (!best.valid && !after.valid) {  // the index or the seek misled us: from the start
    VIDX_RETURN_IF_ERROR(SeekToStart());
    VIDX_RETURN_IF_ERROR(DecodeCovering(t, &best, &after));
  }
  if (best.valid) return Deliver(&best, seconds);
  if (after.valid) return Deliver(&after, seconds);
  return Status::Corruption(in_->path() + ": no video frame could be decoded");
}

Status SamplingRun::DecodeCovering(int64_t t, Held* best, Held* after) {
  for (;;) {
    bool got = false;
    if (pending_.valid) {  // SeekWithoutIndex decoded this one already
      scratch_.TakeFrom(&pending_);
      got = true;
    } else {
      VIDX_RETURN_IF_ERROR(DecodeNext(&scratch_, &got));
    }
    if (!got) return Status::Ok();
    if (scratch_.pts <= t) {
      if (!best->valid || scratch_.pts >= best->pts) {
        best->TakeFrom(&scratch_);
      } else {
        scratch_.Clear();
      }
      continue;
    }
    if (!after->valid || scratch_.pts < after->pts) {
      after->TakeFrom(&scratch_);
    } else {
      scratch_.Clear();
    }
    return Status::Ok();
  }
}

int64_t SamplingRun::KeyframeBefore(int64_t t) const {
  auto it = std::upper_bound(keyframes_.begin(), keyframes_.end(), t);
  return it == keyframes_.begin() ? keyframes_.front() : *(it - 1);
}

Status SamplingRun::ServeTarget(size_t i) {
  const double target = targets_[i];
  const int64_t t = ToTs(target);
  const int64_t next_t = i + 1 < targets_.size() ? ToTs(targets_[i + 1]) : kNoPts;
  // 1. Already decoding close behind the target: just keep going.
  if (live_ && !eof_ && pos_ != kNoPts && pos_ <= t &&
      FramesBetween(pos_, t) <= kCheapForwardFrames) {
    return ForwardTo(t, target);
  }
  // 2. A keyframe close enough to stand for the target, decoded alone.
  if (tolerance_ts_ > 0 && !keyframes_.empty()) {
    bool served = false;
    VIDX_RETURN_IF_ERROR(TryKeyframe(t, target, next_t, &served));
    if (served) return Status::Ok();
  }
  // 3. Decode forward from the keyframe before the target, or from where the decoder is.
  bool keep_going = false;
  if (live_ && pos_ != kNoPts && (eof_ || pos_ <= t)) {
    if (!keyframes_.empty()) {
      keep_going = pos_ >= KeyframeBefore(t);
    } else {
      keep_going = eof_ || static_cast<double>(t - pos_) * av_q2d(tb_) <= kNoIndexForwardSeconds;
    }
  }
  if (live_ && pending_.valid && pending_.pts >= t) keep_going = true;
  if (!keep_going) {
    if (keyframes_.empty()) {
      VIDX_RETURN_IF_ERROR(SeekWithoutIndex(t));
    } else {
      VIDX_RETURN_IF_ERROR(SeekToKeyframe(KeyframeBefore(t)));
    }
  }
  return ForwardTo(t, target);
}

Status SamplingRun::TryKeyframe(int64_t t, double target, int64_t next_t, bool* served) {
  *served = false;
  while (next_keyframe_ < keyframes_.size() && last_delivered_ != kNoPts &&
         keyframes_[next_keyframe_] <= last_delivered_) {
    ++next_keyframe_;
  }
  const auto first = keyframes_.begin() + static_cast<std::ptrdiff_t>(next_keyframe_);
  const auto lb = std::lower_bound(first, keyframes_.end(), t);
  auto best = keyframes_.end();
  int64_t best_gap = std::numeric_limits<int64_t>::max();
  for (auto it : {lb, lb == first ? keyframes_.end() : lb - 1}) {
    if (it == keyframes_.end()) continue;
    const int64_t gap = *it > t ? *it - t : t - *it;
    if (gap <= tolerance_ts_ && gap < best_gap) {
      best = it;
      best_gap = gap;
    }
  }
  if (best == keyframes_.end()) return Status::Ok();
  next_keyframe_ = static_cast<size_t>(best - keyframes_.begin()) + 1;

  // When the next target will be decoded forward from this same keyframe, decode it in the
  // ordinary forward way and stay there, instead of decoding it alone and seeking back to it.
  bool next_continues_here = false;
  if (next_t != kNoPts && KeyframeBefore(next_t) == *best) {
    next_continues_here = true;
    for (auto it = best + 1; it != keyframes_.end() && *it <= next_t + tolerance_ts_; ++it) {
      const int64_t gap = *it > next_t ? *it - next_t : next_t - *it;
      if (gap <= tolerance_ts_) next_continues_here = false;  // the next target has its own
    }
  }
  if (next_continues_here) {
    VIDX_RETURN_IF_ERROR(SeekToKeyframe(*best));
    bool got = false;
    VIDX_RETURN_IF_ERROR(DecodeNext(&scratch_, &got));
    if (!got || (last_delivered_ != kNoPts && scratch_.pts <= last_delivered_)) {
      scratch_.Clear();
      return Status::Ok();
    }
    ++stats_->keyframe_hits;
    *served = true;
    return Deliver(&scratch_, target);
  }

  VIDX_RETURN_IF_ERROR(SeekToKeyframe(*best));
  // Read up to the first packet of the stream; it must be the keyframe.
  int rc = 0;
  for (;;) {
    if (in_->deadline().Expired()) return DeadlineStatus();
    rc = av_read_frame(in_->format(), pkt_.get());
    if (rc < 0) break;
    ++stats_->packets_read;
    if (pkt_->stream_index == in_->stream_index() && !SkipPacket(pkt_.get())) break;
    av_packet_unref(pkt_.get());
  }
  if (rc == AVERROR_EXIT) return DeadlineStatus();
  if (rc < 0) return Status::Ok();  // nothing there; the caller decodes forward instead
  const bool key = (pkt_->flags & AV_PKT_FLAG_KEY) != 0;
  if (!key) {
    av_packet_unref(pkt_.get());
    live_ = false;
    return Status::Ok();
  }
  // Decode that packet alone: send it, drain, keep the first picture.
  rc = avcodec_send_packet(dec_.get(), pkt_.get());
  av_packet_unref(pkt_.get());
  Held got;
  if (rc >= 0) {
    avcodec_send_packet(dec_.get(), nullptr);
    for (;;) {
      rc = avcodec_receive_frame(dec_.get(), scratch_.frame.get());
      if (rc < 0) break;
      ++stats_->frames_decoded;
      if (!got.valid) {
        int64_t pts = scratch_.frame->best_effort_timestamp;
        if (pts == AV_NOPTS_VALUE) pts = scratch_.frame->pts;
        if (pts == AV_NOPTS_VALUE) pts = *best;
        scratch_.pts = pts;
        scratch_.valid = true;
        got.TakeFrom(&scratch_);
      } else {
        av_frame_unref(scratch_.frame.get());
      }
    }
  }
  avcodec_flush_buffers(dec_.get());
  live_ = false;
  draining_ = eof_ = false;
  pos_ = kNoPts;
  if (!got.valid || (last_delivered_ != kNoPts && got.pts <= last_delivered_)) {
    return Status::Ok();
  }
  last_pts_ = got.pts;
  ++stats_->keyframe_hits;
  *served = true;
  return Deliver(&got, target);
}

Status SamplingRun::ForwardTo(int64_t t, double target) {
  Held prev;
  if (pending_.valid && (last_delivered_ == kNoPts || pending_.pts > last_delivered_)) {
    if (pending_.pts >= t) return Deliver(&pending_, target);
    prev.TakeFrom(&pending_);
  }
  pending_.Clear();
  for (;;) {
    bool got = false;
    VIDX_RETURN_IF_ERROR(DecodeNext(&scratch_, &got));
    if (!got) break;
    if (last_delivered_ != kNoPts && scratch_.pts <= last_delivered_) {
      scratch_.Clear();
      continue;
    }
    if (scratch_.pts < t) {
      prev.TakeFrom(&scratch_);
      continue;
    }
    if (prev.valid && t - prev.pts <= scratch_.pts - t) {
      pending_.TakeFrom(&scratch_);
      return Deliver(&prev, target);
    }
    return Deliver(&scratch_, target);
  }
  if (prev.valid) return Deliver(&prev, target);
  return Status::Ok();
}

Status SamplingRun::Seek(int64_t ts) {
  if (in_->deadline().Expired()) return DeadlineStatus();
  ++stats_->seeks;
  int rc = av_seek_frame(in_->format(), in_->stream_index(), ts, AVSEEK_FLAG_BACKWARD);
  if (rc < 0) {
    rc = avformat_seek_file(in_->format(), in_->stream_index(), std::numeric_limits<int64_t>::min(),
                            ts, std::numeric_limits<int64_t>::max(), 0);
  }
  if (rc == AVERROR_EXIT) return DeadlineStatus();
  // A failed seek leaves the demuxer where it was: decoding simply goes on from there.
  ResetAfterSeek(/*await_key=*/true);
  return Status::Ok();
}

Status SamplingRun::SeekToKeyframe(int64_t key) {
  VIDX_RETURN_IF_ERROR(Seek(key - keyframe_shift_));
  // Skip what lies closer to the previous keyframe than to this one.
  auto it = std::lower_bound(keyframes_.begin(), keyframes_.end(), key);
  skip_before_ = it == keyframes_.begin() ? kNoPts : *(it - 1) + (key - *(it - 1)) / 2;
  skip_key_ = key;
  return Status::Ok();
}

bool SamplingRun::SkipPacket(const AVPacket* pkt) {
  if (skip_before_ == kNoPts) return false;
  int64_t p = pkt->pts;
  if (p == AV_NOPTS_VALUE && pkt->dts != AV_NOPTS_VALUE) p = pkt->dts + keyframe_shift_;
  const bool key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
  // Reached the keyframe (or passed it, or cannot tell): everything from here is decoded.
  if (p == AV_NOPTS_VALUE || (key && p >= skip_before_) || p > skip_key_) {
    skip_before_ = kNoPts;
    return false;
  }
  return true;
}

Status SamplingRun::SeekToStart() {
  if (in_->deadline().Expired()) return DeadlineStatus();
  ++stats_->seeks;
  AVFormatContext* fmt = in_->format();
  int rc = -1;
  if (fmt->iformat->flags & AVFMT_NO_BYTE_SEEK) {
    rc = -1;
  } else {
    rc = avformat_seek_file(fmt, -1, 0, 0, 0, AVSEEK_FLAG_BYTE);
  }
  if (rc < 0) {
    rc = avformat_seek_file(fmt, in_->stream_index(), std::numeric_limits<int64_t>::min(),
                            start_ts_, start_ts_, 0);
  }
  if (rc == AVERROR_EXIT) return DeadlineStatus();
  ResetAfterSeek(/*await_key=*/false);
  return Status::Ok();
}

void SamplingRun::ResetAfterSeek(bool await_key) {
  avcodec_flush_buffers(dec_.get());
  pending_.Clear();
  draining_ = eof_ = false;
  pos_ = kNoPts;
  live_ = true;
  await_key_ = await_key;
  dropped_waiting_ = 0;
  skip_before_ = kNoPts;
}

// Without a keyframe index a timestamp seek may land anywhere (MPEG-TS seeks by PES
// timestamps, not keyframes). Seek a little before the target and check that the first
// keyframe decoded is not after it; otherwise back off further, down to the file start.
Status SamplingRun::SeekWithoutIndex(int64_t t) {
  const int64_t second = std::max<int64_t>(1, static_cast<int64_t>(1 / av_q2d(tb_)));
  for (int64_t back = 2 * second;; back *= 4) {
    if (t - back <= start_ts_) return SeekToStart();
    VIDX_RETURN_IF_ERROR(Seek(t - back));
    bool got = false;
    VIDX_RETURN_IF_ERROR(DecodeNext(&pending_, &got));
    if (got && pending_.pts <= t) return Status::Ok();  // ForwardTo goes on from pending_
    if (back > 3600 * second) return SeekToStart();
  }
}

// The end of the video stream (last pts + duration), read from the packets near the end of
// the file; kNoPts when that fails or would read too much. Leaves the demuxer anywhere.
int64_t SamplingRun::ProbeEndTs() {
  AVFormatContext* fmt = in_->format();
  if (fmt->pb == nullptr || (fmt->pb->seekable & AVIO_SEEKABLE_NORMAL) == 0) return kNoPts;
  const int64_t guess = fmt->duration > 0 && fmt->duration != AV_NOPTS_VALUE
                            ? start_ts_ + av_rescale_q(fmt->duration, AV_TIME_BASE_Q, tb_)
                            : std::numeric_limits<int64_t>::max() / 2;
  if (avformat_seek_file(fmt, in_->stream_index(), std::numeric_limits<int64_t>::min(), guess,
                         std::numeric_limits<int64_t>::max(), 0) < 0) {
    return kNoPts;
  }
  ++stats_->seeks;
  int64_t end = kNoPts;
  for (int i = 0; i < 5000 && !in_->deadline().Expired(); ++i) {
    if (av_read_frame(fmt, pkt_.get()) < 0) break;
    ++stats_->packets_read;
    if (pkt_->stream_index == in_->stream_index() && pkt_->pts != AV_NOPTS_VALUE) {
      end = std::max(end, pkt_->pts + std::max<int64_t>(pkt_->duration, 0));
    }
    av_packet_unref(pkt_.get());
  }
  return end;
}

Status SamplingRun::DecodeNext(Held* out, bool* got) {
  *got = false;
  if (eof_) return Status::Ok();
  for (;;) {
    if (in_->deadline().Expired()) return DeadlineStatus();
    int rc = avcodec_receive_frame(dec_.get(), out->frame.get());
    if (rc >= 0) {
      ++stats_->frames_decoded;
      consecutive_errors_ = 0;
      AVFrame* f = out->frame.get();
      if (await_key_) {
        if (!f->key_frame && ++dropped_waiting_ < kMaxDroppedWaitingForKey) {
          av_frame_unref(f);
          continue;
        }
        await_key_ = false;
      }
      int64_t pts = f->best_effort_timestamp;
      if (pts == AV_NOPTS_VALUE) pts = f->pts;
      if (pts == AV_NOPTS_VALUE) pts = f->pkt_dts;
      if (pts == AV_NOPTS_VALUE) {
        const int64_t step = std::max<int64_t>(1, std::llround(1.0 / (frame_rate_ * av_q2d(tb_))));
        pts = last_pts_ == kNoPts ? start_ts_ : last_pts_ + step;
      }
      out->pts = pts;
      out->valid = true;
      last_pts_ = pos_ = pts;
      live_ = true;
      *got = true;
      return Status::Ok();
    }
    if (rc == AVERROR_EOF || (rc == AVERROR(EAGAIN) && draining_)) {
      eof_ = true;
      return Status::Ok();
    }
    if (rc != AVERROR(EAGAIN)) {
      if (++consecutive_errors_ > kMaxConsecutiveErrors) {
        return in_->Error(StatusCode::kCorruption, "too many decoding errors", rc);
      }
      continue;
    }
    // The decoder wants input.
    rc = av_read_frame(in_->format(), pkt_.get());
    if (rc == AVERROR_EXIT) return DeadlineStatus();
    if (rc < 0) {  // end of file, or a read error in a truncated file: drain what we have
      avcodec_send_packet(dec_.get(), nullptr);
      draining_ = true;
      continue;
    }
    ++stats_->packets_read;
    if (pkt_->stream_index != in_->stream_index() || SkipPacket(pkt_.get())) {
      av_packet_unref(pkt_.get());
      continue;
    }
    rc = avcodec_send_packet(dec_.get(), pkt_.get());
    av_packet_unref(pkt_.get());
    if (rc < 0 && rc != AVERROR(EAGAIN)) {
      if (rc == AVERROR_EXIT) return DeadlineStatus();
      if (++consecutive_errors_ > kMaxConsecutiveErrors) {
        return in_->Error(StatusCode::kCorruption, "too many decoding errors", rc);
      }
    }
  }
}

Status SamplingRun::Deliver(Held* held, double target) {
  Frame frame;
  Status s = conv_->Convert(*held->frame, &frame);
  const int64_t pts = held->pts;
  held->Clear();
  if (!s.ok()) return s.WithContext(in_->path());
  if (options_.prepare) {
    VIDX_RETURN_IF_ERROR(options_.prepare(&frame).WithContext(in_->path()));
    const int side = options_.output_size;
    if (side > 0 && (frame.width != side || frame.height != side ||
                     frame.rgb.size() != static_cast<size_t>(side) * side * 3)) {
      return Status::Internal(in_->path() + ": a frame prepared for the model is " +
                              std::to_string(frame.width) + "x" + std::to_string(frame.height) +
                              ", not " + std::to_string(side) + "x" + std::to_string(side));
    }
  }
  frame.t = std::max(0.0, static_cast<double>(pts - start_ts_) * av_q2d(tb_));
  frame.target = target;
  last_delivered_ = pts;
  ++delivered_;
  return sink_(std::move(frame));
}

// Every decodable video yields a frame: when no target found one (a broken duration, frames
// only before the first target...), take the first frame there is.
Status SamplingRun::EnsureOneFrame() {
  if (delivered_ > 0) return Status::Ok();
  last_delivered_ = kNoPts;
  if (keyframes_.empty()) {
    VIDX_RETURN_IF_ERROR(SeekToStart());
  } else {
    VIDX_RETURN_IF_ERROR(SeekToKeyframe(keyframes_.front()));
  }
  bool got = false;
  VIDX_RETURN_IF_ERROR(DecodeNext(&scratch_, &got));
  if (!got) return Status::Corruption(in_->path() + ": no video frame could be decoded");
  return Deliver(&scratch_, 0.0);
}

}  // namespace video_internal
}  // namespace vidx
