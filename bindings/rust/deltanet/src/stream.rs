//! [`Stream`]: an execution queue on one device.

use std::ptr::NonNull;

use deltanet_sys as sys;

use crate::cstr::{c_string, text_from_c};
use crate::defaults::c_defaults;
use crate::error::{check, non_null, Result};

/// Options of [`Stream::with_options`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamOptions {
    /// CPU worker threads; 0 (the default) uses every core the process may use.
    pub num_threads: i32,
}

/// An execution queue on one device ("cpu", "cuda:0"). Work submitted through a stream runs in
/// order. A stream may move between threads (`Send`) but is used by one at a time (not `Sync`):
/// every call that runs work takes it as `&mut Stream`.
#[derive(Debug)]
pub struct Stream {
    raw: NonNull<sys::dn_stream>,
}

// SAFETY: the C API allows a stream to be used from any thread, one thread at a time; `&mut`
// access for every call that uses it, and no `Sync`, guarantee the "one at a time".
unsafe impl Send for Stream {}

impl Stream {
    /// Creates a stream on `device` with default options: "cpu", or "cuda:N" when the CUDA
    /// plugin is installed.
    pub fn new(device: &str) -> Result<Stream> {
        Stream::with_options(device, &StreamOptions::default())
    }

    /// A stream on the CPU with default options.
    pub fn cpu() -> Result<Stream> {
        Stream::new("cpu")
    }

    /// Creates a stream on `device` with `options`.
    pub fn with_options(device: &str, options: &StreamOptions) -> Result<Stream> {
        let device = c_string(device, "device")?;
        // SAFETY: dn_stream_options is plain data; dn_stream_options_init is its init function.
        let mut raw_options = unsafe { c_defaults(sys::dn_stream_options_init) };
        raw_options.num_threads = options.num_threads;
        let mut raw = std::ptr::null_mut();
        // SAFETY: valid string, options and output pointer.
        check(unsafe { sys::dn_stream_create(device.as_ptr(), &raw_options, &mut raw) })?;
        Ok(Stream { raw: non_null(raw, "dn_stream_create")? })
    }

    /// Waits until all work submitted to the stream has finished.
    pub fn synchronize(&mut self) -> Result<()> {
        // SAFETY: the handle is valid while self lives.
        check(unsafe { sys::dn_stream_synchronize(self.raw.as_ptr()) })
    }

    /// The device string the stream was created for ("cpu").
    pub fn device(&self) -> String {
        let mut device = std::ptr::null();
        // SAFETY: valid handle and output pointer; the string lives as long as the stream.
        let status = unsafe { sys::dn_stream_device(self.raw.as_ptr(), &mut device) };
        debug_assert_eq!(status, sys::DN_OK);
        // SAFETY: NULL or a string owned by the stream, copied before the borrow ends.
        unsafe { text_from_c(device) }.into_owned()
    }

    pub(crate) fn as_ptr(&mut self) -> *mut sys::dn_stream {
        self.raw.as_ptr()
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // SAFETY: the handle is owned by self and freed exactly once, here.
        unsafe { sys::dn_stream_destroy(self.raw.as_ptr()) };
    }
}
