#include "indexer/video/media_input.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

extern "C" {
#include <libavutil/log.h>
}

namespace vidx {

namespace ffmpeg {

std::string ErrorString(int averror) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  if (av_strerror(averror, buf, sizeof(buf)) < 0) return "error " + std::to_string(averror);
  return buf;
}

void ConfigureLogging() {
  static std::once_flag once;  // FFmpeg's log level is process state; set it exactly once.
  std::call_once(once, [] {
    int level = AV_LOG_QUIET;
    if (const char* env = std::getenv("VIDX_FFMPEG_LOG")) {
      const std::string v(env);
      if (v == "error")
        level = AV_LOG_ERROR;
      else if (v == "warning")
        level = AV_LOG_WARNING;
      else if (v == "info")
        level = AV_LOG_INFO;
      else if (v == "verbose")
        level = AV_LOG_VERBOSE;
      else if (v == "debug")
        level = AV_LOG_DEBUG;
    }
    av_log_set_level(level);
  });
}

}  // namespace ffmpeg

namespace {

// Demuxers that read only the file they were given. Everything else (hls, dash, concat,
// image2 sequences, sdp/rtp, imf, ...) is refused because it can open other files or URLs.
constexpr const char* kVideoFormats =
    "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,mpeg,mpegvideo,flv,ogg,ivf,asf,nut,mxf,"
    "yuv4mpegpipe,h264,hevc,m4v,mjpeg,obu,dv,rm,gif,apng";
constexpr const char* kImageFormats =
    "png_pipe,jpeg_pipe,bmp_pipe,webp_pipe,tiff_pipe,gif,pam_pipe,pbm_pipe,pgm_pipe,ppm_pipe,"
    "qoi_pipe";

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Same rule as FFmpeg's av_match_list: any name of the demuxer is in the list.
bool FormatAllowed(const char* demuxer_names, const char* allowlist) {
  const auto allowed = SplitCommas(allowlist);
  for (const auto& name : SplitCommas(demuxer_names)) {
    for (const auto& a : allowed) {
      if (name == a) return true;
    }
  }
  return false;
}

}  // namespace

const char* AllowedFormats(MediaKind kind) {
  return kind == MediaKind::kVideo ? kVideoFormats : kImageFormats;
}

Deadline::Deadline(double seconds) {
  if (!(seconds > 0)) seconds = 0;
  if (seconds > 1e7) seconds = 1e7;  // "forever", without overflowing the clock
  end_ = std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
             std::chrono::duration<double>(seconds));
}

int Deadline::InterruptCallback(void* opaque) {
  return static_cast<const Deadline*>(opaque)->Expired() ? 1 : 0;
}

MediaInput::MediaInput(std::string path, const MediaInputOptions& options)
    : path_(std::move(path)),
      options_(options),
      deadline_(std::make_unique<Deadline>(options.max_seconds)) {}

StatusOr<std::unique_ptr<MediaInput>> MediaInput::Open(const std::string& path,
                                                       const MediaInputOptions& options) {
  ffmpeg::ConfigureLogging();
  std::unique_ptr<MediaInput> input(new MediaInput(path, options));
  Status s = input->DoOpen();
  if (!s.ok()) return s;
  return input;
}

Status MediaInput::Error(StatusCode code, const std::string& what, int averror) const {
  if (averror == AVERROR_EXIT || deadline_->Expired()) {
    return Status::DeadlineExceeded(path_ + ": gave up after the " +
                                    std::to_string(options_.max_seconds) +
                                    " s time limit for one file");
  }
  return Status(code, path_ + ": " + what + ": " + ffmpeg::ErrorString(averror));
}

Status MediaInput::CheckDimensions(int width, int height) const {
  if (width > options_.max_dimension || height > options_.max_dimension) {
    return Status::ResourceExhausted(path_ + ": picture is " + std::to_string(width) + "x" +
                                     std::to_string(height) + ", larger than the limit of " +
                                     std::to_string(options_.max_dimension) + " pixels a side");
  }
  return Status::Ok();
}

