/* The public header compiled as strict C99 (-std=c99 -pedantic -Werror) and the library used from C:
 * the version agrees with the header's, and the header's "minimal use" runs on a fixture model given
 * as argv[1]. Exit status 0 on success; every failure is printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deltanet/deltanet.h"

static int failures = 0;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "%s:%d: check failed: %s (last error: %s)\n", __FILE__, \
                    __LINE__, #cond, dn_last_error());                              \
            ++failures;                                                             \
        }                                                                           \
    } while (0)

int main(int argc, char **argv) {
    int32_t major = -1, minor = -1, patch = -1;
    char expected[64];
    dn_stream *stream = NULL;
    dn_model *model = NULL;
    dn_state *state = NULL;
    dn_stream_options stream_options;
    int32_t vocab = 0;
    float *logits = NULL;
    int32_t prompt[3] = {11, 22, 33};
    int32_t next;
    int32_t i;
    int64_t position = -1;

    CHECK(dn_version(&major, &minor, &patch) == DN_OK);
    CHECK(major == DN_VERSION_MAJOR && minor == DN_VERSION_MINOR && patch == DN_VERSION_PATCH);
    sprintf(expected, "%d.%d.%d", (int)major, (int)minor, (int)patch);
    CHECK(strcmp(dn_version_string(), expected) == 0);
    CHECK(strcmp(dn_version_string(), DN_VERSION_STRING) == 0);
    CHECK(strcmp(dn_status_string(DN_ERR_TOKEN_OUT_OF_RANGE), dn_status_string(DN_OK)) != 0);

    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL_DIR\n", argv[0]);
        return 2;
    }

    CHECK(dn_stream_options_init(&stream_options) == DN_OK);
    CHECK(stream_options.struct_size == sizeof(dn_stream_options));
    CHECK(dn_stream_create("cpu", &stream_options, &stream) == DN_OK);
    CHECK(dn_model_load(stream, argv[1], NULL, &model) == DN_OK);
    if (model) {
        CHECK(dn_state_create(model, NULL, &state) == DN_OK);
        CHECK(dn_model_vocab_size(model, &vocab) == DN_OK);
        CHECK(vocab > 0);
    }
    if (state && vocab > 0) {
        logits = (float *)malloc(sizeof(float) * (size_t)vocab);
        CHECK(logits != NULL);
        CHECK(dn_forward(stream, model, state, prompt, 3, DN_LOGITS_LAST, logits, (size_t)vocab) == DN_OK);
        for (i = 0; i < 4; ++i) {
            int32_t j;
            next = 0;
            for (j = 1; j < vocab; ++j)
                if (logits[j] > logits[next]) next = j;
            CHECK(dn_forward(stream, model, state, &next, 1, DN_LOGITS_LAST, logits, (size_t)vocab) == DN_OK);
        }
        CHECK(dn_state_position(state, &position) == DN_OK);
        CHECK(position == 7);
        /* An error from C: a token past the vocabulary. */
        next = vocab;
        CHECK(dn_forward(stream, model, state, &next, 1, DN_LOGITS_LAST, logits, (size_t)vocab) ==
              DN_ERR_TOKEN_OUT_OF_RANGE);
        CHECK(dn_last_error()[0] != '\0');
        free(logits);
    }
    CHECK(dn_state_free(state) == DN_OK);
    CHECK(dn_model_free(model) == DN_OK);
    CHECK(dn_stream_destroy(stream) == DN_OK);

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("C99 API test passed (libdeltanet %s)\n", dn_version_string());
    return 0;
}
