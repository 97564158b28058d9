//! Streaming generation with the bundled kjv-deltanet-6m model: text, cancellation, panics in the
//! callback, samplers, stop conditions; and the tokenizer / detokenizer it relies on.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use common::{kjv_dir, load};
use deltanet::{
    DecodeFlags, Detokenizer, EncodeFlags, GenerateOptions, Logits, Sampler, SamplerOptions, Sampling, State,
    StopReason, Tokenizer,
};

const PROMPT: &str = "In the beginning";

fn options(max_tokens: i32) -> GenerateOptions<'static> {
    GenerateOptions { max_tokens, ..GenerateOptions::default() }
}

#[test]
fn greedy_text_streams_and_counts() {
    let (mut stream, model) = load(&kjv_dir());
    let tokenizer = Tokenizer::load(kjv_dir()).expect("tokenizer");
    let mut state = State::new(&model).expect("state");
    let mut text = String::new();
    let mut tokens = Vec::new();
    let result = model
        .generate(&mut stream, &tokenizer, &mut state, PROMPT, &options(12), |piece, token| {
            text.push_str(piece);
            tokens.push(token);
            true
        })
        .expect("generate");
    assert_eq!(result.stop_reason, StopReason::MaxTokens);
    assert_eq!(result.generated_tokens, 12);
    assert_eq!(tokens.len(), 12);
    assert_eq!(result.prompt_tokens, tokenizer.encode(PROMPT, EncodeFlags::NONE).expect("encode").len() as i64);
    assert_eq!(state.position(), result.prompt_tokens + 12);
    assert_eq!(text, tokenizer.decode(&tokens, DecodeFlags::NONE).expect("decode"));

    // The same greedy tokens by hand: prefill, then argmax one token at a time.
    let mut by_hand = State::new(&model).expect("state");
    let ids = tokenizer.encode(PROMPT, EncodeFlags::NONE).expect("encode");
    let mut logits = model.forward(&mut stream, &mut by_hand, &ids, Logits::Last).expect("prefill");
    for &expected in &tokens {
        let token = common::argmax(&logits);
        assert_eq!(token, expected);
        logits = model.forward(&mut stream, &mut by_hand, &[token], Logits::Last).expect("step");
    }
}

#[test]
fn returning_false_cancels_after_exactly_that_call() {
    let (mut stream, model) = load(&kjv_dir());
    let tokenizer = Tokenizer::load(kjv_dir()).expect("tokenizer");
    let mut state = State::new(&model).expect("state");
    let mut calls = 0;
    let result = model
        .generate(&mut stream, &tokenizer, &mut state, PROMPT, &options(50), |_, _| {
            calls += 1;
            calls < 3
        })
        .expect("generate");
    assert_eq!(result.stop_reason, StopReason::Cancelled);
    assert_eq!(calls, 3);
    assert_eq!(result.generated_tokens, 3);
    assert_eq!(state.position(), result.prompt_tokens + 3);
}

#[test]
fn a_panic_in_the_callback_reaches_the_caller_and_the_state_stays_usable() {
    let (mut stream, model) = load(&kjv_dir());
    let tokenizer = Tokenizer::load(kjv_dir()).expect("tokenizer");
    let mut state = State::new(&model).expect("state");
    let mut calls = 0;
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        model.generate(&mut stream, &tokenizer, &mut state, PROMPT, &options(50), |_, _| {
            calls += 1;
            if calls == 2 {
                panic!("callback failed on purpose");
            }
            true
        })
    }));
    let payload = outcome.expect_err("the panic did not reach the caller");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"callback failed on purpose"));
    assert_eq!(calls, 2, "the callback was called again after it panicked");
    // Generation stopped at the panicking piece; the state holds it and still works.
    let position = state.position();
    assert!(position > 0);
    let result = model
        .generate(&mut stream, &tokenizer, &mut state, " and", &options(2), |_, _| true)
        .expect("generate after a panic");
    assert_eq!(result.stop_reason, StopReason::MaxTokens);
    assert_eq!(state.position(), position + result.prompt_tokens + 2);
}

#[test]
fn seeded_sampling_repeats_and_a_callers_sampler_matches() {
    let (mut stream, model) = load(&kjv_dir());
    let tokenizer = Tokenizer::load(kjv_dir()).expect("tokenizer");
    let run = |sampling: Sampling<'_>, stream: &mut deltanet::Stream| {
        let mut state = State::new(&model).expect("state");
        let mut text = String::new();
        let options = GenerateOptions { max_tokens: 20, sampling, ..GenerateOptions::default() };
        model
            .generate(stream, &tokenizer, &mut state, PROMPT, &options, |piece, _| {
                text.push_str(piece);
                true
            })
            .expect("generate");
        text
    };
    let seeded = SamplerOptions { seed: 7, ..SamplerOptions::default() };
    let first = run(Sampling::Options(seeded.clone()), &mut stream);
    assert_eq!(first, run(Sampling::Options(seeded.clone()), &mut stream), "same seed, other text");
    let mut sampler = Sampler::new(&seeded, model.vocab_size()).expect("sampler");
    assert_eq!(first, run(Sampling::Sampler(&mut sampler), &mut stream), "caller's sampler differs");
    let greedy = run(Sampling::Greedy, &mut stream);
    assert_eq!(greedy, run(Sampling::Options(SamplerOptions::greedy()), &mut stream));
}

