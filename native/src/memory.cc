// Output buffers of the native kernels.
//
// alloc(n) returns a Float32Array over malloc'd (64-byte aligned, not zeroed)
// memory. Node-API runs the finalizers of such arrays only from the event
// loop (setImmediate), so memory dropped during a synchronous training step
// would pile up until the step returns. release(arr) gives the memory back
// at once: it detaches arr (every JS view of it then has length 0, so no
// stale view can read reused memory) and keeps the block in a free list by
// exact size for the next alloc of that size. The free list holds at most
// `limit` bytes (setPoolLimit; default 1 GiB); blocks beyond go back to malloc.
// Arrays that will only be collected (toCollector) are reported to V8 as
// external memory so that its garbage collector runs often enough for them.
// State is per Node-API environment (one per worker thread).
#include "memory.h"

#include <cstdlib>
#include <memory>
#include <unordered_map>
#include <vector>

namespace tmri {

namespace {

struct Token;

struct Pool {
  std::unordered_map<void*, Token*> live;          // arrays JS may still use
  std::unordered_map<size_t, std::vector<void*>> free;    // by block size in bytes
  size_t freeBytes = 0, liveBytes = 0, limit = size_t(1) << 30;
  size_t allocs = 0, reused = 0, released = 0;

  void* take(size_t bytes) {
    auto it = free.find(bytes);
    if (it != free.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      freeBytes -= bytes;
      reused++;
      return p;
    }
    return std::aligned_alloc(64, bytes);
  }
  void give(void* p, size_t bytes) {
    if (freeBytes + bytes > limit) { std::free(p); return; }
    free[bytes].push_back(p);
    freeBytes += bytes;
  }
  void trim(size_t keep) {
    for (auto& [bytes, blocks] : free)
      while (freeBytes > keep && !blocks.empty()) {
        std::free(blocks.back());
        blocks.pop_back();
        freeBytes -= bytes;
      }
  }
  ~Pool() { trim(0); }
};

struct Token {
  std::shared_ptr<Pool> pool;
  void* p;
  size_t bytes;
  bool live;
  bool external;  // reported to V8 (collected, not released)
};

struct Instance {
  std::shared_ptr<Pool> pool = std::make_shared<Pool>();
};

Pool& poolOf(Napi::Env env) { return *env.GetInstanceData<Instance>()->pool; }

size_t blockBytes(size_t n) { return ((n > 0 ? n : 1) * sizeof(float) + 63) / 64 * 64; }

Napi::Value Alloc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t n = info[0].As<Napi::Number>().Int64Value();
  if (n < 0) throw Napi::RangeError::New(env, "transmri_native: alloc size < 0");
  auto inst = env.GetInstanceData<Instance>();
  Pool& pool = *inst->pool;
  const size_t bytes = blockBytes((size_t)n);
  void* p = pool.take(bytes);
  if (!p) throw Napi::Error::New(env, "transmri_native: out of memory");
  auto* tok = new Token{inst->pool, p, bytes, true, false};
  pool.live[p] = tok;
  pool.liveBytes += bytes;
  pool.allocs++;
  auto ab = Napi::ArrayBuffer::New(
      env, p, (size_t)n * sizeof(float),
      [](Napi::Env e, void*, Token* t) {
        if (t->live) {
          t->pool->live.erase(t->p);
          t->pool->liveBytes -= t->bytes;
          std::free(t->p);
          if (t->external) Napi::MemoryManagement::AdjustExternalMemory(e, -(int64_t)t->bytes);
        }
        delete t;
      },
      tok);
  return Napi::Float32Array::New(env, (size_t)n, ab, 0);
}

// release(arr): true if arr came from alloc, was still live and is now
// detached with its memory pooled; false (and no effect) otherwise.
Napi::Value Release(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) return Napi::Boolean::New(env, false);
  auto ta = info[0].As<Napi::TypedArray>();
  Napi::ArrayBuffer ab = ta.ArrayBuffer();
  if (ab.IsDetached()) return Napi::Boolean::New(env, false);
  Pool& pool = poolOf(env);
  auto it = pool.live.find(ab.Data());
  if (it == pool.live.end() || ta.ByteOffset() != 0) return Napi::Boolean::New(env, false);
  Token* t = it->second;
  ab.Detach();
  t->live = false;
  pool.live.erase(it);
  pool.liveBytes -= t->bytes;
  pool.released++;
  if (t->external) Napi::MemoryManagement::AdjustExternalMemory(env, -(int64_t)t->bytes);
  pool.give(t->p, t->bytes);
  return Napi::Boolean::New(env, true);
}

// toCollector(arr): arr will not be released, only collected: report its
// memory to V8 so that garbage collection keeps up with such arrays. (Arrays
// that are released are not reported: the adjustments cost more than the
// kernels on large outputs.) Returns false if arr is not a live pooled array.
Napi::Value ToCollector(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) return Napi::Boolean::New(env, false);
  Napi::ArrayBuffer ab = info[0].As<Napi::TypedArray>().ArrayBuffer();
  if (ab.IsDetached()) return Napi::Boolean::New(env, false);
  Pool& pool = poolOf(env);
  auto it = pool.live.find(ab.Data());
  if (it == pool.live.end()) return Napi::Boolean::New(env, false);
  if (!it->second->external) {
    it->second->external = true;
    Napi::MemoryManagement::AdjustExternalMemory(env, (int64_t)it->second->bytes);
  }
  return Napi::Boolean::New(env, true);
}

Napi::Value MemoryStats(const Napi::CallbackInfo& info) {
  Pool& pool = poolOf(info.Env());
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("liveBytes", (double)pool.liveBytes);
  o.Set("liveArrays", (double)pool.live.size());
  o.Set("freeBytes", (double)pool.freeBytes);
  o.Set("limit", (double)pool.limit);
  o.Set("allocs", (double)pool.allocs);
  o.Set("reused", (double)pool.reused);
  o.Set("released", (double)pool.released);
  return o;
}

// setPoolLimit(bytes): bytes the free list may hold (0 frees every released block at once).
Napi::Value SetPoolLimit(const Napi::CallbackInfo& info) {
  Pool& pool = poolOf(info.Env());
  const double v = info[0].As<Napi::Number>().DoubleValue();
  if (!(v >= 0)) throw Napi::RangeError::New(info.Env(), "transmri_native: pool limit must be >= 0");
  pool.limit = (size_t)v;
  pool.trim(pool.limit);
  return Napi::Number::New(info.Env(), (double)pool.limit);
}

}  // namespace

void registerMemory(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData<Instance>(new Instance());
  exports.Set("alloc", Napi::Function::New(env, Alloc));
  exports.Set("release", Napi::Function::New(env, Release));
  exports.Set("toCollector", Napi::Function::New(env, ToCollector));
  exports.Set("memoryStats", Napi::Function::New(env, MemoryStats));
  exports.Set("setPoolLimit", Napi::Function::New(env, SetPoolLimit));
}

}  // namespace tmri
