// transmri native kernels: shared declarations.
// All tensors are float32, channels last (NDHWC; a 2D case is D = 1).
// Filters are [KD, KH, KW, Ci, Co] as in tfjs.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tmri {

// Geometry of one 3D convolution (forward direction). Pads are the
// front/top/left paddings; the back/bottom/right ones follow from the
// output size.
struct ConvGeom {
  int N, D, H, W, Ci;    // input
  int Co, KD, KH, KW;    // filter
  int SD, SH, SW;        // strides
  int OD, OH, OW;        // output
  int padF, padT, padL;  // leading pads
};

enum Act { ACT_NONE = 0, ACT_RELU = 1, ACT_ELU = 2, ACT_SIGMOID = 3 };

// Direct convolution over an already padded input xp of shape
// [N, PD, PH, PW, Ci] with PD = (OD-1)*SD + KD (etc.): no bounds checks.
// `w` is the raw [KD,KH,KW,Ci,Co] filter; bias may be null.
using ConvPaddedFn = void (*)(const float* xp, int PD, int PH, int PW, const ConvGeom& g,
                              const float* w, const float* bias, int act, float* out);
// Filter gradient over padded input xp and dy [N,OD,OH,OW,Co]; writes dw.
using ConvFilterFn = void (*)(const float* xp, int PD, int PH, int PW, const ConvGeom& g,
                              const float* dy, float* dw);

// Kernels that read the unpadded input x [N,D,H,W,Ci] themselves (borders
// handled inside, no padded copy); they return false for the geometries they
// do not cover, and the caller then pads and runs forward / filter.
using ConvDirectFn = bool (*)(const float* x, const ConvGeom& g, const float* w, const float* bias,
                              int act, float* out);
using ConvFilterDirectFn = bool (*)(const float* x, const ConvGeom& g, const float* dy, float* dw);

struct ConvImpl {
  const char* name;
  ConvPaddedFn forward;
  ConvFilterFn filter;
  ConvDirectFn forwardDirect;
  ConvFilterDirectFn filterDirect;
  // Runs a floating-point throughput loop of `iters` steps on this path's
  // widest vectors (FMA where the path has it); returns the flops done.
  double (*peakProbe)(long iters);
};

namespace avx512 { extern const ConvImpl impl; }
namespace avx2 { extern const ConvImpl impl; }
namespace base { extern const ConvImpl impl; }

// The instruction-set path in use: the best one the CPU (and OS) supports
// unless setSimd chose another. Names: "sse2", "avx2" (AVX2 + FMA), "avx512"
// (AVX-512 F/BW/DQ/VL, with AVX2 + FMA).
const ConvImpl& convImpl();
// True when the CPU can run the named path ("auto" always can).
bool simdSupported(const char* name);
// Selects a path by name ("auto": the best supported); false (no change)
// when the name is unknown or the CPU cannot run it.
bool setSimd(const char* name);

// Reusable scratch buffers (grow only; the addon is called from one JS thread).
float* scratch(int slot, size_t floats);

// Copies src [N,D,H,W,C] into a zeroed buffer [N,PD,PH,PW,C]; element
// (d,h,w) lands at (pf + d*dd, pt + h*dh, pl + w*dw); outside is dropped.
// dst must hold N*PD*PH*PW*C + kSlack floats; all of it is written.
constexpr size_t kSlack = 64;
void padInput(const float* src, int N, int D, int H, int W, int C, int dd, int dh, int dw, int pf,
              int pt, int pl, float* dst, int PD, int PH, int PW);

// High-level entry points (they pad, pick the path and thread).
void conv3dForward(const float* x, const float* w, const ConvGeom& g, const float* bias, int act,
                   float* out);
void conv3dBackpropInput(const float* dy, const float* w, const ConvGeom& g, float* dx);
void conv3dBackpropFilter(const float* x, const float* dy, const ConvGeom& g, float* dw);

// Pooling geometry: like ConvGeom with Co = Ci.
void maxPool3d(const float* x, const ConvGeom& g, float* out);
void maxPool3dGrad(const float* dy, const float* x, const ConvGeom& g, float* dx);

// Nearest upsampling by integer factors (sd, sh, sw) of x [N,D,H,W,C].
void upsample3dNearest(const float* x, int N, int D, int H, int W, int C, int sd, int sh, int sw,
                       float* out);
void upsample3dNearestGrad(const float* dy, int N, int D, int H, int W, int C, int sd, int sh,
                           int sw, float* dx);

// Bias add + activation in place over rows of C channels.
void biasAct(float* y, size_t rows, int C, const float* bias, int act);

// out = a (op) b over n outputs. mode 0: same shape; 1: b scalar; 2: a
// scalar; 3: b repeats with period inner; 4: a does.
enum BinOp { BIN_ADD = 0, BIN_SUB = 1, BIN_MUL = 2, BIN_DIV = 3, BIN_SQDIFF = 4 };
void binary(int op, const float* a, const float* b, float* out, size_t n, int mode, size_t inner);
enum UnOp { UN_ELU = 0, UN_SIGMOID = 1, UN_SQUARE = 2, UN_SQRT = 3, UN_ABS = 4, UN_NEG = 5 };
void unary(int op, const float* x, float* out, size_t n);
void fill(float* out, size_t n, float value);
void elu(const float* x, float* out, size_t n);
// dx = dy where y >= 0, else dy * (y + 1) (y is the ELU output).
void eluGrad(const float* dy, const float* y, float* dx, size_t n);
// Gradient through an activation from its output y (Act codes): ELU as
// eluGrad, ReLU dy * (y > 0), sigmoid dy * y * (1 - y), none dy.
void actGrad(int act, const float* dy, const float* y, float* dx, size_t n);
// actGrad over rows of C channels that also writes the bias gradient
// dbias[c] = sum over rows of dx[r, c] (accumulated in double, in an order
// independent of the thread count). With act none, y is unused and dx may be
// null (then only the sums of dy are computed).
void actGradBias(int act, const float* dy, const float* y, float* dx, size_t rows, int C, float* dbias);
// One step of tfjs' Adam, bit-identical to its op sequence; p = [beta1,
// 1 - beta1, beta2, 1 - beta2, 1 - accBeta1, 1 - accBeta2, epsilon, -lr].
void adamUpdate(const float* x, const float* m, const float* v, const float* g, const float* p, float* xo,
                float* mo, float* vo, size_t n);
// x as [rows, cols]: column sums (out[cols]) / row sums (out[rows]).
void sumLeading(const float* x, size_t rows, size_t cols, float* out);
void sumTrailing(const float* x, size_t rows, size_t cols, float* out);

int numThreads();
void setNumThreads(int n);

}  // namespace tmri
