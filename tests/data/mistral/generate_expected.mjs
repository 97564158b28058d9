// Encodes varied lines with mistral-tokenizer-js's OWN encoder (bos and the leading space added, its
// defaults) and writes them with their ids to expected.json, which test_tokenizer checks our encoder
// (with DN_ENCODE_ADD_SPECIAL) against.
//
//   node generate_expected.mjs package/mistral-tokenizer.js ../../../../shared/models/kjv-deltanet-6m/heldout-revelation.txt
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [packageFile, kjvFile] = process.argv.slice(2);
if (!kjvFile) throw new Error('usage: node generate_expected.mjs path/to/mistral-tokenizer.js heldout-revelation.txt');
const { default: mt } = await import(pathToFileURL(resolve(packageFile)).href);
const here = dirname(fileURLToPath(import.meta.url));

const kjv = readFileSync(kjvFile, 'utf8').split('\n').filter((line) => line.length > 0);
const texts = [
    // Prose: every other held-out verse, and a few verses joined by newlines.
    ...kjv.filter((_, i) => i % 2 === 0),
    kjv.slice(0, 5).join('\n') + '\n',
    // Code.
    'int main(int argc, char **argv) {\n    return argc > 1 ? 0 : -1;\n}',
    'def f(x):\n\tif x is None:\n\t\treturn []\n\treturn [y * 2 for y in x]  # doubled',
    'const xs = items.filter((it) => it.id !== null).map(({ id }) => `#${id}`);',
    '<div class="main">&nbsp;<a href="https://example.com/?q=1&r=2">link</a></div>',
    'SELECT name, COUNT(*) FROM users WHERE age >= 21 GROUP BY name ORDER BY 2 DESC;',
    '{"key": [1, 2.5, -3e10, true, null], "nested": {"a": "b\\n"}}',
    '#include <vector>\nstd::vector<int32_t> v{1, 2, 3};\nv.push_back(0x7fffffff);',
    'fn main() { let s: &str = "héllo"; println!("{s:?} {}", s.len()); }',
    '$ ls -la /usr/local/bin | grep -E "^-rwx" | wc -l',
    '    indented four\n        indented eight\n\ttab\n \t mixed',
    // Numbers.
    '0 1 12 123 1234 12345 123456 1234567 3.14159 -2.71828 1e-9 0xDEADBEEF 1,000,000 99.9%',
    'Call 555-0123 or +1 (800) 555-0199 before 2024-03-15T10:30:00Z.',
    '2^64 = 18446744073709551616; 10! = 3628800; ½ + ¼ = ¾; π ≈ 3.14',
    // Whitespace.
    ...Array.from({ length: 17 }, (_, n) => ' '.repeat(n + 1) + 'word' + ' '.repeat(n)),
    'a  b   c    d     e      f       g        h',
    '\n', '\n\n\n', ' \n ', '\t', '\t\t\tx', '\r\n', 'line one\r\nline two\r\n', ' ', '     ',
    'trailing spaces   ', '   leading spaces', 'end with newline\n', '\u00a0non\u00a0breaking\u00a0spaces\u00a0',
    '\u2003em\u2002en\u2009thin\u200bzero-width',
    // Unicode: accents, combining marks, other scripts, right to left.
    'Café, naïve, résumé, façade, coöperate, Øresund, Ærø, straße, İstanbul.',
    'e\u0301 a\u0308 n\u0303 o\u0302\u0323 (combining marks) Z\u0351\u0364\u0335a\u0317\u0330l\u0354g\u0359o\u0330',
    'Привет, мир! Как дела? Съешь же ещё этих мягких французских булок.',
    'Γειά σου Κόσμε! Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.',
    'مرحبا بالعالم! هذه جملة عربية.',
    'שלום עולם, זה משפט בעברית.',
    'नमस्ते दुनिया! यह हिंदी का वाक्य है।',
    'สวัสดีชาวโลก ภาษาไทยไม่มีช่องว่างระหว่างคำ',
    'Xin chào thế giới! Tiếng Việt có nhiều dấu.',
    'Բարեւ աշխարհ! Გამარჯობა მსოფლიო! ሰላም ለዓለም!',
    // CJK.
    '你好，世界！这是一个中文句子。',
    '镇江市位于江苏省。我们明天见面吧？',
    'こんにちは世界！カタカナとひらがなと漢字。',
    '안녕하세요 세계! 한국어 문장입니다.',
    '中文English混合mixed文本text。',
    '𠀀𠀁𪚥 (CJK extension B) 〆 ㍿ ㈱',
    // Emoji: single, skin tones, ZWJ sequences, flags, keycaps.
    'I love 🦙 llamas! 😀😃😄😁😆',
    '👍👍🏻👍🏽👍🏿 thumbs',
    '👨‍👩‍👧‍👦 family, 👩‍💻 coder, 🏳️‍🌈 flag, 🧑🏾‍🚀 astronaut',
    '🇺🇸🇫🇷🇯🇵🇩🇪 flags 🏴󠁧󠁢󠁳󠁣󠁴󠁿',
    '1️⃣ 2️⃣ #️⃣ ❤️ ☺︎ ✔',
    '🦙Ꙋ', 'Ꙋ🦙', '🦙', '😀', '𝕳𝖊𝖑𝖑𝖔 𝓦𝓸𝓻𝓵𝓭',
    // Punctuation, symbols, markup.
    '!!! ??? ... --- *** ### @@@ $$$ %%% ^^^ &&& ((( ))) [[[ ]]] {{{ }}}',
    '“Smart quotes” ‘single’ «guillemets» — em dash – en dash … ellipsis',
    '∀x ∈ ℝ: x² ≥ 0 ⇒ √(x²) = |x|; ∑ᵢ aᵢ ∫ f(x) dx ≠ ∞',
    '© ® ™ § ¶ † ‡ • ° ± × ÷ € £ ¥ ₹ ₿',
    '# Heading\n\n- item *one*\n- item **two**\n\n> quote\n\n```\ncode\n```',
    'grabbed', ' grabbed', '           grabbed', 'ax\n####\nboo',
    'The quick brown fox jumps over the lazy dog.',
    'THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG!',
    'supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopic',
    "don't won't can't it's I'm you're we've they'll she'd",
    'email@example.com user.name+tag@sub.domain.org',
    'C:\\Program Files\\App\\bin\\app.exe --flag=value /tmp/file.txt',
    'a', 'A', '.', '0', 'ab', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    '____________________________________________', '============================',
];

const cases = texts.map((text) => {
    const ids = mt.encode(text);
    if (mt.decode(ids) !== text) throw new Error(`the package does not round-trip ${JSON.stringify(text)}`);
    return { text, ids };
});
writeFileSync(join(here, 'expected.json'),
              '[\n' + cases.map((c) => JSON.stringify(c)).join(',\n') + '\n]\n');
console.log(`${cases.length} cases`);
