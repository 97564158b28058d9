//! Compiles a C program against the public headers and runs it.

use std::path::PathBuf;
use std::process::Command;

/// The folders holding `deltanet/deltanet.h` and the generated `deltanet/version.h`, as found by
/// the build script (DELTANET_INCLUDE_DIR or pkg-config).
pub fn include_dirs() -> Vec<PathBuf> {
    let dirs: Vec<PathBuf> =
        std::env::split_paths(env!("DELTANET_SYS_INCLUDE_DIRS")).filter(|dir| !dir.as_os_str().is_empty()).collect();
    assert!(
        !dirs.is_empty(),
        "the headers were not found when this test was built: set DELTANET_INCLUDE_DIR to the \
         source's include/ and the build tree's include/ (PATH syntax), or make pkg-config find deltanet"
    );
    dirs
}

/// Compiles `source` (C11, warnings as errors) with the include folders, runs it, and returns
/// its standard output. Panics with the compiler's messages if it does not compile.
pub fn compile_and_run(name: &str, source: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let c_file = dir.join(format!("{name}.c"));
    let exe = dir.join(name);
    std::fs::write(&c_file, source).unwrap_or_else(|e| panic!("{}: {e}", c_file.display()));

    let cc = std::env::var_os("CC").unwrap_or_else(|| "cc".into());
    let mut compile = Command::new(&cc);
    compile.args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-o"]).arg(&exe).arg(&c_file);
    for include in include_dirs() {
        compile.arg("-I").arg(include);
    }
    let out = compile.output().unwrap_or_else(|e| panic!("cannot run the C compiler {cc:?}: {e}"));
    assert!(
        out.status.success(),
        "the C probe {} does not compile against the headers:\n{}",
        c_file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&exe).output().unwrap_or_else(|e| panic!("{}: {e}", exe.display()));
    assert!(run.status.success(), "{} failed: {}", exe.display(), String::from_utf8_lossy(&run.stderr));
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8(run.stdout).expect("probe output is not UTF-8")
}
