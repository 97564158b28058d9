// The delta-rule kernels for one instruction set. AVX-512 F/BW/VL (x86-64-v4): 16-wide float vectors, twice the registers.
// CMake gives this file its -m flags; delta_rule.cpp calls it only on a CPU that has them.
#define DN_DELTA_RULE_ISA avx512
#include "backends/cpu/delta_rule_kernels.h"
