// Tests that run a SigLIP model, in this process or through a `vidx` binary of the same build,
// need the SentencePiece module (indexer/model/sentencepiece_module.h). It cannot be loaded in
// a process with a sanitizer runtime, which aborts on dlopen(RTLD_DEEPBIND); the test process
// and the binary come from one build, so the test asks in its own process and skips with the
// module's reason. Everywhere else (the Release build CI runs) such tests run.
#ifndef VIDX_TESTS_NEEDS_SENTENCEPIECE_H_
#define VIDX_TESTS_NEEDS_SENTENCEPIECE_H_

#include <gtest/gtest.h>

#include "common/status.h"
#include "indexer/model/sentencepiece_tokenizer.h"

// In a test body or SetUp: returns from it as skipped when this build cannot load the module.
#define VIDX_SKIP_WITHOUT_SENTENCEPIECE()                                              \
  do {                                                                                 \
    const ::vidx::Status vidx_spm = ::vidx::SentencePieceTokenizer::ModuleAvailable(); \
    if (vidx_spm.code() == ::vidx::StatusCode::kUnsupported) {                         \
      GTEST_SKIP() << vidx_spm.message();                                              \
    }                                                                                  \
  } while (0)

#endif  // VIDX_TESTS_NEEDS_SENTENCEPIECE_H_
