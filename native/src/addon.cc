// N-API bindings of the transmri native kernels. Every function checks the
// lengths of the typed arrays against the geometry before touching memory.
#include <malloc.h>
#include <omp.h>

#include <time.h>

#include <cstdlib>
#include <string>
#include <vector>

#include <napi.h>

#include "kernels.h"
#include "ops2d.h"
#include "memory.h"
#include "napi_args.h"

namespace {

using tmri::ConvGeom;

using tmri::f32Arg;
using tmri::optF32Arg;
using tmri::intArgs;
using tmri::sizeArg;

// [N, D, H, W, Ci, Co, KD, KH, KW, SD, SH, SW, OD, OH, OW, padF, padT, padL]
ConvGeom geom(const Napi::CallbackInfo& info, size_t i) {
  auto p = intArgs(info, i, 18);
  ConvGeom g{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15], p[16], p[17]};
  if (g.SD < 1 || g.SH < 1 || g.SW < 1 || g.KD < 1 || g.KH < 1 || g.KW < 1)
    throw Napi::RangeError::New(info.Env(), "transmri_native: strides and filter sizes must be >= 1");
  // The last window must start inside the padded input.
  if ((g.OD - 1) * g.SD + g.KD > g.D + 2 * g.KD || (g.OH - 1) * g.SH + g.KH > g.H + 2 * g.KH ||
      (g.OW - 1) * g.SW + g.KW > g.W + 2 * g.KW || g.padF >= g.KD || g.padT >= g.KH || g.padL >= g.KW)
    throw Napi::RangeError::New(info.Env(), "transmri_native: inconsistent convolution geometry");
  return g;
}

size_t inSize(const ConvGeom& g) { return (size_t)g.N * g.D * g.H * g.W * g.Ci; }
size_t outSize(const ConvGeom& g) { return (size_t)g.N * g.OD * g.OH * g.OW * g.Co; }
size_t filSize(const ConvGeom& g) { return (size_t)g.KD * g.KH * g.KW * g.Ci * g.Co; }

// conv3d(x, w, geom, out, bias|null, act)
Napi::Value Conv3d(const Napi::CallbackInfo& info) {
  ConvGeom g = geom(info, 2);
  const float* x = f32Arg(info, 0, inSize(g), "x");
  const float* w = f32Arg(info, 1, filSize(g), "filter");
  float* out = f32Arg(info, 3, outSize(g), "out");
  const float* bias = optF32Arg(info, 4, g.Co, "bias");
  const int act = info[5].IsNumber() ? info[5].As<Napi::Number>().Int32Value() : 0;
  if (act < 0 || act > 3) throw Napi::RangeError::New(info.Env(), "transmri_native: bad activation");
  tmri::conv3dForward(x, w, g, bias, act, out);
  return info.Env().Undefined();
}

// conv3dBackpropInput(dy, w, geom, dx)
Napi::Value Conv3dDx(const Napi::CallbackInfo& info) {
  ConvGeom g = geom(info, 2);
  tmri::conv3dBackpropInput(f32Arg(info, 0, outSize(g), "dy"), f32Arg(info, 1, filSize(g), "filter"), g,
                          f32Arg(info, 3, inSize(g), "dx"));
  return info.Env().Undefined();
}

// conv3dBackpropFilter(x, dy, geom, dw)
Napi::Value Conv3dDw(const Napi::CallbackInfo& info) {
  ConvGeom g = geom(info, 2);
  tmri::conv3dBackpropFilter(f32Arg(info, 0, inSize(g), "x"), f32Arg(info, 1, outSize(g), "dy"), g,
                           f32Arg(info, 3, filSize(g), "dw"));
  return info.Env().Undefined();
}

// maxPool3d(x, geom, out) with Co = Ci
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  ConvGeom g = geom(info, 1);
  g.Co = g.Ci;
  tmri::maxPool3d(f32Arg(info, 0, inSize(g), "x"), g, f32Arg(info, 2, outSize(g), "out"));
  return info.Env().Undefined();
}

