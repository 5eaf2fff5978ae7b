#include "indexer/model/clip_embedder.h"

#include <cstring>
#include <filesystem>
#include <future>
#include <utility>
#include <vector>

#include "indexer/model/clip_encoder.h"
#include "indexer/model/sha256.h"

namespace vidx {
namespace {

namespace fs = std::filesystem;

ImagePreprocessSpec SpecOf(const ClipEncoder& encoder) {
  const PreprocessConfig& p = encoder.preprocess();
  ImagePreprocessSpec s;
  s.height = encoder.image_height();
  s.width = encoder.image_width();
  if (!p.do_resize) {
    s.resize = ImagePreprocessSpec::Resize::kNone;
  } else if (p.resize_height > 0) {
    s.resize = ImagePreprocessSpec::Resize::kExact;
    s.resize_height = p.resize_height;
    s.resize_width = p.resize_width;
  } else {
    s.resize = ImagePreprocessSpec::Resize::kShortestEdge;
    s.shortest_edge = p.shortest_edge;
  }
  s.center_crop = p.do_center_crop;
  s.interpolation = "bicubic";  // the only resample PreprocessConfig accepts
  s.rescale_factor = p.do_rescale ? p.rescale_factor : 1.0;
  if (p.do_normalize) {
    s.mean = p.image_mean;
    s.std = p.image_std;
  }
  return s;
}

class ClipEmbedder final : public Embedder {
 public:
  ClipEmbedder(std::unique_ptr<ClipEncoder> encoder, std::unique_ptr<Tokenizer> tokenizer,
               std::string tokenizer_files, std::vector<std::string> weights)
      : encoder_(std::move(encoder)),
        tokenizer_(std::move(tokenizer)),
        tokenizer_files_(std::move(tokenizer_files)),
        weights_(std::move(weights)),
        spec_(SpecOf(*encoder_)) {}

  std::string family() const override { return "clip"; }
  int dim() const override { return encoder_->dim(); }
  const ImagePreprocessSpec& image_input() const override { return spec_; }
  std::string device() const override { return encoder_->device(); }
  std::string precision() const override { return encoder_->precision(); }
  std::vector<std::string> checkpoint_files() const override { return weights_; }
  std::string Describe() const override {
    return encoder_->Describe() + ";tokenizer_files{" + tokenizer_files_ + "}";
  }

  Status EmbedPreparedImages(int64_t n, const uint8_t* rgb, float* out) const override {
    VIDX_RETURN_IF_ERROR(CheckBatch(n));
    std::vector<float> v;
    VIDX_RETURN_IF_ERROR(
        encoder_->EncodePreparedImages(rgb, static_cast<int>(n), spec_.height, spec_.width, &v));
    return Copy(v, n, out);
  }

  Status EmbedImages(int64_t n, int height, int width, const uint8_t* rgb,
                     float* out) const override {
    VIDX_RETURN_IF_ERROR(CheckBatch(n));
    std::vector<float> v;
    VIDX_RETURN_IF_ERROR(encoder_->EncodeImages(rgb, static_cast<int>(n), height, width, &v));
    return Copy(v, n, out);
  }

  Status EmbedTexts(int64_t n, const std::string* texts, float* out) const override {
    VIDX_RETURN_IF_ERROR(CheckBatch(n));
    const int len = encoder_->context_length();
    std::vector<int64_t> ids;
    ids.reserve(static_cast<size_t>(n) * static_cast<size_t>(len));
    for (int64_t i = 0; i < n; ++i) {
      const std::vector<int32_t> row = tokenizer_->Encode(texts[i], len);
      ids.insert(ids.end(), row.begin(), row.end());
    }
    std::vector<float> v;
    VIDX_RETURN_IF_ERROR(encoder_->EncodeTokens(ids.data(), static_cast<int>(n), len, &v));
    return Copy(v, n, out);
  }

  StatusOr<std::vector<int32_t>> Tokenize(std::string_view text) const override {
    std::vector<int32_t> ids = tokenizer_->Encode(text, encoder_->context_length());
    while (!ids.empty() && ids.back() == 0) ids.pop_back();  // the padding
    return ids;
  }

  StatusOr<EmbedderProbe> Probe() const override { return encoder_->Probe(); }

