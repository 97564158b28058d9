//! Where the tests find their models and reference results, and small helpers.
//!
//! * `DN_SHARED_DIR`: the shared ground truth (fixtures/<name>); default ../shared beside the project.
//! * `DN_MODEL_DIR`: the bundled kjv-deltanet-6m model; default models/kjv-deltanet-6m of the project.
//! * `DN_BINDING_REFERENCE_DIR`: what the C API computed (CTest's bindings.reference writes it).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use deltanet::{Logits, Model, State, Stream};

/// The three fixtures every binding is compared on.
pub const FIXTURES: [&str; 3] = ["deltanet-tiny", "gated-deltanet-tiny", "deltanet-hybrid-tiny"];

fn project_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

fn dir_from_env(name: &str, default: PathBuf) -> PathBuf {
    let dir = std::env::var_os(name).map_or(default, PathBuf::from);
    assert!(dir.is_dir(), "{} ({name}) is not a directory", dir.display());
    dir
}

/// The model directory of fixture `name`.
pub fn fixture_dir(name: &str) -> PathBuf {
    dir_from_env("DN_SHARED_DIR", project_dir().join("../shared")).join("fixtures").join(name)
}

/// The bundled kjv-deltanet-6m model (it has a tokenizer).
pub fn kjv_dir() -> PathBuf {
    dir_from_env("DN_MODEL_DIR", project_dir().join("models/kjv-deltanet-6m"))
}

/// The C API's results for fixture `name`.
pub fn reference_dir(name: &str) -> PathBuf {
    let dir = std::env::var_os("DN_BINDING_REFERENCE_DIR")
        .map(PathBuf::from)
        .expect("DN_BINDING_REFERENCE_DIR is not set: run these tests through CTest (bindings.rust.*), which runs bindings.reference first");
    dir.join(name)
}

fn read_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A raw little-endian int32 file.
pub fn read_i32(path: &Path) -> Vec<i32> {
    read_bytes(path).chunks_exact(4).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// A raw little-endian float32 file.
pub fn read_f32(path: &Path) -> Vec<f32> {
    read_bytes(path).chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// The index of the largest value, the first one on ties.
pub fn argmax(values: &[f32]) -> i32 {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best as i32
}

/// Whether two float slices are equal bit for bit (the index of the first difference if not).
pub fn first_difference(a: &[f32], b: &[f32]) -> Option<usize> {
    if a.len() != b.len() {
        return Some(a.len().min(b.len()));
    }
    a.iter().zip(b).position(|(x, y)| x.to_bits() != y.to_bits())
}

/// A CPU stream and the model in `dir`.
pub fn load(dir: &Path) -> (Stream, Model) {
    let mut stream = Stream::cpu().expect("cpu stream");
    let model = Model::load(&mut stream, dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    (stream, model)
}

/// Prefills `tokens` on a fresh state and returns the last position's logits and the state.
pub fn prefill<'m>(stream: &mut Stream, model: &'m Model, tokens: &[i32]) -> (Vec<f32>, State<'m>) {
    let mut state = State::new(model).expect("state");
    let logits = model.forward(stream, &mut state, tokens, Logits::Last).expect("forward");
    (logits, state)
}
