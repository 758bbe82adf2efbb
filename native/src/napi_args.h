// Checked reading of the addon's N-API arguments (Float32Array buffers,
// Int32Array parameter vectors, non-negative sizes), shared by the binding files.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tmri {

// A Float32Array argument with at least `need` elements; `what` names it in the error.
inline float* f32Arg(const Napi::CallbackInfo& info, size_t i, size_t need, const char* what) {
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(info.Env(), std::string("transmri_native: ") + what + " must be a Float32Array");
  auto a = info[i].As<Napi::Float32Array>();
  if (a.ElementLength() < need)
    throw Napi::RangeError::New(info.Env(), std::string("transmri_native: ") + what + " has " +
                                                std::to_string(a.ElementLength()) + " elements, needs " +
                                                std::to_string(need));
  return a.Data();
}

// As f32Arg, or nullptr for null/undefined.
inline float* optF32Arg(const Napi::CallbackInfo& info, size_t i, size_t need, const char* what) {
  return info[i].IsNull() || info[i].IsUndefined() ? nullptr : f32Arg(info, i, need, what);
}

// A non-negative Int32Array parameter vector; of exactly `n` values unless n is SIZE_MAX.
inline std::vector<int> intArgs(const Napi::CallbackInfo& info, size_t i, size_t n = SIZE_MAX) {
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(info.Env(), "transmri_native: parameters must be an Int32Array");
  auto a = info[i].As<Napi::Int32Array>();
  if (n != SIZE_MAX && a.ElementLength() != n)
    throw Napi::RangeError::New(info.Env(), "transmri_native: expected " + std::to_string(n) + " parameters");
  std::vector<int> v(a.Data(), a.Data() + a.ElementLength());
  for (int p : v)
    if (p < 0) throw Napi::RangeError::New(info.Env(), "transmri_native: negative parameter");
  return v;
}

// A non-negative size argument.
inline size_t sizeArg(const Napi::CallbackInfo& info, size_t i) {
  const int64_t v = info[i].As<Napi::Number>().Int64Value();
  if (v < 0) throw Napi::RangeError::New(info.Env(), "transmri_native: negative size");
  return (size_t)v;
}

}  // namespace tmri
