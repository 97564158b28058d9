/* The C example every binding's example mirrors: load a model, sample text from a prompt with a fixed
 * seed, print it. Usage: dn_generate_example MODEL_DIR SEED MAX_TOKENS PROMPT
 * Sampling uses dn_sampler_options' defaults (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05)
 * with the given seed; the prompt is printed, then the generated text as it streams, then a newline.
 * The same arguments print the same text in C, Java, C# and Rust (tested: bindings.*.same_text). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deltanet/deltanet.h"
#include "deltanet/text.h"

static int print_piece(const char *text, size_t len, int32_t token, void *user_data) {
    (void)token;
    (void)user_data;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return 1;
}

static int fail(const char *what, dn_status status) {
    fprintf(stderr, "%s: %s: %s\n", what, dn_status_string(status), dn_last_error());
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s MODEL_DIR SEED MAX_TOKENS PROMPT\n", argv[0]);
        return 2;
    }
    const char *model_dir = argv[1], *prompt = argv[4];
    const unsigned long long seed = strtoull(argv[2], NULL, 10);
    const int max_tokens = atoi(argv[3]);

    dn_stream *stream = NULL;
    dn_model *model = NULL;
    dn_tokenizer *tokenizer = NULL;
    dn_state *state = NULL;
    int rc = 1;
    dn_status s;
    if ((s = dn_stream_create("cpu", NULL, &stream)) != DN_OK) { rc = fail("stream", s); goto done; }
    if ((s = dn_model_load(stream, model_dir, NULL, &model)) != DN_OK) { rc = fail("model", s); goto done; }
    if ((s = dn_tokenizer_load(model_dir, &tokenizer)) != DN_OK) { rc = fail("tokenizer", s); goto done; }
    if ((s = dn_state_create(model, NULL, &state)) != DN_OK) { rc = fail("state", s); goto done; }

    dn_sampler_options sampling;
    dn_sampler_options_init(&sampling);
    sampling.seed = seed;
    dn_generate_options options;
    dn_generate_options_init(&options);
    options.max_tokens = max_tokens;
    options.sampling = &sampling;
    options.callback = print_piece;

    fputs(prompt, stdout);
    if ((s = dn_generate(stream, model, tokenizer, state, prompt, strlen(prompt), &options, NULL)) != DN_OK) {
        rc = fail("generate", s);
        goto done;
    }
    fputc('\n', stdout);
    rc = 0;
done:
    dn_state_free(state);
    dn_tokenizer_free(tokenizer);
    dn_model_free(model);
    dn_stream_destroy(stream);
    return rc;
}