// maxPool3dGrad(dy, x, geom, dx)
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  ConvGeom g = geom(info, 2);
  g.Co = g.Ci;
  tmri::maxPool3dGrad(f32Arg(info, 0, outSize(g), "dy"), f32Arg(info, 1, inSize(g), "x"), g,
                    f32Arg(info, 3, inSize(g), "dx"));
  return info.Env().Undefined();
}

// upsample3dNearest(x, [N,D,H,W,C,sd,sh,sw], out) and its gradient (dy, p, dx)
Napi::Value Upsample(const Napi::CallbackInfo& info) {
  auto p = intArgs(info, 1, 8);
  const size_t small = (size_t)p[0] * p[1] * p[2] * p[3] * p[4], big = small * p[5] * p[6] * p[7];
  tmri::upsample3dNearest(f32Arg(info, 0, small, "x"), p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7],
                        f32Arg(info, 2, big, "out"));
  return info.Env().Undefined();
}
Napi::Value UpsampleGrad(const Napi::CallbackInfo& info) {
  auto p = intArgs(info, 1, 8);
  const size_t small = (size_t)p[0] * p[1] * p[2] * p[3] * p[4], big = small * p[5] * p[6] * p[7];
  tmri::upsample3dNearestGrad(f32Arg(info, 0, big, "dy"), p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7],
                            f32Arg(info, 2, small, "dx"));
  return info.Env().Undefined();
}

// biasAct(y, rows, C, bias|null, act): in place.
Napi::Value BiasAct(const Napi::CallbackInfo& info) {
  const size_t rows = info[1].As<Napi::Number>().Int64Value();
  const int C = info[2].As<Napi::Number>().Int32Value();
  float* y = f32Arg(info, 0, rows * C, "y");
  const float* bias = optF32Arg(info, 3, C, "bias");
  tmri::biasAct(y, rows, C, bias, info[4].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

// binary(op, a, b, out, n, mode, inner)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const int op = info[0].As<Napi::Number>().Int32Value();
  const size_t n = sizeArg(info, 4), inner = sizeArg(info, 6);
  const int mode = info[5].As<Napi::Number>().Int32Value();
  if (op < 0 || op > 4 || mode < 0 || mode > 4 || ((mode == 3 || mode == 4) && inner == 0))
    throw Napi::RangeError::New(info.Env(), "transmri_native: bad binary op/mode");
  const size_t na = mode == 0 ? n : mode == 2 ? 1 : mode == 4 ? inner : n;
  const size_t nb = mode == 0 ? n : mode == 1 ? 1 : mode == 3 ? inner : n;
  tmri::binary(op, f32Arg(info, 1, na, "a"), f32Arg(info, 2, nb, "b"), f32Arg(info, 3, n, "out"), n, mode, inner);
  return info.Env().Undefined();
}

// map(op, x, out, n) (op: tmri::UnOp) / fill(out, n, value)
Napi::Value Map(const Napi::CallbackInfo& info) {
  const int op = info[0].As<Napi::Number>().Int32Value();
  const size_t n = sizeArg(info, 3);
  if (op < 0 || op > 5) throw Napi::RangeError::New(info.Env(), "transmri_native: bad unary op");
  tmri::unary(op, f32Arg(info, 1, n, "x"), f32Arg(info, 2, n, "out"), n);
  return info.Env().Undefined();
}
Napi::Value Fill(const Napi::CallbackInfo& info) {
  const size_t n = sizeArg(info, 1);
  tmri::fill(f32Arg(info, 0, n, "out"), n, info[2].As<Napi::Number>().FloatValue());
  return info.Env().Undefined();
}

// actGrad(act, dy, y, dx, n) (act: tmri::Act)
Napi::Value ActGrad(const Napi::CallbackInfo& info) {
  const int act = info[0].As<Napi::Number>().Int32Value();
  const size_t n = sizeArg(info, 4);
  if (act < 0 || act > 3) throw Napi::RangeError::New(info.Env(), "transmri_native: bad activation");
  tmri::actGrad(act, f32Arg(info, 1, n, "dy"), f32Arg(info, 2, n, "y"), f32Arg(info, 3, n, "dx"), n);
  return info.Env().Undefined();
}

// actGradBias(act, dy, y|null, dx|null, rows, C, dbias): actGrad that also
// writes dbias[c] = sum of dx[., c]; y and dx may be null only for act none.
Napi::Value ActGradBias(const Napi::CallbackInfo& info) {
  const int act = info[0].As<Napi::Number>().Int32Value();
  const size_t rows = sizeArg(info, 4), C = sizeArg(info, 5), n = rows * C;
  if (act < 0 || act > 3) throw Napi::RangeError::New(info.Env(), "transmri_native: bad activation");
  if (C < 1 || C > (1 << 20)) throw Napi::RangeError::New(info.Env(), "transmri_native: bad channel count");
  const float* dy = f32Arg(info, 1, n, "dy");
  const float* y = optF32Arg(info, 2, n, "y");
  float* dx = optF32Arg(info, 3, n, "dx");
  if (act != tmri::ACT_NONE && (y == nullptr || dx == nullptr))
    throw Napi::TypeError::New(info.Env(), "transmri_native: actGradBias needs y and dx for an activation");
  tmri::actGradBias(act, dy, y, dx, rows, (int)C, f32Arg(info, 6, C, "dbias"));
  return info.Env().Undefined();
}

// adamUpdate(x, m, v, g, p[8], xOut, mOut, vOut, n): see kernels.h.
Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  const size_t n = sizeArg(info, 8);
  tmri::adamUpdate(f32Arg(info, 0, n, "x"), f32Arg(info, 1, n, "m"), f32Arg(info, 2, n, "v"), f32Arg(info, 3, n, "g"),
                   f32Arg(info, 4, 8, "p"), f32Arg(info, 5, n, "xOut"), f32Arg(info, 6, n, "mOut"), f32Arg(info, 7, n, "vOut"), n);
  return info.Env().Undefined();
}

