//! Raw declarations of libdeltanet's C API, exactly as `include/deltanet/deltanet.h` and
//! `include/deltanet/text.h` declare it. Everything here is `unsafe` to use and documented in
//! those headers; the `deltanet` crate wraps it in safe types.
//!
//! C enums are declared as integer type aliases with one constant per value (a Rust `enum` could
//! not hold a value added by a later library version). The tests in `tests/` compile a C program
//! against the headers and check every struct layout, field type, enum value and function
//! signature declared here.
#![no_std]
#![allow(non_camel_case_types)]

mod functions;
mod types;

pub use functions::*;
pub use types::*;
