//! The C options structs filled with the library's own defaults.

use deltanet_sys as sys;

/// A C options struct as `init` (a `dn_*_options_init`) fills it: the library's defaults, with
/// `struct_size` set.
///
/// # Safety
/// `T` must be a plain C struct for which all-zero bytes are a valid value (integers, floats,
/// raw pointers, optional function pointers), and `init` its matching init function.
pub(crate) unsafe fn c_defaults<T>(init: unsafe extern "C" fn(*mut T) -> sys::dn_status) -> T {
    let mut value = std::mem::MaybeUninit::<T>::zeroed();
    // SAFETY: `init` writes a `T` through a valid pointer; if it failed the zeroed value stays, which
    // the caller guarantees is valid.
    unsafe {
        init(value.as_mut_ptr());
        value.assume_init()
    }
}
