//! Helpers of the header-consistency tests: read the C headers, read this crate's Rust
//! declarations, and compile and run a C probe program against the headers.
#![allow(dead_code)]

pub mod cheader;
pub mod probe;
pub mod rust_decls;