Status MediaInput::DoOpen() {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) {
    const int err = errno;
    const std::string msg = path_ + ": cannot open: " + std::strerror(err);
    return err == ENOENT ? Status::NotFound(msg) : Status::IoError(msg);
  }
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(path_ + ": is not a regular file");
  if (st.st_size == 0) return Status::Corruption(path_ + ": file is empty");

  // The `file:` prefix keeps a name such as "c:x.mp4" or "http:x" from selecting a protocol.
  const std::string url = "file:" + path_;
  const AVIOInterruptCB interrupt{&Deadline::InterruptCallback, deadline_.get()};

  AVDictionary* io_opts = nullptr;
  av_dict_set(&io_opts, "protocol_whitelist", "file", 0);
  AVIOContext* io = nullptr;
  int rc = avio_open2(&io, url.c_str(), AVIO_FLAG_READ, &interrupt, &io_opts);
  av_dict_free(&io_opts);
  if (rc < 0) return Error(StatusCode::kIoError, "cannot open", rc);
  io_.reset(io);

  // Probe ourselves so that the demuxer is checked before it reads (and follows) anything.
  const AVInputFormat* probed = nullptr;
  const int64_t probe_bytes = options_.max_probe_bytes > 0 ? options_.max_probe_bytes : 1 << 20;
  const unsigned probe_cap = static_cast<unsigned>(std::min<int64_t>(probe_bytes, 1 << 30));
  // A still image is recognised by its bytes alone: given the name, the image2 (sequence)
  // demuxer claims any "*.jpg" whose first 2 KiB end inside the picture data, outscoring
  // jpeg_pipe, and the file would be refused.
  const char* probe_name = options_.kind == MediaKind::kImage ? "" : url.c_str();
  rc = av_probe_input_buffer2(io_.get(), &probed, probe_name, nullptr, 0, probe_cap);
  if (rc < 0 || probed == nullptr) {
    return Error(StatusCode::kCorruption, "not a recognisable media file", rc < 0 ? rc : -1);
  }
  if (!FormatAllowed(probed->name, AllowedFormats(options_.kind))) {
    const bool video = options_.kind == MediaKind::kVideo;
    return Status::Unsupported(
        path_ + ": the '" + probed->name + "' format is refused: vidx reads only single-file " +
        (video ? "video containers" : "still images") +
        " (playlists and multi-file formats such as hls or concat could make it read other "
        "files)");
  }

  ffmpeg::AllocFormatPtr alloc(avformat_alloc_context());
  if (!alloc) return Status::ResourceExhausted(path_ + ": out of memory");
  alloc->pb = io_.get();
  alloc->interrupt_callback = interrupt;
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "protocol_whitelist", "file", 0);
  av_dict_set(&opts, "format_whitelist", AllowedFormats(options_.kind), 0);
  av_dict_set_int(&opts, "probesize", std::max<int64_t>(probe_bytes, 32), 0);
  av_dict_set_int(&opts, "formatprobesize", probe_cap, 0);
  AVFormatContext* raw = alloc.release();
  rc = avformat_open_input(&raw, url.c_str(), probed, &opts);  // frees `raw` on failure
  av_dict_free(&opts);
  if (rc < 0) return Error(StatusCode::kCorruption, "cannot read the container", rc);
  format_.reset(raw);

  // Refuse giant pictures before any decoder sees them.
  Status s = PickVideoStream(/*final_answer=*/false);
  if (!s.ok()) return s;
  if (stream_index_ >= 0) {
    const AVCodecParameters* par = stream()->codecpar;
    VIDX_RETURN_IF_ERROR(CheckDimensions(par->width, par->height));
  }
  if (options_.kind == MediaKind::kImage) {
    if (stream_index_ < 0) return Status::Corruption(path_ + ": holds no picture");
    return Status::Ok();
  }

  // Stream info: the decoders FFmpeg opens here get the same pixel limit and one thread.
  std::vector<AVDictionary*> stream_opts(format_->nb_streams, nullptr);
  const int64_t max_pixels = static_cast<int64_t>(options_.max_dimension) * options_.max_dimension;
  for (auto& d : stream_opts) {
    av_dict_set_int(&d, "max_pixels", max_pixels, 0);
    av_dict_set(&d, "threads", "1", 0);
  }
  rc = avformat_find_stream_info(format_.get(), stream_opts.empty() ? nullptr : stream_opts.data());
  for (auto& d : stream_opts) av_dict_free(&d);
  if (rc < 0) return Error(StatusCode::kCorruption, "cannot find the streams", rc);
  if (deadline_->Expired()) return Error(StatusCode::kDeadlineExceeded, "", AVERROR_EXIT);

  VIDX_RETURN_IF_ERROR(PickVideoStream(/*final_answer=*/true));
  const AVCodecParameters* par = stream()->codecpar;
  VIDX_RETURN_IF_ERROR(CheckDimensions(par->width, par->height));
  return Status::Ok();
}

Status MediaInput::PickVideoStream(bool final_answer) {
  stream_index_ = -1;
  int best = av_find_best_stream(format_.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  auto usable = [this](int i) {
    const AVStream* st = format_->streams[i];
    return st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
           (options_.kind == MediaKind::kImage ||
            (st->disposition & AV_DISPOSITION_ATTACHED_PIC) == 0);
  };
  if (best >= 0 && usable(best)) {
    stream_index_ = best;
  } else {
    for (unsigned i = 0; i < format_->nb_streams; ++i) {
      if (usable(static_cast<int>(i))) {
        stream_index_ = static_cast<int>(i);
        break;
      }
    }
  }
  if (stream_index_ < 0 && final_answer) {
    return Status::Unsupported(path_ + ": has no video stream");
  }
  return Status::Ok();
}

StatusOr<ffmpeg::CodecContextPtr> MediaInput::OpenDecoder(int threads) const {
  const AVCodecParameters* par = stream()->codecpar;
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  if (codec == nullptr) {
    return Status::Unsupported(path_ + ": no decoder for the '" + avcodec_get_name(par->codec_id) +
                               "' codec");
  }
  ffmpeg::CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) return Status::ResourceExhausted(path_ + ": out of memory");
  int rc = avcodec_parameters_to_context(ctx.get(), par);
  if (rc < 0) return Error(StatusCode::kInternal, "cannot set up the decoder", rc);
  ctx->pkt_timebase = stream()->time_base;
  ctx->thread_count = threads > 0 ? threads : 0;
  ctx->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  AVDictionary* opts = nullptr;
  av_dict_set_int(&opts, "max_pixels",
                  static_cast<int64_t>(options_.max_dimension) * options_.max_dimension, 0);
  rc = avcodec_open2(ctx.get(), codec, &opts);
  av_dict_free(&opts);
  if (rc < 0) {
    return Error(StatusCode::kUnsupported,
                 std::string("cannot open the '") + codec->name + "' decoder", rc);
  }
  return ctx;
}

}  // namespace vidx
