//! Ownership: which handles are Send / Sync, drops in any order the borrow checker allows, and
//! the version. (What must not compile is in the crate documentation's compile_fail examples.)

mod common;

use common::{fixture_dir, kjv_dir, load, FIXTURES};
use deltanet::{Detokenizer, Logits, Model, Sampler, State, Stream, Tokenizer};

fn is_send<T: Send>() {}
fn is_sync<T: Sync>() {}

/// Compiles only when `T` is not `Sync`: with `Sync`, `_` would be ambiguous.
trait AmbiguousIfSync<A> {
    fn check() {}
}
impl<T: ?Sized> AmbiguousIfSync<()> for T {}
impl<T: ?Sized + Sync> AmbiguousIfSync<u8> for T {}

#[test]
fn thread_safety_markers() {
    is_send::<Model>();
    is_sync::<Model>();
    is_send::<Tokenizer>();
    is_sync::<Tokenizer>();
    is_send::<Stream>();
    is_send::<State<'static>>();
    is_send::<Sampler>();
    is_send::<Detokenizer<'static>>();
    <Stream as AmbiguousIfSync<_>>::check();
    <State<'static> as AmbiguousIfSync<_>>::check();
    <Sampler as AmbiguousIfSync<_>>::check();
    <Detokenizer<'static> as AmbiguousIfSync<_>>::check();
}

#[test]
fn handles_drop_in_any_allowed_order() {
    // The stream may go before the model and its states (they belong to the device).
    let (mut stream, model) = load(&fixture_dir(FIXTURES[0]));
    let mut state = State::new(&model).expect("state");
    model.forward(&mut stream, &mut state, &[1, 2], Logits::None).expect("prefill");
    drop(stream);
    let copy = state.try_clone().expect("clone");
    drop(state);
    let mut stream = Stream::cpu().expect("stream");
    let mut copy = copy;
    model.forward(&mut stream, &mut copy, &[3], Logits::Last).expect("step with a new stream");
    drop(copy);
    drop(model);

    let tokenizer = Tokenizer::load(kjv_dir()).expect("tokenizer");
    let detokenizer = Detokenizer::new(&tokenizer, Default::default()).expect("detokenizer");
    drop(detokenizer);
    drop(tokenizer);
}

#[test]
fn many_models_and_states_come_and_go() {
    let mut stream = Stream::cpu().expect("stream");
    for round in 0..3 {
        let model = Model::load(&mut stream, fixture_dir(FIXTURES[round % 3])).expect("model");
        let states: Vec<State<'_>> = (0..4).map(|_| State::new(&model).expect("state")).collect();
        drop(states);
    }
}

#[test]
fn version_matches_the_headers_crate() {
    let v = deltanet::version();
    assert_eq!(deltanet::version_string(), v.to_string());
    assert!(v.major >= 0 && v.minor >= 0);
}

#[test]
fn model_information() {
    let (_, model) = load(&fixture_dir(FIXTURES[2]));
    assert!(model.num_layers() > 0 && model.hidden_size() > 0);
    assert!(model.num_attention_layers() > 0, "the hybrid fixture has attention layers");
    assert!(model.weight_bytes() > 0 && model.state_bytes() > 0);
    model.family().expect("family");
    model.weight_dtype().expect("dtype");
    let _ = model.special_tokens();
}
