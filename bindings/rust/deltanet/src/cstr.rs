//! Conversions between Rust strings and paths and the C API's NUL-terminated strings.

use std::ffi::{c_char, CStr, CString};
use std::path::Path;

use crate::error::{invalid, Result};

/// `text` as a C string; an error naming `what` if it contains a NUL byte.
pub(crate) fn c_string(text: &str, what: &str) -> Result<CString> {
    CString::new(text).map_err(|_| invalid(format!("{what} contains a NUL byte")))
}

/// `path` as a C string (its bytes on Unix, UTF-8 elsewhere).
pub(crate) fn c_path(path: &Path) -> Result<CString> {
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = path
        .to_str()
        .ok_or_else(|| invalid(format!("path {} is not valid UTF-8", path.display())))?
        .as_bytes()
        .to_vec();
    CString::new(bytes).map_err(|_| invalid(format!("path {} contains a NUL byte", path.display())))
}

/// The UTF-8 text of `len` bytes at `text` (lossy: invalid bytes become U+FFFD, which the library's
/// text outputs never contain).
///
/// # Safety
/// `text` must point to `len` readable bytes (or `len` must be 0) that outlive `'a`.
pub(crate) unsafe fn text_from_raw<'a>(text: *const c_char, len: usize) -> std::borrow::Cow<'a, str> {
    if len == 0 || text.is_null() {
        return std::borrow::Cow::Borrowed("");
    }
    // SAFETY: guaranteed by the caller.
    let bytes = unsafe { std::slice::from_raw_parts(text.cast::<u8>(), len) };
    String::from_utf8_lossy(bytes)
}

/// The text of a NUL-terminated static or long-lived C string.
///
/// # Safety
/// `text` must be NULL or a valid NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn text_from_c<'a>(text: *const c_char) -> std::borrow::Cow<'a, str> {
    if text.is_null() {
        return std::borrow::Cow::Borrowed("");
    }
    // SAFETY: guaranteed by the caller.
    unsafe { CStr::from_ptr(text) }.to_string_lossy()
}
