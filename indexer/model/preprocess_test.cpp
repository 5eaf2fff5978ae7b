#include "indexer/model/preprocess.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "indexer/model/model_test_util.h"
#include "nlohmann/json.hpp"

namespace vidx {
namespace {

using testing_util::ReadRaw;
using testing_util::TinyModels;

TEST(PreprocessTest, SameSizeIsNotResampled) {
  std::vector<uint8_t> img(5 * 7 * 3);
  for (size_t i = 0; i < img.size(); ++i) img[i] = static_cast<uint8_t>(i * 37);
  EXPECT_EQ(ResizeBicubicU8(img.data(), 5, 7, 3, 5, 7), img);
}

TEST(PreprocessTest, ConstantImageStaysConstant) {
  std::vector<uint8_t> img(31 * 17 * 3, 200);
  for (auto [h, w] : {std::pair{8, 9}, std::pair{40, 60}, std::pair{31, 5}}) {
    std::vector<uint8_t> out = ResizeBicubicU8(img.data(), 31, 17, 3, h, w);
    ASSERT_EQ(out.size(), static_cast<size_t>(h * w * 3));
    for (uint8_t v : out) ASSERT_EQ(v, 200);
  }
}

TEST(PreprocessTest, ShortestEdgeResizeAndCentreCrop) {
  PreprocessConfig p;
  p.shortest_edge = 4;
  p.crop_height = p.crop_width = 4;
  // 4 x 10 image: no resize needed (short side already 4), crop takes columns 3..6.
  std::vector<uint8_t> img(4 * 10 * 3);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 10; ++x)
      for (int c = 0; c < 3; ++c) img[(y * 10 + x) * 3 + c] = static_cast<uint8_t>(x * 10 + c);
  std::vector<uint8_t> out;
  ASSERT_TRUE(ResizeAndCrop(p, img.data(), 4, 10, &out).ok());
  ASSERT_EQ(out.size(), 4u * 4 * 3);
  EXPECT_EQ(out[0], 30);
  EXPECT_EQ(out[3 * 3 + 2], 62);
  // Smaller than the crop after resizing is an error, not a crash.
  p.shortest_edge = 2;
  EXPECT_FALSE(ResizeAndCrop(p, img.data(), 4, 10, &out).ok());
  EXPECT_FALSE(ResizeAndCrop(p, img.data(), 0, 10, &out).ok());
}

// The Embedder-facing overload (what indexed frames go through) is the same resize and crop as
// the PreprocessConfig one (what query pictures go through), for CLIP's and SigLIP's geometry.
TEST(PreprocessTest, SpecAndConfigOverloadsAgree) {
  std::vector<uint8_t> img(23 * 41 * 3);
  for (size_t i = 0; i < img.size(); ++i) img[i] = static_cast<uint8_t>((i * 7919) >> 3);
  PreprocessConfig clip;
  clip.shortest_edge = 14;
  clip.crop_height = clip.crop_width = 12;
  ImagePreprocessSpec crop;
  crop.height = crop.width = 12;
  crop.shortest_edge = 14;
  PreprocessConfig siglip;
  siglip.resize_height = siglip.resize_width = 16;
  siglip.do_center_crop = false;
  ImagePreprocessSpec squash;
  squash.height = squash.width = 16;
  squash.resize = ImagePreprocessSpec::Resize::kExact;
  squash.resize_height = squash.resize_width = 16;
  squash.center_crop = false;
  for (const auto& [config, spec] : {std::pair{clip, crop}, std::pair{siglip, squash}}) {
    std::vector<uint8_t> a, b;
    ASSERT_TRUE(ResizeAndCrop(config, img.data(), 23, 41, &a).ok());
    ASSERT_TRUE(ResizeAndCrop(spec, img.data(), 23, 41, &b).ok());
    EXPECT_EQ(a, b);
    EXPECT_EQ(b.size(), static_cast<size_t>(spec.height) * spec.width * 3);
  }
  // The squash keeps the whole width: it is the bicubic resize of the full picture.
  std::vector<uint8_t> squashed;
  ASSERT_TRUE(ResizeAndCrop(squash, img.data(), 23, 41, &squashed).ok());
  EXPECT_EQ(squashed, ResizeBicubicU8(img.data(), 23, 41, 3, 16, 16));
}

// C++ preprocessing vs CLIPImageProcessor (Pillow bicubic) on each tiny model's image.
TEST(PreprocessTest, MatchesClipImageProcessor) {
  if (!testing_util::TinyModelsPresent()) FAIL() << testing_util::kNoTinyModels;
  for (const std::string name : {"tiny_a", "tiny_b", "tiny_c"}) {
    const std::string dir = TinyModels() + "/" + name;
    auto config = LoadClipConfig(dir);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    auto pre = LoadPreprocessConfig(dir, config->vision);
    ASSERT_TRUE(pre.ok()) << pre.status().ToString();
    std::ifstream in(dir + "/ref/meta.json");
    const auto meta = nlohmann::json::parse(in);
    std::vector<uint8_t> rgb = ReadRaw<uint8_t>(dir + "/ref/rgb.u8");
    std::vector<float> ours;
    ASSERT_TRUE(PreprocessImages(*pre, rgb.data(), 1, meta["rgb"][0], meta["rgb"][1], &ours).ok());
    std::vector<float> ref = ReadRaw<float>(dir + "/ref/pp_pixels.f32");
    ASSERT_EQ(ours.size(), ref.size());
    double max_abs = 0;
    for (size_t i = 0; i < ref.size(); ++i)
      max_abs = std::max(max_abs, std::fabs(double(ours[i]) - ref[i]));
    std::printf("[preprocess %s] %dx%d -> %dx%d, max abs pixel diff %.3g (1 grey level = %.3g)\n",
                name.c_str(), int(meta["rgb"][0]), int(meta["rgb"][1]), pre->output_height(),
                pre->output_width(), max_abs, 1.0 / 255 / pre->image_std[0]);
    // Far below one grey level: the uint8 resample equals Pillow's exactly.
    EXPECT_LT(max_abs, 1e-5) << name;
  }
}

}  // namespace
}  // namespace vidx
