// The delta-rule kernels for one instruction set. AVX2 + FMA (x86-64-v3): 8-wide float vectors and fused multiply-add.
// CMake gives this file its -m flags; delta_rule.cpp calls it only on a CPU that has them.
#define DN_DELTA_RULE_ISA avx2
#include "backends/cpu/delta_rule_kernels.h"
