// The plain C interface of libvidx_sentencepiece.so, the module that holds Debian's
// libsentencepiece. Debian's libsentencepiece.so exports the protobuf-lite it embeds; linked
// into a process with LibTorch's libprotobuf, one of them binds to the other's symbols and the
// process crashes at start-up. The module is therefore loaded with dlopen(RTLD_LOCAL |
// RTLD_DEEPBIND) by sentencepiece_module.cpp, so libsentencepiece binds to its own protobuf and
// exports nothing to the process. Only C types cross this boundary: memory is never handed from
// one side to the other; strings come back through callbacks that copy them.
//
// Thread-safety: a loaded VidxSpm is immutable; every function but vidx_spm_free may be called
// on it from several threads.
#ifndef VIDX_INDEXER_MODEL_SENTENCEPIECE_ABI_H_
#define VIDX_INDEXER_MODEL_SENTENCEPIECE_ABI_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// Bumped whenever a signature below changes; the loader refuses a module of another version.
#define VIDX_SPM_ABI_VERSION 1

typedef struct VidxSpm VidxSpm;
// Receives one piece of an encoding: its id and its text (not NUL-terminated).
typedef void (*VidxSpmPieceFn)(void* ctx, int id, const char* piece, size_t size);
// Receives a text (not NUL-terminated): a result or an error message.
typedef void (*VidxSpmTextFn)(void* ctx, const char* text, size_t size);

typedef int (*VidxSpmAbiVersionFn)(void);
// A processor for a serialized ModelProto, or NULL with the reason passed to `error`.
typedef VidxSpm* (*VidxSpmLoadFn)(const char* proto, size_t size, VidxSpmTextFn error, void* ctx);
typedef void (*VidxSpmFreeFn)(VidxSpm* spm);
typedef int (*VidxSpmPieceSizeFn)(const VidxSpm* spm);
typedef int (*VidxSpmPieceToIdFn)(const VidxSpm* spm, const char* piece, size_t size);
typedef int (*VidxSpmIsUnknownFn)(const VidxSpm* spm, int id);
// The piece of id, passed to `out`.
typedef void (*VidxSpmIdToPieceFn)(const VidxSpm* spm, int id, VidxSpmTextFn out, void* ctx);
// Encodes text: each piece in order to `piece`. Returns 0, or -1 with the reason to `error`.
typedef int (*VidxSpmEncodeFn)(const VidxSpm* spm, const char* text, size_t size,
                               VidxSpmPieceFn piece, VidxSpmTextFn error, void* ctx);
// Decodes ids into text, passed to `out`. Returns 0, or -1 with the reason to `error`.
typedef int (*VidxSpmDecodeFn)(const VidxSpm* spm, const int* ids, size_t n, VidxSpmTextFn out,
                               VidxSpmTextFn error, void* ctx);

#ifdef __cplusplus
}
#endif

#endif  // VIDX_INDEXER_MODEL_SENTENCEPIECE_ABI_H_
