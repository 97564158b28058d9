//! Failures arrive as `Err` with the right `Status` and the library's message, and leave the
//! objects involved as they were.

mod common;

use common::{fixture_dir, kjv_dir, load, FIXTURES};
use deltanet::{Logits, Model, Sampler, SamplerOptions, State, Status, Stream, Tokenizer};

#[test]
fn missing_model_directory_is_io() {
    let mut stream = Stream::cpu().expect("stream");
    let error = Model::load(&mut stream, "/nonexistent/deltanet-model").expect_err("loaded a missing model");
    assert_eq!(error.status(), Status::Io);
    assert!(!error.message().is_empty(), "no message");
    assert!(error.to_string().contains(error.message()));
    let error = Tokenizer::load("/nonexistent/deltanet-model").expect_err("loaded a missing tokenizer");
    assert_eq!(error.status(), Status::Io);
}

#[test]
fn nul_in_a_path_or_device_is_invalid_argument() {
    assert_eq!(Stream::new("cpu\0x").expect_err("device with NUL").status(), Status::InvalidArgument);
    let mut stream = Stream::cpu().expect("stream");
    let error = Model::load(&mut stream, "models\0/x").expect_err("path with NUL");
    assert_eq!(error.status(), Status::InvalidArgument);
}

#[test]
fn unknown_device_is_an_error() {
    let error = Stream::new("no-such-device").expect_err("created a stream on a made-up device");
    assert_eq!(error.status(), Status::InvalidArgument, "{error}");
}

#[test]
fn bad_token_ids_are_token_out_of_range() {
    let (mut stream, model) = load(&fixture_dir(FIXTURES[0]));
    let mut state = State::new(&model).expect("state");
    let vocab = model.vocab_size() as i32;
    for bad in [vocab, -1, i32::MAX] {
        let error = model.forward(&mut stream, &mut state, &[1, bad], Logits::Last).expect_err("bad token accepted");
        assert_eq!(error.status(), Status::TokenOutOfRange, "token {bad}: {error}");
    }
    assert_eq!(state.position(), 0, "a failed forward advanced the state");
}

#[test]
fn wrong_sizes_are_errors() {
    let (mut stream, model) = load(&fixture_dir(FIXTURES[0]));
    let mut state = State::new(&model).expect("state");
    let vocab = model.vocab_size();

    // A logits buffer too small for the mode, and one right for Last but not for All.
    let mut small = vec![7.0f32; vocab - 1];
    let error =
        model.forward_into(&mut stream, &mut state, &[1, 2], Logits::Last, &mut small).expect_err("small buffer");
    assert_eq!(error.status(), Status::BufferTooSmall);
    assert!(small.iter().all(|&x| x == 7.0), "a failed forward wrote logits");
    let mut one_row = vec![0.0f32; vocab];
    let error =
        model.forward_into(&mut stream, &mut state, &[1, 2], Logits::All, &mut one_row).expect_err("one row for two");
    assert_eq!(error.status(), Status::BufferTooSmall);
    assert_eq!(state.position(), 0);

    // No tokens at all.
    let error = model.forward(&mut stream, &mut state, &[], Logits::Last).expect_err("empty forward");
    assert_eq!(error.status(), Status::InvalidArgument);

    // A batch whose tokens and states differ in number.
    let mut other = State::new(&model).expect("state");
    let error = model.decode_batch(&mut stream, &mut [&mut state, &mut other], &[1]).expect_err("2 states, 1 token");
    assert_eq!(error.status(), Status::InvalidArgument);

    // Sampling logits of the wrong length, and invalid sampler options.
    let mut sampler = Sampler::new(&SamplerOptions::default(), vocab).expect("sampler");
    let error = sampler.sample(&vec![0.0; vocab + 1]).expect_err("wrong logits length");
    assert_eq!(error.status(), Status::InvalidArgument);
    let error = Sampler::new(&SamplerOptions { temperature: -1.0, ..Default::default() }, vocab)
        .expect_err("negative temperature");
    assert_eq!(error.status(), Status::InvalidArgument);
}

#[test]
fn a_state_of_another_model_is_state_mismatch() {
    let (mut stream, deltanet) = load(&fixture_dir(FIXTURES[0]));
    let gated = Model::load(&mut stream, fixture_dir(FIXTURES[1])).expect("gated model");
    let mut state = State::new(&deltanet).expect("state");
    let error =
        gated.forward(&mut stream, &mut state, &[1, 2, 3], Logits::Last).expect_err("used a state with another model");
    assert_eq!(error.status(), Status::StateMismatch, "{error}");
    assert_eq!(state.position(), 0);
    // The state still works with its own model.
    deltanet.forward(&mut stream, &mut state, &[1, 2, 3], Logits::Last).expect("own model");

    // A blob saved from one model does not load into a state of another.
    let blob = state.save().expect("save");
    let mut gated_state = State::new(&gated).expect("state");
    let error = gated_state.load(&blob).expect_err("loaded another model's blob");
    assert_eq!(error.status(), Status::StateMismatch, "{error}");
    assert_eq!(gated_state.position(), 0);
}

#[test]
fn a_damaged_blob_is_state_corrupt() {
    let (mut stream, model) = load(&fixture_dir(FIXTURES[0]));
    let mut state = State::new(&model).expect("state");
    model.forward(&mut stream, &mut state, &[1, 2, 3], Logits::None).expect("prefill");
    let mut blob = state.save().expect("save");
    let middle = blob.len() / 2;
    blob[middle] ^= 0x55;
    let mut fresh = State::new(&model).expect("state");
    assert_eq!(fresh.load(&blob).expect_err("damaged blob").status(), Status::StateCorrupt);
    assert_eq!(fresh.load(&blob[..10]).expect_err("truncated blob").status(), Status::StateCorrupt);
    assert_eq!(fresh.position(), 0);
}

#[test]
fn tokenizer_errors() {
    let tokenizer = Tokenizer::load(kjv_dir()).expect("tokenizer");
    let vocab = tokenizer.vocab_size() as i32;
    assert_eq!(tokenizer.decode(&[vocab], Default::default()).expect_err("bad id").status(), Status::TokenOutOfRange);
    assert_eq!(tokenizer.token_text(-1).expect_err("bad id").status(), Status::TokenOutOfRange);
    assert_eq!(tokenizer.token_id("no such token in any vocabulary").expect("lookup"), None);
}

#[test]
fn status_codes_round_trip() {
    for code in 1..=14 {
        let status = Status::from_code(code).expect("an error status");
        assert_eq!(status.code(), code);
        assert!(!matches!(status, Status::Unknown(_)), "{code} is a known status");
        assert_ne!(status.description(), "unknown status");
    }
    assert_eq!(Status::from_code(0), None);
    assert_eq!(Status::from_code(999), Some(Status::Unknown(999)));
    assert_eq!(Status::Unknown(999).description(), "unknown status");
}