#[test]
fn stop_strings_and_stop_ids() {
    let (mut stream, model) = load(&kjv_dir());
    let tokenizer = Tokenizer::load(kjv_dir()).expect("tokenizer");
    let mut full = String::new();
    let mut tokens = Vec::new();
    let mut state = State::new(&model).expect("state");
    model
        .generate(&mut stream, &tokenizer, &mut state, PROMPT, &options(30), |piece, token| {
            full.push_str(piece);
            tokens.push(token);
            true
        })
        .expect("generate");

    // Stop at a word that appears in the greedy text: the callback never sees it.
    let word = full.split_whitespace().nth(3).expect("some words").to_string();
    let mut text = String::new();
    let mut state = State::new(&model).expect("state");
    let options_with_stop =
        GenerateOptions { max_tokens: 30, stop_strings: vec![word.clone()], ..GenerateOptions::default() };
    let result = model
        .generate(&mut stream, &tokenizer, &mut state, PROMPT, &options_with_stop, |piece, _| {
            text.push_str(piece);
            true
        })
        .expect("generate");
    assert_eq!(result.stop_reason, StopReason::StopString);
    assert!(!text.contains(&word), "{text:?} contains the stop string {word:?}");
    assert!(full.starts_with(&text));

    // Stop at the fifth token's id.
    let mut state = State::new(&model).expect("state");
    let options_with_id = GenerateOptions { max_tokens: 30, stop_ids: vec![tokens[4]], ..GenerateOptions::default() };
    let result = model
        .generate_ids(
            &mut stream,
            &tokenizer,
            &mut state,
            &tokenizer.encode(PROMPT, EncodeFlags::NONE).expect("encode"),
            &options_with_id,
            |_, _| true,
        )
        .expect("generate_ids");
    assert_eq!(result.stop_reason, StopReason::Eos);
    assert!(result.generated_tokens <= 5);
}

#[test]
fn tokenizer_and_detokenizer_round_trip() {
    let tokenizer = Tokenizer::load(kjv_dir()).expect("tokenizer");
    let text = "And God said, Let there be light: and there was light.";
    let ids = tokenizer.encode(text, EncodeFlags::NONE).expect("encode");
    assert!(!ids.is_empty());
    assert_eq!(tokenizer.decode(&ids, DecodeFlags::NONE).expect("decode"), text);
    let mut detokenizer = Detokenizer::new(&tokenizer, DecodeFlags::NONE).expect("detokenizer");
    let mut streamed = String::new();
    for &id in &ids {
        streamed += &detokenizer.push(id).expect("push");
    }
    streamed += &detokenizer.flush().expect("flush");
    assert_eq!(streamed, text);
    let first = tokenizer.token_text(ids[0]).expect("token text");
    assert_eq!(tokenizer.token_id(&first).expect("token id"), Some(ids[0]));
    assert!(!tokenizer.is_special(ids[0]).expect("is_special"));
    // A long text needs a second, larger encode buffer.
    let long = text.repeat(50);
    assert_eq!(
        tokenizer
            .decode(&tokenizer.encode(&long, EncodeFlags::NONE).expect("encode"), DecodeFlags::NONE)
            .expect("decode"),
        long
    );
}

#[test]
fn model_loads_with_progress_and_can_be_cancelled() {
    let mut stream = deltanet::Stream::cpu().expect("stream");
    let mut reports = 0;
    let model = deltanet::Model::load_with_progress(&mut stream, kjv_dir(), &Default::default(), |done, total| {
        assert!(done <= total);
        reports += 1;
        true
    })
    .expect("load");
    assert!(reports > 0);
    assert!(model.num_params() > 0 && model.vocab_size() > 0);
    let error = deltanet::Model::load_with_progress(&mut stream, kjv_dir(), &Default::default(), |_, _| false)
        .expect_err("a cancelled load succeeded");
    assert_eq!(error.status(), deltanet::Status::InvalidArgument);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        deltanet::Model::load_with_progress(&mut stream, kjv_dir(), &Default::default(), |_, _| panic!("stop loading"))
    }));
    assert!(outcome.is_err(), "a panic in the progress callback was swallowed");
}
