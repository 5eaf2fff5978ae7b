// Assembling pipeline options: what indexes a generation must be what its fingerprint says.
#include "app/model_session.h"

#include <gtest/gtest.h>

namespace vidx {
namespace {

// During a reindex started by a sampling change, the configuration already holds the new
// settings while files may still be indexed into the generation in service with its own
// model: the model's sampling must win, or vectors would not match their fingerprint.
TEST(MakePipelineOptionsTest, TakesSamplingFromTheModelAndBatchSizeFromTheConfig) {
  LoadedModel served;
  served.sampler.sampling.fps = 0.5;
  served.sampler.sampling.clip_frames = 1;
  Config config;
  config.sampling.fps = 2;
  config.sampling.clip_frames = 4;
  config.model.batch_size = 7;
  const PipelineOptions po = MakePipelineOptions(config, served, 3, nullptr);
  EXPECT_EQ(po.sampler.sampling.clip_frames, 1);
  EXPECT_DOUBLE_EQ(po.sampler.sampling.fps, 0.5);
  EXPECT_EQ(po.batch_size, 7);
  EXPECT_EQ(po.decode_workers, 3);
}

}  // namespace
}  // namespace vidx