 private:
  static Status CheckBatch(int64_t n) {
    if (n < 1 || n > (int64_t{1} << 30)) {
      return Status::InvalidArgument("a batch must hold 1 to 2^30 inputs, not " +
                                     std::to_string(n));
    }
    return Status::Ok();
  }
  Status Copy(const std::vector<float>& v, int64_t n, float* out) const {
    const size_t want = static_cast<size_t>(n) * static_cast<size_t>(dim());
    if (v.size() != want) {
      return Status::Internal("the model returned " + std::to_string(v.size()) + " floats for " +
                              std::to_string(n) + " inputs");
    }
    if (want > 0) std::memcpy(out, v.data(), want * sizeof(float));
    return Status::Ok();
  }

  const std::unique_ptr<ClipEncoder> encoder_;
  const std::unique_ptr<Tokenizer> tokenizer_;
  const std::string tokenizer_files_;  // DescribeFileHashes of the files the tokenizer read
  const std::vector<std::string> weights_;
  const ImagePreprocessSpec spec_;
};

// The tokenizer files LoadClipTokenizer reads in `dir`: vocab.json and merges.txt, else
// bpe_simple_vocab_16e6.txt.gz; empty when neither is there.
std::vector<std::string> ClipTokenizerFileNames(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir / "vocab.json", ec) && fs::exists(dir / "merges.txt", ec)) {
    return {"vocab.json", "merges.txt"};
  }
  if (fs::exists(dir / "bpe_simple_vocab_16e6.txt.gz", ec)) return {"bpe_simple_vocab_16e6.txt.gz"};
  return {};
}

struct ClipTokenizerAndFiles {
  StatusOr<std::unique_ptr<Tokenizer>> tokenizer;
  StatusOr<std::string> files;  // DescribeFileHashes of what the tokenizer read
};

}  // namespace

StatusOr<std::unique_ptr<Tokenizer>> LoadClipTokenizer(const std::string& model_dir) {
  fs::path dir(model_dir);
  const std::vector<std::string> names = ClipTokenizerFileNames(dir);
  if (names.size() == 2) {
    return Tokenizer::FromHfFiles((dir / names[0]).string(), (dir / names[1]).string());
  }
  if (names.size() == 1) return Tokenizer::FromOpenAiVocab((dir / names[0]).string());
  return Status::NotFound(model_dir +
                          " has no tokenizer: expected vocab.json and merges.txt, "
                          "or bpe_simple_vocab_16e6.txt.gz");
}

StatusOr<std::unique_ptr<Embedder>> LoadClipEmbedder(const EmbedderOptions& options,
                                                     LoadReport* report) {
  // The tokenizer does not depend on the weights: it is read and checked on a second thread
  // while the weights load (mostly page mapping, one core).
  std::future<ClipTokenizerAndFiles> tokenizer_future =
      std::async(std::launch::async, [dir = options.model_dir] {
        return ClipTokenizerAndFiles{LoadClipTokenizer(dir),
                                     DescribeFileHashes(dir, ClipTokenizerFileNames(dir))};
      });
  StatusOr<std::unique_ptr<ClipEncoder>> encoder = ClipEncoder::Load(options, report);
  ClipTokenizerAndFiles loaded = tokenizer_future.get();
  StatusOr<std::unique_ptr<Tokenizer>>& tokenizer = loaded.tokenizer;
  if (!encoder.ok()) return encoder.status();
  StatusOr<std::vector<std::string>> weights = ClipWeightFiles(options);
  if (!weights.ok()) return weights.status();
  if (!tokenizer.ok()) return tokenizer.status();
  if (!loaded.files.ok()) return loaded.files.status();
  const int model_vocab = (*encoder)->config().text.vocab_size;
  if (static_cast<int>((*tokenizer)->vocab_size()) != model_vocab) {
    return Status::FailedPrecondition("the tokenizer in " + options.model_dir + " has " +
                                      std::to_string((*tokenizer)->vocab_size()) +
                                      " tokens but config.json's text_config.vocab_size is " +
                                      std::to_string(model_vocab));
  }
  return std::unique_ptr<Embedder>(std::make_unique<ClipEmbedder>(
      std::move(*encoder), std::move(*tokenizer), std::move(*loaded.files), std::move(*weights)));
}

}  // namespace vidx
