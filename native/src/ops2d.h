// 2D CNN kernels (ops2d.cc): registers their N-API functions on the addon's exports.
#pragma once
#include <napi.h>

namespace tmri {
void registerOps2d(Napi::Env env, Napi::Object exports);
}  // namespace tmri
