{
  "targets": [
    {
      "target_name": "transmri_native",
      "sources": ["src/addon.cc", "src/conv.cc", "src/conv_avx2.cc", "src/conv_avx512.cc", "src/conv_base.cc", "src/ops.cc", "src/eltwise.cc", "src/ops2d.cc", "src/conv2d_small.cc", "src/matmul.cc", "src/memory.cc", "src/eltwise_avx2.cc", "src/eltwise_avx512.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O0", "-O1", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++1y", "-std=gnu++14"],
      "cflags": ["-O3", "-fopenmp", "-ffp-contract=fast", "-fno-math-errno", "-Wno-psabi"],
      "cflags_cc": ["-std=gnu++20", "-fexceptions"],
      "ldflags": ["-fopenmp"]
    }
  ]
}
