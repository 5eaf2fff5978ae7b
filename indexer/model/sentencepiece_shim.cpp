// libvidx_sentencepiece.so: the C interface of sentencepiece_abi.h over Debian's
// libsentencepiece. Built as a module with hidden visibility: only the vidx_spm_* functions are
// exported. No exception leaves a function.
#include <sentencepiece_processor.h>

#include <exception>
#include <string>
#include <vector>

#include "indexer/model/sentencepiece_abi.h"

struct VidxSpm {
  sentencepiece::SentencePieceProcessor sp;
};

namespace {

void Report(VidxSpmTextFn fn, void* ctx, const std::string& text) {
  if (fn != nullptr) fn(ctx, text.data(), text.size());
}

}  // namespace

#define VIDX_SPM_EXPORT extern "C" __attribute__((visibility("default")))

VIDX_SPM_EXPORT int vidx_spm_abi_version(void) { return VIDX_SPM_ABI_VERSION; }

VIDX_SPM_EXPORT VidxSpm* vidx_spm_load(const char* proto, size_t size, VidxSpmTextFn error,
                                       void* ctx) {
  try {
    auto* spm = new VidxSpm();
    const sentencepiece::util::Status st =
        spm->sp.LoadFromSerializedProto(std::string(proto, size));
    if (!st.ok()) {
      Report(error, ctx, st.ToString());
      delete spm;
      return nullptr;
    }
    return spm;
  } catch (const std::exception& e) {
    Report(error, ctx, e.what());
    return nullptr;
  }
}

VIDX_SPM_EXPORT void vidx_spm_free(VidxSpm* spm) { delete spm; }

VIDX_SPM_EXPORT int vidx_spm_piece_size(const VidxSpm* spm) { return spm->sp.GetPieceSize(); }

VIDX_SPM_EXPORT int vidx_spm_piece_to_id(const VidxSpm* spm, const char* piece, size_t size) {
  try {
    return spm->sp.PieceToId(std::string(piece, size));
  } catch (const std::exception&) {
    return spm->sp.unk_id();
  }
}

VIDX_SPM_EXPORT int vidx_spm_is_unknown(const VidxSpm* spm, int id) {
  return spm->sp.IsUnknown(id) ? 1 : 0;
}

VIDX_SPM_EXPORT void vidx_spm_id_to_piece(const VidxSpm* spm, int id, VidxSpmTextFn out,
                                          void* ctx) {
  try {
    Report(out, ctx, spm->sp.IdToPiece(id));
  } catch (const std::exception&) {
    Report(out, ctx, std::string());
  }
}

VIDX_SPM_EXPORT int vidx_spm_encode(const VidxSpm* spm, const char* text, size_t size,
                                    VidxSpmPieceFn piece, VidxSpmTextFn error, void* ctx) {
  try {
    const sentencepiece::ImmutableSentencePieceText spt =
        spm->sp.EncodeAsImmutableProto(std::string(text, size));
    for (size_t i = 0; i < spt.pieces_size(); ++i) {
      const auto p = spt.pieces(static_cast<int>(i));
      const std::string& s = p.piece();
      piece(ctx, static_cast<int>(p.id()), s.data(), s.size());
    }
    return 0;
  } catch (const std::exception& e) {
    Report(error, ctx, e.what());
    return -1;
  }
}

VIDX_SPM_EXPORT int vidx_spm_decode(const VidxSpm* spm, const int* ids, size_t n, VidxSpmTextFn out,
                                    VidxSpmTextFn error, void* ctx) {
  try {
    std::string text;
    const sentencepiece::util::Status st = spm->sp.Decode(std::vector<int>(ids, ids + n), &text);
    if (!st.ok()) {
      Report(error, ctx, st.ToString());
      return -1;
    }
    Report(out, ctx, text);
    return 0;
  } catch (const std::exception& e) {
    Report(error, ctx, e.what());
    return -1;
  }
}
