//! Run DeltaNet-family language models (DeltaNet, Gated DeltaNet and their hybrids with softmax
//! attention): a safe binding of libdeltanet's C API.
//!
//! * [`Stream`]: an execution queue on one device ("cpu", "cuda:0"); `Send`, used by one thread at
//!   a time.
//! * [`Model`]: weights loaded from a Hugging Face directory; immutable, `Send + Sync`.
//! * [`State`]: one sequence's memory; borrows its model, `Send` but not `Sync`.
//! * [`Tokenizer`], [`Detokenizer`], [`Sampler`] and [`Model::generate`] for text.
//!
//! Every fallible call returns [`Result`]; an [`Error`] carries the library's [`Status`] and its
//! message. Handles are freed when dropped.
//!
//! ```no_run
//! use deltanet::{GenerateOptions, Model, SamplerOptions, Sampling, State, Stream, Tokenizer};
//!
//! fn main() -> deltanet::Result<()> {
//!     let mut stream = Stream::cpu()?;
//!     let model = Model::load(&mut stream, "models/kjv-deltanet-6m")?;
//!     let tokenizer = Tokenizer::load("models/kjv-deltanet-6m")?;
//!     let mut state = State::new(&model)?;
//!     let options = GenerateOptions {
//!         max_tokens: 40,
//!         sampling: Sampling::Options(SamplerOptions { seed: 42, ..Default::default() }),
//!         ..Default::default()
//!     };
//!     model.generate(&mut stream, &tokenizer, &mut state, "In the beginning", &options, |piece, _token| {
//!         print!("{piece}");
//!         true // go on
//!     })?;
//!     Ok(())
//! }
//! ```
//!
//! # Misuse that does not compile
//!
//! A state cannot outlive its model:
//!
//! ```compile_fail,E0597
//! # fn f(stream: &mut deltanet::Stream) -> deltanet::Result<()> {
//! let state = {
//!     let model = deltanet::Model::load(stream, "model")?;
//!     deltanet::State::new(&model)?
//! }; // `model` dropped here while still borrowed
//! # drop(state); Ok(()) }
//! ```
//!
//! A state cannot be shared between threads (it is not `Sync`):
//!
//! ```compile_fail,E0277
//! fn shared<T: Sync>(_: &T) {}
//! # fn f(state: &deltanet::State<'_>) {
//! shared(state);
//! # }
//! ```
//!
//! A handle cannot be freed twice, or used after it was dropped:
//!
//! ```compile_fail,E0382
//! # fn f(stream: &mut deltanet::Stream) -> deltanet::Result<()> {
//! let model = deltanet::Model::load(stream, "model")?;
//! drop(model);
//! drop(model);
//! # Ok(()) }
//! ```
//!
//! A detokenizer cannot outlive its tokenizer:
//!
//! ```compile_fail,E0597
//! # fn f() -> deltanet::Result<()> {
//! let detokenizer = {
//!     let tokenizer = deltanet::Tokenizer::load("model")?;
//!     deltanet::Detokenizer::new(&tokenizer, deltanet::DecodeFlags::NONE)?
//! };
//! # drop(detokenizer); Ok(()) }
//! ```
#![deny(missing_docs)]

mod cstr;
mod defaults;
mod detokenizer;
mod error;
mod flags;
mod forward;
mod generate;
mod guard;
mod model;
mod sampler;
mod state;
mod stream;
mod tokenizer;
mod version;

pub use detokenizer::Detokenizer;
pub use error::{Error, Result, Status};
pub use flags::{DecodeFlags, EncodeFlags};
pub use forward::Logits;
pub use generate::{GenerateOptions, GenerateResult, Sampling, StopReason};
pub use model::{DType, Family, Model, ModelOptions, Precision, WeightMemory};
pub use sampler::{LogitBias, Sampler, SamplerOptions};
pub use state::{State, StateOptions};
pub use stream::{Stream, StreamOptions};
pub use tokenizer::Tokenizer;
pub use version::{version, version_string, Version};

/// The raw C declarations this crate is built on.
pub use deltanet_sys as sys;
