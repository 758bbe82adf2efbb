// Output buffers of the native kernels (see memory.cc).
#pragma once
#include <napi.h>

namespace tmri {

// Adds alloc, release, memoryStats and setPoolLimit to the addon's exports.
void registerMemory(Napi::Env env, Napi::Object exports);

}  // namespace tmri
