//! [`Model`]: weights and configuration, and what can be asked about them.

use std::ffi::{c_int, c_void};
use std::path::Path;
use std::ptr::NonNull;

use deltanet_sys as sys;

use crate::cstr::c_path;
use crate::defaults::c_defaults;
use crate::error::{check, non_null, Error, Result, Status};
use crate::guard::Guarded;
use crate::stream::Stream;

/// Model families (config.json's `model_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Family {
    /// "delta_net"
    DeltaNet,
    /// "gated_deltanet"
    GatedDeltaNet,
}

/// Element types of weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DType {
    /// float32
    F32,
    /// bfloat16
    BF16,
    /// float16
    F16,
}

/// How matrix products round their inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Precision {
    /// Activations stay float32 (the default).
    #[default]
    Exact,
    /// Where weights are bfloat16, prefill products round activations to bfloat16 too.
    Fast,
}

/// Where a model's weights live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WeightMemory {
    /// Copied into the model's own memory (the default).
    #[default]
    Copy,
    /// CPU only: read in place from the memory-mapped checkpoint.
    Mapped,
}

/// Options of [`Model::load_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModelOptions {
    /// Rounding of matrix products.
    pub precision: Precision,
    /// Where the weights live.
    pub weights: WeightMemory,
}

/// A loaded model: weights and configuration for one device. Immutable, so it is `Send` and
/// `Sync`: threads may share one (each with its own [`Stream`] and [`State`](crate::State)s).
/// States borrow their model, so a model cannot be dropped while one of its states lives.
#[derive(Debug)]
pub struct Model {
    raw: NonNull<sys::dn_model>,
}

// SAFETY: a dn_model is immutable after loading and documented as usable by any number of threads.
unsafe impl Send for Model {}
// SAFETY: as above; every method takes &self and the C API allows concurrent use.
unsafe impl Sync for Model {}

unsafe extern "C" fn progress_trampoline<F: FnMut(u64, u64) -> bool>(
    done: u64,
    total: u64,
    user_data: *mut c_void,
) -> c_int {
    // SAFETY: user_data is the &mut Guarded<F> that load_raw passed, alive for the whole load.
    let guard = unsafe { &mut *user_data.cast::<Guarded<F>>() };
    let go_on = guard.call(false, |f| f(done, total));
    c_int::from(!go_on)
}

impl Model {
    /// Loads the model in the Hugging Face directory `path` (config.json and safetensors) for the
    /// device of `stream`, with default options.
    pub fn load(stream: &mut Stream, path: impl AsRef<Path>) -> Result<Model> {
        Model::load_with(stream, path, &ModelOptions::default())
    }

    /// Loads a model with `options`.
    pub fn load_with(stream: &mut Stream, path: impl AsRef<Path>, options: &ModelOptions) -> Result<Model> {
        Model::load_raw(stream, path.as_ref(), options, None)
    }

    /// Loads a model with `options`, calling `progress(done, total)` with the bytes processed so
    /// far; it returns `true` to go on, `false` to cancel the load (an `InvalidArgument` error). A
    /// panic in `progress` cancels the load and continues in the caller once the load has stopped.
    pub fn load_with_progress<F>(
        stream: &mut Stream,
        path: impl AsRef<Path>,
        options: &ModelOptions,
        progress: F,
    ) -> Result<Model>
    where
        F: FnMut(u64, u64) -> bool,
    {
        let mut guard = Guarded::new(progress);
        let callback = (
            progress_trampoline::<F> as unsafe extern "C" fn(u64, u64, *mut c_void) -> c_int,
            std::ptr::addr_of_mut!(guard).cast::<c_void>(),
        );
        let result = Model::load_raw(stream, path.as_ref(), options, Some(callback));
        guard.resume_panic();
        result
    }

