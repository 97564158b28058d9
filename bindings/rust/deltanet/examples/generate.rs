//! The Rust twin of bindings/c/generate.c: load a model, sample text from a prompt with a fixed
//! seed, print it. Usage: generate MODEL_DIR SEED MAX_TOKENS PROMPT
//!
//! Sampling uses the library's default sampler options with the given seed; the prompt is
//! printed, then the generated text as it streams, then a newline. The same arguments print the
//! same bytes as the C example (tested: bindings.rust.same_text).

use std::io::Write;
use std::process::ExitCode;

use deltanet::{Error, GenerateOptions, Model, SamplerOptions, Sampling, State, Stream, Tokenizer};

/// Reports a failed step like the C example does and gives its exit code.
fn fail(what: &str, error: &Error) -> ExitCode {
    eprintln!("{what}: {}: {}", error.status(), error.message());
    ExitCode::from(1)
}

/// The leading decimal digits of `text` as a number (0 if none), like strtoull / atoi.
fn leading_number<T: std::str::FromStr + Default>(text: &str) -> T {
    let text = text.trim_start();
    let sign = usize::from(text.starts_with(['-', '+']));
    let digits = text[sign..].find(|c: char| !c.is_ascii_digit()).map_or(text.len(), |end| sign + end);
    text[..digits].parse().unwrap_or_default()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: {} MODEL_DIR SEED MAX_TOKENS PROMPT", args.first().map_or("generate", String::as_str));
        return ExitCode::from(2);
    }
    let (model_dir, prompt) = (&args[1], &args[4]);
    let seed: u64 = leading_number(&args[2]);
    let max_tokens: i32 = leading_number(&args[3]);

    let mut stream = match Stream::new("cpu") {
        Ok(stream) => stream,
        Err(e) => return fail("stream", &e),
    };
    let model = match Model::load(&mut stream, model_dir) {
        Ok(model) => model,
        Err(e) => return fail("model", &e),
    };
    let tokenizer = match Tokenizer::load(model_dir) {
        Ok(tokenizer) => tokenizer,
        Err(e) => return fail("tokenizer", &e),
    };
    let mut state = match State::new(&model) {
        Ok(state) => state,
        Err(e) => return fail("state", &e),
    };

    let options = GenerateOptions {
        max_tokens,
        sampling: Sampling::Options(SamplerOptions { seed, ..SamplerOptions::default() }),
        ..GenerateOptions::default()
    };
    let mut stdout = std::io::stdout().lock();
    // Write errors (a closed pipe) are ignored, as the C example ignores fwrite's result.
    let _ = stdout.write_all(prompt.as_bytes());
    let generated = model.generate(&mut stream, &tokenizer, &mut state, prompt, &options, |piece, _token| {
        let _ = stdout.write_all(piece.as_bytes());
        let _ = stdout.flush();
        true
    });
    if let Err(e) = generated {
        let _ = stdout.flush();
        return fail("generate", &e);
    }
    let _ = stdout.write_all(b"\n");
    let _ = stdout.flush();
    ExitCode::SUCCESS
}
