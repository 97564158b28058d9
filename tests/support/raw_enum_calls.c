/* API calls with enum arguments that no enumerator has (7 for a dn_logits_mode, 42 for a
 * dn_precision), made from C as a C program would make them. In C such values are well-defined; in
 * C++ merely forming them is undefined behaviour (UBSan reports it), so the C++ tests call these. */
#include "support/raw_enum_calls.h"

dn_status dntest_forward_raw_mode(dn_stream *stream, const dn_model *model, dn_state *state, const int32_t *tokens,
                                  size_t n_tokens, int mode, float *logits, size_t logits_capacity) {
    return dn_forward(stream, model, state, tokens, n_tokens, (dn_logits_mode)mode, logits, logits_capacity);
}

dn_status dntest_model_load_raw_precision(dn_stream *stream, const char *path, int precision, dn_model **out_model) {
    dn_model_options options;
    dn_status status = dn_model_options_init(&options);
    if (status != DN_OK) return status;
    options.precision = (dn_precision)precision;
    return dn_model_load(stream, path, &options, out_model);
}
