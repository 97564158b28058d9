//! The structs, enums and constants of deltanet-sys against the headers: a C program compiled with
//! the headers prints every struct's size, alignment and field offsets and every enum constant's
//! value, and checks every field's type; the Rust side computes the same with size_of, align_of
//! and offset_of!. The lists below are compared with the headers, so none can be left out.

mod common;

use std::any::TypeId;
use std::collections::BTreeSet;
use std::ffi::c_uint;
use std::mem::{align_of, offset_of, size_of};

use common::{cheader, probe, rust_decls};
use deltanet_sys::*;

struct StructLayout {
    name: &'static str,
    size: usize,
    align: usize,
    /// (field, Rust type as written, offset)
    fields: Vec<(&'static str, &'static str, usize)>,
}

/// Lists structs with their fields and Rust types; fails to compile if a field is missing from the
/// Rust struct or has another type than the one written here.
macro_rules! structs {
    ($($name:ident { $($field:ident: $ty:ty),* $(,)? })*) => {
        vec![$(StructLayout {
            name: stringify!($name),
            size: size_of::<$name>(),
            align: align_of::<$name>(),
            fields: vec![$({
                let _same_type: fn(&$name) -> &$ty = |s| &s.$field;
                (stringify!($field), stringify!($ty), offset_of!($name, $field))
            }),*],
        }),*]
    };
}

fn struct_layouts() -> Vec<StructLayout> {
    structs! {
        dn_stream_options { struct_size: usize, num_threads: i32 }
        dn_model_options {
            struct_size: usize, precision: dn_precision, progress: dn_progress_fn,
            progress_user_data: *mut c_void, weights: dn_weight_memory,
        }
        dn_state_options { struct_size: usize, max_context: i64 }
        dn_logit_bias { token: i32, bias: f32 }
        dn_sampler_options {
            struct_size: usize, temperature: f32, top_k: i32, top_p: f32, min_p: f32,
            repetition_penalty: f32, presence_penalty: f32, frequency_penalty: f32,
            penalty_last_n: i32, seed: u64, logit_bias: *const dn_logit_bias, n_logit_bias: usize,
        }
        dn_generate_options {
            struct_size: usize, max_tokens: i32, sampling: *const dn_sampler_options,
            sampler: *mut dn_sampler, stop_at_eos: c_int, stop_ids: *const i32, n_stop_ids: usize,
            stop_strings: *const *const c_char, n_stop_strings: usize, encode_flags: u32,
            callback: dn_generate_callback, user_data: *mut c_void,
        }
        dn_generate_result {
            struct_size: usize, prompt_tokens: i64, generated_tokens: i64,
            stop_reason: dn_stop_reason, prefill_seconds: f64, generate_seconds: f64,
        }
    }
}

use std::ffi::{c_char, c_int, c_void};

/// (name, value) of every enum constant.
macro_rules! constants {
    ($($name:ident),* $(,)?) => { vec![$((stringify!($name), u64::from($name))),*] };
}

fn enum_constants() -> Vec<(&'static str, u64)> {
    constants![
        DN_OK,
        DN_ERR_NULL_ARGUMENT,
        DN_ERR_INVALID_ARGUMENT,
        DN_ERR_IO,
        DN_ERR_MALFORMED_FILE,
        DN_ERR_MODEL_MISMATCH,
        DN_ERR_UNSUPPORTED,
        DN_ERR_TOKEN_OUT_OF_RANGE,
        DN_ERR_BUFFER_TOO_SMALL,
        DN_ERR_STATE_MISMATCH,
        DN_ERR_STATE_CORRUPT,
        DN_ERR_CONTEXT_FULL,
        DN_ERR_OUT_OF_MEMORY,
        DN_ERR_DEVICE,
        DN_ERR_INTERNAL,
        DN_FAMILY_DELTANET,
        DN_FAMILY_GATED_DELTANET,
        DN_DTYPE_F32,
        DN_DTYPE_BF16,
        DN_DTYPE_F16,
        DN_PRECISION_EXACT,
        DN_PRECISION_FAST,
        DN_WEIGHTS_COPY,
        DN_WEIGHTS_MAPPED,
        DN_LOGITS_NONE,
        DN_LOGITS_LAST,
        DN_LOGITS_ALL,
        DN_ENCODE_ADD_SPECIAL,
        DN_ENCODE_PARSE_SPECIAL,
        DN_DECODE_SKIP_SPECIAL,
        DN_STOP_EOS,
        DN_STOP_STRING,
        DN_STOP_MAX_TOKENS,
        DN_STOP_CANCELLED,
    ]
}