// elu(x, out, n) / eluGrad(dy, y, dx, n)
Napi::Value Elu(const Napi::CallbackInfo& info) {
  const size_t n = sizeArg(info, 2);
  tmri::elu(f32Arg(info, 0, n, "x"), f32Arg(info, 1, n, "out"), n);
  return info.Env().Undefined();
}
Napi::Value EluGrad(const Napi::CallbackInfo& info) {
  const size_t n = sizeArg(info, 3);
  tmri::eluGrad(f32Arg(info, 0, n, "dy"), f32Arg(info, 1, n, "y"), f32Arg(info, 2, n, "dx"), n);
  return info.Env().Undefined();
}

// sumLeading / sumTrailing (x, rows, cols, out)
Napi::Value SumLeading(const Napi::CallbackInfo& info) {
  const size_t r = sizeArg(info, 1), c = sizeArg(info, 2);
  tmri::sumLeading(f32Arg(info, 0, r * c, "x"), r, c, f32Arg(info, 3, c, "out"));
  return info.Env().Undefined();
}
Napi::Value SumTrailing(const Napi::CallbackInfo& info) {
  const size_t r = sizeArg(info, 1), c = sizeArg(info, 2);
  tmri::sumTrailing(f32Arg(info, 0, r * c, "x"), r, c, f32Arg(info, 3, r, "out"));
  return info.Env().Undefined();
}

// alloc, release, memoryStats, setPoolLimit: see memory.cc.

// tuneMalloc(): keep freed large blocks in the heap for reuse (no mmap per
// allocation, no trimming). Affects the whole process; returns true if set.
Napi::Value TuneMalloc(const Napi::CallbackInfo& info) {
  const bool ok = mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
  return Napi::Boolean::New(info.Env(), ok);
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  tmri::setNumThreads(info[0].As<Napi::Number>().Int32Value());
  return Napi::Number::New(info.Env(), tmri::numThreads());
}
Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), tmri::numThreads()); }
Napi::Value Simd(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), tmri::convImpl().name); }

// setSimd('auto' | 'sse2' | 'avx2' | 'avx512'): selects the instruction-set
// path and returns its name; throws when the CPU cannot run it.
Napi::Value SetSimd(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString())
    throw Napi::TypeError::New(info.Env(), "transmri_native: setSimd expects 'auto', 'sse2', 'avx2' or 'avx512'");
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  if (name != "auto" && name != "sse2" && name != "avx2" && name != "avx512")
    throw Napi::RangeError::New(info.Env(), "transmri_native: unknown SIMD path '" + name + "' (expected auto, sse2, avx2 or avx512)");
  if (!tmri::setSimd(name.c_str()))
    throw Napi::RangeError::New(info.Env(), "transmri_native: this CPU cannot run the " + name + " path");
  return Napi::String::New(info.Env(), tmri::convImpl().name);
}

