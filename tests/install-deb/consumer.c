/* A program outside the project that uses an installed libdeltanet through pkg-config:
 *   cc consumer.c $(pkg-config --cflags --libs deltanet) -o consumer
 *   ./consumer /usr/share/deltanet/models/kjv-deltanet-6m [device] [tokens]
 * Loads the model, prints the library's version, then a prompt and a few greedy tokens. */
#include <deltanet/deltanet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int print_piece(const char *text, size_t len, int32_t token, void *user_data) {
    (void)token;
    (void)user_data;
    fwrite(text, 1, len, stdout);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL_DIR [DEVICE] [TOKENS]\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    const char *device = argc > 2 ? argv[2] : "cpu";
    const int tokens = argc > 3 ? atoi(argv[3]) : 8;
    dn_stream *stream = NULL;
    dn_model *model = NULL;
    dn_tokenizer *tokenizer = NULL;
    dn_state *state = NULL;
    printf("libdeltanet %s (headers %s), device %s\n", dn_version_string(), DN_VERSION_STRING, device);
    if (dn_stream_create(device, NULL, &stream) != DN_OK || dn_model_load(stream, dir, NULL, &model) != DN_OK ||
        dn_tokenizer_load(dir, &tokenizer) != DN_OK || dn_state_create(model, NULL, &state) != DN_OK) {
        fprintf(stderr, "error: %s\n", dn_last_error());
        return 1;
    }
    dn_sampler_options sampling;
    dn_sampler_options_init(&sampling);
    sampling.temperature = 0.0f; /* greedy: the same text everywhere */
    dn_generate_options options;
    dn_generate_options_init(&options);
    options.max_tokens = tokens;
    options.sampling = &sampling;
    options.callback = print_piece;
    const char *prompt = "In the beginning God created";
    fputs(prompt, stdout);
    dn_status status = dn_generate(stream, model, tokenizer, state, prompt, strlen(prompt), &options, NULL);
    printf("\n");
    if (status != DN_OK) fprintf(stderr, "error: %s\n", dn_last_error());
    dn_state_free(state);
    dn_tokenizer_free(tokenizer);
    dn_model_free(model);
    dn_stream_destroy(stream);
    return status == DN_OK ? 0 : 1;
}
