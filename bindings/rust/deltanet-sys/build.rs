//! Finds libdeltanet for the linker, and its headers for the header-consistency tests.
//!
//! Library: `DELTANET_LIB_DIR` (the folder holding libdeltanet.so) if set, else the `-L` folders of
//! `pkg-config --libs deltanet`, else the linker's default paths.
//! Headers: `DELTANET_INCLUDE_DIR` (one or more folders, separated like PATH) if set, else the `-I`
//! folders of `pkg-config --cflags deltanet`. They reach the tests as the compile-time variable
//! `DELTANET_SYS_INCLUDE_DIRS` (empty when neither is known: the tests then fail and say so).

use std::env;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

/// The arguments pkg-config prints for `flags` (e.g. "--libs-only-L") that begin with `prefix`
/// (e.g. "-L"), prefix removed; none when pkg-config is missing or does not know deltanet.
fn pkg_config(flags: &str, prefix: &str) -> Vec<PathBuf> {
    let program = env::var_os("PKG_CONFIG").unwrap_or_else(|| OsString::from("pkg-config"));
    let output = match Command::new(program).args([flags, "deltanet"]).output() {
        Ok(output) if output.status.success() => output,
        _ => return Vec::new(),
    };
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .filter_map(|arg| arg.strip_prefix(prefix))
        .map(PathBuf::from)
        .collect()
}

/// The folders listed by the environment variable `name` (PATH syntax), if it is set and not empty.
fn dirs_from_env(name: &str) -> Option<Vec<PathBuf>> {
    println!("cargo:rerun-if-env-changed={name}");
    let value = env::var_os(name).filter(|v| !v.is_empty())?;
    Some(env::split_paths(&value).collect())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_LIBDIR");

    let lib_dirs = dirs_from_env("DELTANET_LIB_DIR").unwrap_or_else(|| pkg_config("--libs-only-L", "-L"));
    for dir in &lib_dirs {
        println!("cargo:rustc-link-search=native={}", dir.display());
    }
    println!("cargo:rustc-link-lib=dylib=deltanet");

    let include_dirs = dirs_from_env("DELTANET_INCLUDE_DIR").unwrap_or_else(|| pkg_config("--cflags-only-I", "-I"));
    let joined = env::join_paths(&include_dirs).unwrap_or_default();
    println!("cargo:rustc-env=DELTANET_SYS_INCLUDE_DIRS={}", joined.to_string_lossy());
    // Dependent crates' build scripts see these as DEP_DELTANET_INCLUDE / DEP_DELTANET_LIB.
    println!("cargo:include={}", joined.to_string_lossy());
    let libs = env::join_paths(&lib_dirs).unwrap_or_default();
    println!("cargo:lib={}", libs.to_string_lossy());
}
