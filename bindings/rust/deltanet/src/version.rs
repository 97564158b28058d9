//! The library's run-time version.

use deltanet_sys as sys;

use crate::cstr::text_from_c;

/// A version number `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Incompatible changes.
    pub major: i32,
    /// Compatible additions.
    pub minor: i32,
    /// Fixes.
    pub patch: i32,
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The version of the libdeltanet this program runs with.
pub fn version() -> Version {
    let (mut major, mut minor, mut patch) = (0, 0, 0);
    // SAFETY: valid output pointers; always DN_OK.
    unsafe { sys::dn_version(&mut major, &mut minor, &mut patch) };
    Version { major, minor, patch }
}

/// The run-time version as "MAJOR.MINOR.PATCH", as the library spells it.
pub fn version_string() -> String {
    // SAFETY: a static NUL-terminated string.
    unsafe { text_from_c(sys::dn_version_string()) }.into_owned()
}