// peakGflops(ms): the arithmetic peak of the path in use, measured: every
// thread runs the path's FMA throughput loop for about `ms` of CPU time; returns
// { total, perThread } GFLOP/s, each thread's rate over its own CPU time (so a
// loaded machine lowers it less than wall time would).
Napi::Value PeakGflops(const Napi::CallbackInfo& info) {
  const double ms = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 200.0;
  const tmri::ConvImpl& impl = tmri::convImpl();
  const int T = tmri::numThreads();
  std::vector<double> rate(T, 0.0);
#pragma omp parallel num_threads(T)
  {
    auto cpuNow = [] {
      timespec ts;
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
      return ts.tv_sec + 1e-9 * ts.tv_nsec;
    };
    long iters = 1 << 16;
    double best = 0.0, spent = 0.0;
    while (spent < ms / 1000.0) {
      const double t0 = cpuNow();
      const double flops = impl.peakProbe(iters);
      const double dt = cpuNow() - t0;
      spent += dt;
      if (dt > 1e-3 && flops / dt > best) best = flops / dt;
      if (dt < 5e-3) iters *= 2;
    }
    rate[omp_get_thread_num()] = best / 1e9;
  }
  double total = 0.0;
  for (double r : rate) total += r;
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("total", total);
  out.Set("perThread", total / T);
  out.Set("threads", T);
  return out;
}

// simdPaths(): the paths this CPU can run, from the baseline up.
Napi::Value SimdPaths(const Napi::CallbackInfo& info) {
  Napi::Array out = Napi::Array::New(info.Env());
  uint32_t i = 0;
  for (const char* p : {"sse2", "avx2", "avx512"})
    if (tmri::simdSupported(p)) out.Set(i++, Napi::String::New(info.Env(), p));
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Threads and SIMD path are set from JS (registerNativeKernels: options, else the environment,
  // read in src/backend/settings.ts); the addon reads no environment variable itself.
  exports.Set("conv3d", Napi::Function::New(env, Conv3d));
  exports.Set("conv3dBackpropInput", Napi::Function::New(env, Conv3dDx));
  exports.Set("conv3dBackpropFilter", Napi::Function::New(env, Conv3dDw));
  exports.Set("maxPool3d", Napi::Function::New(env, MaxPool));
  exports.Set("maxPool3dGrad", Napi::Function::New(env, MaxPoolGrad));
  exports.Set("upsample3dNearest", Napi::Function::New(env, Upsample));
  exports.Set("upsample3dNearestGrad", Napi::Function::New(env, UpsampleGrad));
  exports.Set("biasAct", Napi::Function::New(env, BiasAct));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("elu", Napi::Function::New(env, Elu));
  exports.Set("eluGrad", Napi::Function::New(env, EluGrad));
  exports.Set("map", Napi::Function::New(env, Map));
  exports.Set("fill", Napi::Function::New(env, Fill));
  exports.Set("actGrad", Napi::Function::New(env, ActGrad));
  exports.Set("actGradBias", Napi::Function::New(env, ActGradBias));
  exports.Set("adamUpdate", Napi::Function::New(env, AdamUpdate));
  exports.Set("sumLeading", Napi::Function::New(env, SumLeading));
  exports.Set("sumTrailing", Napi::Function::New(env, SumTrailing));
  tmri::registerMemory(env, exports);
  exports.Set("tuneMalloc", Napi::Function::New(env, TuneMalloc));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("threads", Napi::Function::New(env, Threads));
  exports.Set("simd", Napi::Function::New(env, Simd));
  exports.Set("setSimd", Napi::Function::New(env, SetSimd));
  exports.Set("simdPaths", Napi::Function::New(env, SimdPaths));
  exports.Set("peakGflops", Napi::Function::New(env, PeakGflops));
  tmri::registerOps2d(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(transmri_native, Init)
