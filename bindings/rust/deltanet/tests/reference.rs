//! The binding computes exactly what the C API computes (dn_binding_reference's files), bit for
//! bit: prefill logits of every position, and 8 greedy tokens decoded one forward call at a time.

mod common;

use common::{argmax, first_difference, fixture_dir, load, read_f32, read_i32, reference_dir, FIXTURES};
use deltanet::{Logits, State};

fn check_fixture(name: &str) {
    let reference = reference_dir(name);
    let input_ids = read_i32(&reference.join("input_ids.i32"));
    let expected_logits = read_f32(&reference.join("logits.f32"));
    let expected_greedy = read_i32(&reference.join("greedy.i32"));
    assert!(!input_ids.is_empty() && expected_greedy.len() == 8, "{name}: incomplete reference files");

    let (mut stream, model) = load(&fixture_dir(name));
    let vocab = model.vocab_size();
    let mut state = State::new(&model).expect("state");
    let logits = model.forward(&mut stream, &mut state, &input_ids, Logits::All).expect("prefill");
    assert_eq!(logits.len(), input_ids.len() * vocab, "{name}: logits size");
    if let Some(i) = first_difference(&logits, &expected_logits) {
        panic!(
            "{name}: logit {i} (position {}, token {}) differs from the C API: {:?} vs {:?}",
            i / vocab,
            i % vocab,
            logits.get(i),
            expected_logits.get(i)
        );
    }
    assert_eq!(state.position(), input_ids.len() as i64);

    let mut greedy = Vec::new();
    let mut token = argmax(&logits[logits.len() - vocab..]);
    for _ in 0..8 {
        greedy.push(token);
        let next = model.forward(&mut stream, &mut state, &[token], Logits::Last).expect("step");
        token = argmax(&next);
    }
    assert_eq!(greedy, expected_greedy, "{name}: greedy tokens differ from the C API");
}

#[test]
fn deltanet_tiny_matches_c() {
    check_fixture(FIXTURES[0]);
}

#[test]
fn gated_deltanet_tiny_matches_c() {
    check_fixture(FIXTURES[1]);
}

#[test]
fn deltanet_hybrid_tiny_matches_c() {
    check_fixture(FIXTURES[2]);
}
