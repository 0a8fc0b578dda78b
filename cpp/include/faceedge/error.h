#pragma once
// Every failure the core reports carries a Baidu face v3 error code where Baidu has one, and a
// faceedge-local code in the 229xxx range where it does not (model files, runtime, providers:
// things a cloud service never exposes).
#include <cstdint>
#include <stdexcept>
#include <string>

// X(name, code): one list drives the enum and the name table the Python side checks against.
#define FACEEDGE_ERROR_CODES(X)      \
  /* 2162xx: image problems */       \
  X(kImageEmpty, 216200)             \
  X(kImageFormat, 216201)            \
  X(kImageSize, 216202)              \
  /* 2220xx: parameter errors */     \
  X(kParamMissing, 222001)           \
  X(kImageParam, 222013)             \
  X(kImageTypeParam, 222015)         \
  X(kMaxFaceNumParam, 222016)        \
  X(kFaceFieldParam, 222017)         \
  X(kFaceTypeParam, 222024)          \
  X(kFaceTokenParam, 222025)         \
  /* 2222xx: results */              \
  X(kNoFace, 222202)                 \
  X(kImageCountWrong, 222208)        \
  X(kFaceTokenNotExist, 222209)      \
  X(kSystemError, 222302)            \
  /* 229xxx: faceedge-local */       \
  X(kInternal, 229000)               \
  X(kModelNotFound, 229001)          \
  X(kModelChecksum, 229002)          \
  X(kModelInvalid, 229003)           \
  X(kRuntimeUnavailable, 229010)     \
  X(kRuntimeTooOld, 229011)          \
  X(kProviderUnavailable, 229012)    \
  X(kInferenceFailed, 229013)        \
  X(kInvalidArgument, 229014)

namespace faceedge {

enum class ErrorCode : int32_t {
#define FACEEDGE_ENUM_ENTRY(name, code) name = code,
  FACEEDGE_ERROR_CODES(FACEEDGE_ENUM_ENTRY)
#undef FACEEDGE_ENUM_ENTRY
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace faceedge