/// The enum typedefs, all declared as `c_uint` (what GCC and Clang use for enums without
/// negative values).
macro_rules! enum_types {
    ($($name:ident),* $(,)?) => { vec![$((stringify!($name), TypeId::of::<$name>() == TypeId::of::<c_uint>())),*] };
}

fn enum_typedefs() -> Vec<(&'static str, bool)> {
    enum_types![dn_status, dn_family, dn_dtype, dn_precision, dn_weight_memory, dn_logits_mode, dn_stop_reason]
}

#[test]
fn the_lists_cover_the_headers() {
    let header = cheader::read();

    let c_structs: Vec<(String, Vec<String>)> =
        header.structs.iter().map(|s| (s.name.clone(), s.fields.clone())).collect();
    let rust_structs: Vec<(String, Vec<String>)> = struct_layouts()
        .iter()
        .map(|s| (s.name.to_string(), s.fields.iter().map(|f| f.0.to_string()).collect()))
        .collect();
    assert_eq!(rust_structs, c_structs, "structs and their fields (in order) differ from the headers");

    let c_constants: BTreeSet<String> = header.enums.iter().flat_map(|e| e.constants.clone()).collect();
    let rust_constants: BTreeSet<String> = enum_constants().iter().map(|c| c.0.to_string()).collect();
    assert_eq!(rust_constants, c_constants, "enum constants differ from the headers");

    let c_enums: BTreeSet<String> = header.enums.iter().filter_map(|e| e.name.clone()).collect();
    let rust_enums: BTreeSet<String> = enum_typedefs().iter().map(|e| e.0.to_string()).collect();
    assert_eq!(rust_enums, c_enums, "enum typedefs differ from the headers");
    for (name, is_c_uint) in enum_typedefs() {
        assert!(is_c_uint, "{name} should be declared as c_uint");
    }
}

#[test]
fn layouts_and_values_match_the_c_compiler() {
    let mut checks = String::new();
    let mut prints = String::new();
    let mut expected = Vec::new();
    for s in struct_layouts() {
        let name = s.name;
        prints += &format!("    printf(\"size {name} %zu\\n\", sizeof({name}));\n");
        prints += &format!("    printf(\"align {name} %zu\\n\", _Alignof({name}));\n");
        expected.push(format!("size {name} {}", s.size));
        expected.push(format!("align {name} {}", s.align));
        for (field, rust_type, offset) in s.fields {
            let c = rust_decls::c_type(rust_type);
            checks += &format!(
                "_Static_assert(__builtin_types_compatible_p(__typeof__((({name} *)0)->{field}), {c}),\n    \"{name}.{field}: the Rust field is {rust_type}, i.e. {c}\");\n"
            );
            prints += &format!("    printf(\"offset {name}.{field} %zu\\n\", offsetof({name}, {field}));\n");
            expected.push(format!("offset {name}.{field} {offset}"));
        }
    }
    for (name, value) in enum_constants() {
        prints += &format!("    printf(\"value {name} %llu\\n\", (unsigned long long){name});\n");
        expected.push(format!("value {name} {value}"));
    }
    for (name, _) in enum_typedefs() {
        checks += &format!(
            "_Static_assert(__builtin_types_compatible_p({name}, unsigned int), \"{name} is not unsigned int\");\n"
        );
        prints += &format!("    printf(\"size {name} %zu\\n\", sizeof({name}));\n");
        expected.push(format!("size {name} {}", size_of::<c_uint>()));
    }
    let source = format!(
        "#include <stddef.h>\n#include <stdint.h>\n#include <stdio.h>\n#include \"deltanet/deltanet.h\"\n\n{checks}\nint main(void) {{\n{prints}    return 0;\n}}\n"
    );
    let output = probe::compile_and_run("layout", &source);
    let actual: Vec<&str> = output.lines().collect();
    let differences: Vec<String> =
        expected.iter().zip(&actual).filter(|(e, a)| e != a).map(|(e, a)| format!("Rust: {e}  C: {a}")).collect();
    assert_eq!(actual.len(), expected.len(), "probe printed {} lines, expected {}", actual.len(), expected.len());
    assert!(differences.is_empty(), "layouts differ:\n{}", differences.join("\n"));
}
