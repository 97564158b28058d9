//! [`Error`], [`Status`] and the check that turns a C status into a `Result`.

use std::ffi::CStr;
use std::fmt;

use deltanet_sys as sys;

/// Why a call failed: the C API's `dn_status`, less `DN_OK`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// A required pointer or handle was NULL (`DN_ERR_NULL_ARGUMENT`).
    NullArgument,
    /// A value is out of its allowed range: size, count, enum (`DN_ERR_INVALID_ARGUMENT`).
    InvalidArgument,
    /// A file could not be opened, read, mapped or written (`DN_ERR_IO`).
    Io,
    /// A file is truncated, not valid JSON / safetensors, or inconsistent (`DN_ERR_MALFORMED_FILE`).
    MalformedFile,
    /// Weights do not fit the config: missing tensor, wrong shape or dtype (`DN_ERR_MODEL_MISMATCH`).
    ModelMismatch,
    /// A model type, config value, device or feature this build cannot run (`DN_ERR_UNSUPPORTED`).
    Unsupported,
    /// A token id is negative or not below the vocabulary size (`DN_ERR_TOKEN_OUT_OF_RANGE`).
    TokenOutOfRange,
    /// A buffer cannot hold the result (`DN_ERR_BUFFER_TOO_SMALL`).
    BufferTooSmall,
    /// A state or state blob belongs to another model or device (`DN_ERR_STATE_MISMATCH`).
    StateMismatch,
    /// A state blob fails its checksum or its format checks (`DN_ERR_STATE_CORRUPT`).
    StateCorrupt,
    /// A global-attention layer's key/value cache has no room for the tokens (`DN_ERR_CONTEXT_FULL`).
    ContextFull,
    /// An allocation failed; nothing was changed (`DN_ERR_OUT_OF_MEMORY`).
    OutOfMemory,
    /// The device or its runtime reported an error (`DN_ERR_DEVICE`).
    Device,
    /// A bug in the library (`DN_ERR_INTERNAL`).
    Internal,
    /// A status code this binding does not know (from a newer library).
    Unknown(u32),
}

impl Status {
    /// The status of a C status code; `None` for `DN_OK`.
    pub fn from_code(code: u32) -> Option<Status> {
        Some(match code {
            sys::DN_OK => return None,
            sys::DN_ERR_NULL_ARGUMENT => Status::NullArgument,
            sys::DN_ERR_INVALID_ARGUMENT => Status::InvalidArgument,
            sys::DN_ERR_IO => Status::Io,
            sys::DN_ERR_MALFORMED_FILE => Status::MalformedFile,
            sys::DN_ERR_MODEL_MISMATCH => Status::ModelMismatch,
            sys::DN_ERR_UNSUPPORTED => Status::Unsupported,
            sys::DN_ERR_TOKEN_OUT_OF_RANGE => Status::TokenOutOfRange,
            sys::DN_ERR_BUFFER_TOO_SMALL => Status::BufferTooSmall,
            sys::DN_ERR_STATE_MISMATCH => Status::StateMismatch,
            sys::DN_ERR_STATE_CORRUPT => Status::StateCorrupt,
            sys::DN_ERR_CONTEXT_FULL => Status::ContextFull,
            sys::DN_ERR_OUT_OF_MEMORY => Status::OutOfMemory,
            sys::DN_ERR_DEVICE => Status::Device,
            sys::DN_ERR_INTERNAL => Status::Internal,
            other => Status::Unknown(other),
        })
    }

    /// The C status code (`DN_ERR_*`).
    pub fn code(self) -> u32 {
        match self {
            Status::NullArgument => sys::DN_ERR_NULL_ARGUMENT,
            Status::InvalidArgument => sys::DN_ERR_INVALID_ARGUMENT,
            Status::Io => sys::DN_ERR_IO,
            Status::MalformedFile => sys::DN_ERR_MALFORMED_FILE,
            Status::ModelMismatch => sys::DN_ERR_MODEL_MISMATCH,
            Status::Unsupported => sys::DN_ERR_UNSUPPORTED,
            Status::TokenOutOfRange => sys::DN_ERR_TOKEN_OUT_OF_RANGE,
            Status::BufferTooSmall => sys::DN_ERR_BUFFER_TOO_SMALL,
            Status::StateMismatch => sys::DN_ERR_STATE_MISMATCH,
            Status::StateCorrupt => sys::DN_ERR_STATE_CORRUPT,
            Status::ContextFull => sys::DN_ERR_CONTEXT_FULL,
            Status::OutOfMemory => sys::DN_ERR_OUT_OF_MEMORY,
            Status::Device => sys::DN_ERR_DEVICE,
            Status::Internal => sys::DN_ERR_INTERNAL,
            Status::Unknown(code) => code,
        }
    }

    /// The library's short English description ("token id out of range").
    pub fn description(self) -> &'static str {
        // SAFETY: dn_status_string accepts any value and returns a static NUL-terminated string.
        let text = unsafe { CStr::from_ptr(sys::dn_status_string(self.code())) };
        text.to_str().unwrap_or("unknown status")
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// A failed call: its [`Status`] and the library's message naming what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
}

impl Error {
    /// An error with this status and message (used for arguments the binding rejects itself).
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error { status, message: message.into() }
    }

    /// Why the call failed.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The detailed message (`dn_last_error()` of the failed call); may be empty.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.status)
        } else {
            write!(f, "{}: {}", self.status, self.message)
        }
    }
}

impl std::error::Error for Error {}

/// The result of every fallible call of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// `Ok(())` for `DN_OK`, else the error with the calling thread's `dn_last_error()`. Call it right
/// after the C call, on the same thread, before any other call into the library.
pub(crate) fn check(code: sys::dn_status) -> Result<()> {
    match Status::from_code(code) {
        None => Ok(()),
        Some(status) => {
            // SAFETY: dn_last_error returns a valid NUL-terminated thread-local string.
            let message = unsafe { CStr::from_ptr(sys::dn_last_error()) };
            Err(Error::new(status, message.to_string_lossy().into_owned()))
        }
    }
}

/// A `Status::InvalidArgument` error for a value the binding cannot pass to C.
pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::new(Status::InvalidArgument, message)
}

/// The handle a successful C constructor wrote; a `Status::Internal` error if it wrote NULL.
pub(crate) fn non_null<T>(raw: *mut T, function: &str) -> Result<std::ptr::NonNull<T>> {
    std::ptr::NonNull::new(raw).ok_or_else(|| Error::new(Status::Internal, format!("{function} returned NULL")))
}
