// The delta-rule kernels for one instruction set. Baseline build for any CPU of the target architecture.
// CMake gives this file its -m flags; delta_rule.cpp calls it only on a CPU that has them.
#define DN_DELTA_RULE_ISA generic
#include "backends/cpu/delta_rule_kernels.h"
