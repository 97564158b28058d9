//! States: save / load, clone, reset, batched decode, and one model shared by threads.

mod common;

use common::{first_difference, fixture_dir, load, prefill, FIXTURES};
use deltanet::{Logits, Model, State, StateOptions, Stream};

const PROMPT: [i32; 6] = [5, 17, 3, 42, 8, 1];

#[test]
fn save_and_load_reproduce_the_logits() {
    for name in FIXTURES {
        let (mut stream, model) = load(&fixture_dir(name));
        let (_, mut state) = prefill(&mut stream, &model, &PROMPT);
        let blob = state.save().expect("save");
        let expected = model.forward(&mut stream, &mut state, &[7], Logits::Last).expect("step");

        let mut restored = State::new(&model).expect("state");
        restored.load(&blob).expect("load");
        assert_eq!(restored.position(), PROMPT.len() as i64);
        let actual = model.forward(&mut stream, &mut restored, &[7], Logits::Last).expect("step");
        assert_eq!(first_difference(&expected, &actual), None, "{name}: logits after load differ");
    }
}

#[test]
fn clone_and_reset() {
    let (mut stream, model) = load(&fixture_dir(FIXTURES[2]));
    let (_, mut state) = prefill(&mut stream, &model, &PROMPT);
    let mut copy = state.try_clone().expect("clone");
    let a = model.forward(&mut stream, &mut state, &[9], Logits::Last).expect("step");
    let b = model.forward(&mut stream, &mut copy, &[9], Logits::Last).expect("step");
    assert_eq!(first_difference(&a, &b), None);
    drop(state); // the copy is independent
    copy.reset().expect("reset");
    assert_eq!(copy.position(), 0);
    let (fresh, _) = prefill(&mut stream, &model, &PROMPT);
    let again = model.forward(&mut stream, &mut copy, &PROMPT, Logits::Last).expect("prefill");
    assert_eq!(first_difference(&fresh, &again), None, "a reset state is not as new");
}

#[test]
fn decode_batch_equals_separate_steps() {
    let (mut stream, model) = load(&fixture_dir(FIXTURES[1]));
    let vocab = model.vocab_size();
    let (_, mut s1) = prefill(&mut stream, &model, &PROMPT);
    let (_, mut s2) = prefill(&mut stream, &model, &PROMPT[..3]);
    let mut c1 = s1.try_clone().expect("clone");
    let mut c2 = s2.try_clone().expect("clone");
    let batched = model.decode_batch(&mut stream, &mut [&mut s1, &mut s2], &[11, 12]).expect("batch");
    let one = model.forward(&mut stream, &mut c1, &[11], Logits::Last).expect("step");
    let two = model.forward(&mut stream, &mut c2, &[12], Logits::Last).expect("step");
    assert_eq!(batched.len(), 2 * vocab);
    // Batched decode equals the separate calls (the C API's promise; compared with a tolerance
    // in case a backend reorders sums).
    for (b, s) in batched.iter().zip(one.iter().chain(&two)) {
        assert!((b - s).abs() <= 1e-5 * (1.0 + s.abs()), "{b} vs {s}");
    }
}

#[test]
fn state_options_are_passed() {
    let (_, model) = load(&fixture_dir(FIXTURES[2]));
    State::with_options(&model, &StateOptions { max_context: 64 }).expect("state with a small cache");
    assert!(State::with_options(&model, &StateOptions { max_context: -5 }).is_err());
}

#[test]
fn a_model_shared_by_two_threads_gives_the_same_logits() {
    for name in FIXTURES {
        let (mut stream, model) = load(&fixture_dir(name));
        let (expected, _) = prefill(&mut stream, &model, &PROMPT);
        let model: &Model = &model;
        let results: Vec<Vec<f32>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    scope.spawn(move || {
                        let mut stream = Stream::cpu().expect("stream");
                        let mut state = State::new(model).expect("state");
                        let mut last = Vec::new();
                        for _ in 0..3 {
                            state.reset().expect("reset");
                            last = model.forward(&mut stream, &mut state, &PROMPT, Logits::Last).expect("forward");
                        }
                        last
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("thread panicked")).collect()
        });
        for logits in results {
            assert_eq!(first_difference(&expected, &logits), None, "{name}: a thread's logits differ");
        }
    }
}

#[test]
fn states_move_between_threads() {
    let (mut stream, model) = load(&fixture_dir(FIXTURES[0]));
    let (_, state) = prefill(&mut stream, &model, &PROMPT);
    let position = std::thread::scope(|scope| scope.spawn(move || state.position()).join().expect("thread"));
    assert_eq!(position, PROMPT.len() as i64);
}
