/* See raw_enum_calls.c: API calls with enum values outside the enumerators, made from C. */
#ifndef DNTEST_RAW_ENUM_CALLS_H
#define DNTEST_RAW_ENUM_CALLS_H

#include "deltanet/deltanet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* dn_forward with `mode` converted to dn_logits_mode in C. */
dn_status dntest_forward_raw_mode(dn_stream *stream, const dn_model *model, dn_state *state, const int32_t *tokens,
                                  size_t n_tokens, int mode, float *logits, size_t logits_capacity);
/* dn_model_load with default options but `precision` converted to dn_precision in C. */
dn_status dntest_model_load_raw_precision(dn_stream *stream, const char *path, int precision, dn_model **out_model);

#ifdef __cplusplus
}
#endif

#endif