    fn load_raw(
        stream: &mut Stream,
        path: &Path,
        options: &ModelOptions,
        progress: Option<(unsafe extern "C" fn(u64, u64, *mut c_void) -> c_int, *mut c_void)>,
    ) -> Result<Model> {
        let c_path = c_path(path)?;
        // SAFETY: dn_model_options is plain data; dn_model_options_init is its init function.
        let mut raw_options = unsafe { c_defaults(sys::dn_model_options_init) };
        raw_options.precision = match options.precision {
            Precision::Exact => sys::DN_PRECISION_EXACT,
            Precision::Fast => sys::DN_PRECISION_FAST,
        };
        raw_options.weights = match options.weights {
            WeightMemory::Copy => sys::DN_WEIGHTS_COPY,
            WeightMemory::Mapped => sys::DN_WEIGHTS_MAPPED,
        };
        if let Some((function, user_data)) = progress {
            raw_options.progress = Some(function);
            raw_options.progress_user_data = user_data;
        }
        let mut raw = std::ptr::null_mut();
        // SAFETY: valid stream, string, options and output pointer; the progress user data outlives
        // the call.
        check(unsafe { sys::dn_model_load(stream.as_ptr(), c_path.as_ptr(), &raw_options, &mut raw) })?;
        Ok(Model { raw: non_null(raw, "dn_model_load")? })
    }

    pub(crate) fn as_ptr(&self) -> *const sys::dn_model {
        self.raw.as_ptr()
    }

    /// Reads one value through a getter that cannot fail on a valid model.
    fn get<T: Default>(&self, getter: unsafe extern "C" fn(*const sys::dn_model, *mut T) -> sys::dn_status) -> T {
        let mut value = T::default();
        // SAFETY: valid model and output pointer.
        let status = unsafe { getter(self.as_ptr(), &mut value) };
        debug_assert_eq!(status, sys::DN_OK);
        value
    }

    /// The model family.
    pub fn family(&self) -> Result<Family> {
        match self.get(sys::dn_model_family) {
            sys::DN_FAMILY_DELTANET => Ok(Family::DeltaNet),
            sys::DN_FAMILY_GATED_DELTANET => Ok(Family::GatedDeltaNet),
            other => Err(Error::new(Status::Unsupported, format!("model family {other} is unknown to this binding"))),
        }
    }

    /// The number of token ids (the length of one row of logits).
    pub fn vocab_size(&self) -> usize {
        usize::try_from(self.get(sys::dn_model_vocab_size)).unwrap_or(0)
    }

    /// The number of layers.
    pub fn num_layers(&self) -> usize {
        usize::try_from(self.get(sys::dn_model_num_layers)).unwrap_or(0)
    }

    /// The hidden size.
    pub fn hidden_size(&self) -> usize {
        usize::try_from(self.get(sys::dn_model_hidden_size)).unwrap_or(0)
    }

    /// How many layers are softmax attention (hybrid models); 0 for pure (Gated) DeltaNet.
    pub fn num_attention_layers(&self) -> usize {
        usize::try_from(self.get(sys::dn_model_num_attention_layers)).unwrap_or(0)
    }

    /// The dtype most weights are stored in (the checkpoint's).
    pub fn weight_dtype(&self) -> Result<DType> {
        match self.get(sys::dn_model_weight_dtype) {
            sys::DN_DTYPE_F32 => Ok(DType::F32),
            sys::DN_DTYPE_BF16 => Ok(DType::BF16),
            sys::DN_DTYPE_F16 => Ok(DType::F16),
            other => Err(Error::new(Status::Unsupported, format!("dtype {other} is unknown to this binding"))),
        }
    }

    /// Total bytes of weights as stored.
    pub fn weight_bytes(&self) -> u64 {
        self.get(sys::dn_model_weight_bytes)
    }

    /// Number of parameters.
    pub fn num_params(&self) -> u64 {
        self.get(sys::dn_model_num_params)
    }

    /// Bytes of one state created with default options.
    pub fn state_bytes(&self) -> u64 {
        self.get(sys::dn_model_state_bytes)
    }

    /// config.json's `(bos_token_id, eos_token_id)`, each `None` where absent.
    pub fn special_tokens(&self) -> (Option<i32>, Option<i32>) {
        let (mut bos, mut eos) = (-1, -1);
        // SAFETY: valid model and output pointers.
        let status = unsafe { sys::dn_model_special_tokens(self.as_ptr(), &mut bos, &mut eos) };
        debug_assert_eq!(status, sys::DN_OK);
        ((bos >= 0).then_some(bos), (eos >= 0).then_some(eos))
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: owned handle, freed once; no state can be alive (they borrow the model).
        unsafe { sys::dn_model_free(self.raw.as_ptr()) };
    }
}
