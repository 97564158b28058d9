// Builds a Hugging Face tokenizer.json (and tokenizer_config.json) for Mistral-7B from the vocabulary
// and merges embedded in the npm package mistral-tokenizer-js 1.0.0, so that our SentencePiece-style
// BPE can be checked against that package's own encoder (generate_expected.mjs).
//
//   npm pack mistral-tokenizer-js@1.0.0 && tar xzf mistral-tokenizer-js-1.0.0.tgz
//   node make_tokenizer_json.mjs package/mistral-tokenizer.js
//
// Writes next to this script. The layout is that of Mistral-7B's own tokenizer.json: normalizer
// Prepend("▁") + Replace(" ", "▁"), no pre-tokenizer, BPE with byte fallback, a "<s>" template.
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageFile = process.argv[2];
if (!packageFile) throw new Error('usage: node make_tokenizer_json.mjs path/to/mistral-tokenizer.js');
const { default: mt } = await import(pathToFileURL(resolve(packageFile)).href);
const here = dirname(fileURLToPath(import.meta.url));

// The package's vocabulary is indexed by id; its merges map "left right" to a priority (lower first).
const vocab = Object.create(null);  // no prototype: "toString" is a token
mt.vocabById.forEach((token, id) => {
    if (token in vocab) throw new Error(`duplicate token ${token}`);
    vocab[token] = id;
});
const merges = [...mt.merges.entries()].sort((a, b) => a[1] - b[1]).map(([pair]) => pair);
for (const pair of merges) {
    if (!(pair.replace(' ', '') in vocab)) throw new Error(`merge ${pair} makes no vocabulary token`);
}

const special = (id, content) => ({ id, content, single_word: false, lstrip: false, rstrip: false,
                                    normalized: false, special: true });
const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    normalizer: { type: 'Sequence', normalizers: [
        { type: 'Prepend', prepend: '\u2581' },
        { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' }] },
    pre_tokenizer: null,
    post_processor: { type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
        pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
               { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
        special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } } },
    decoder: { type: 'Sequence', decoders: [
        { type: 'Replace', pattern: { String: '\u2581' }, content: ' ' },
        { type: 'ByteFallback' }, { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null,
             end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, vocab, merges },
};
writeFileSync(join(here, 'tokenizer.json'), JSON.stringify(tokenizer));
writeFileSync(join(here, 'tokenizer_config.json'),
              JSON.stringify({ bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' }, null, 2) + '\n');
console.log(`${mt.vocabById.length} tokens, ${merges.length} merges`);
