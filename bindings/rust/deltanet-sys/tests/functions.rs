//! Every `DN_API` function of the headers is declared in src/functions.rs and nothing else is; each
//! declaration's signature is the C one (checked by the C compiler); the callback types match.

mod common;

use std::collections::BTreeSet;

use common::{cheader, probe, rust_decls};

#[test]
fn function_list_is_complete() {
    let header = cheader::read();
    let c: BTreeSet<String> = header.functions.iter().map(|f| f.name.clone()).collect();
    let rust: BTreeSet<String> = rust_decls::functions().into_iter().map(|f| f.name).collect();
    assert!(c.len() > 50, "found only {} DN_API functions in the headers: the reader is broken", c.len());
    let missing: Vec<_> = c.difference(&rust).collect();
    let extra: Vec<_> = rust.difference(&c).collect();
    assert!(missing.is_empty(), "declared in the headers but not in deltanet-sys: {missing:?}");
    assert!(extra.is_empty(), "declared in deltanet-sys but not in the headers: {extra:?}");
}

#[test]
fn every_declaration_is_actually_linked() {
    // Referencing each function makes the linker resolve it against libdeltanet.
    use deltanet_sys::*;
    let addresses = [
        dn_status_string as *const () as usize,
        dn_last_error as *const () as usize,
        dn_version as *const () as usize,
        dn_version_string as *const () as usize,
        dn_stream_options_init as *const () as usize,
        dn_stream_create as *const () as usize,
        dn_stream_synchronize as *const () as usize,
        dn_stream_device as *const () as usize,
        dn_stream_destroy as *const () as usize,
        dn_model_options_init as *const () as usize,
        dn_model_load as *const () as usize,
        dn_model_free as *const () as usize,
        dn_model_family as *const () as usize,
        dn_model_vocab_size as *const () as usize,
        dn_model_num_layers as *const () as usize,
        dn_model_hidden_size as *const () as usize,
        dn_model_num_attention_layers as *const () as usize,
        dn_model_weight_dtype as *const () as usize,
        dn_model_weight_bytes as *const () as usize,
        dn_model_num_params as *const () as usize,
        dn_model_state_bytes as *const () as usize,
        dn_model_special_tokens as *const () as usize,
        dn_state_options_init as *const () as usize,
        dn_state_create as *const () as usize,
        dn_state_reset as *const () as usize,
        dn_state_clone as *const () as usize,
        dn_state_position as *const () as usize,
        dn_state_save_size as *const () as usize,
        dn_state_save as *const () as usize,
        dn_state_load as *const () as usize,
        dn_state_free as *const () as usize,
        dn_forward as *const () as usize,
        dn_decode_batch as *const () as usize,
        dn_tokenizer_load as *const () as usize,
        dn_tokenizer_free as *const () as usize,
        dn_tokenizer_encode as *const () as usize,
        dn_tokenizer_decode as *const () as usize,
        dn_tokenizer_vocab_size as *const () as usize,
        dn_tokenizer_token_text as *const () as usize,
        dn_tokenizer_token_id as *const () as usize,
        dn_tokenizer_is_special as *const () as usize,
        dn_tokenizer_bos_eos as *const () as usize,
        dn_detokenizer_create as *const () as usize,
        dn_detokenizer_push as *const () as usize,
        dn_detokenizer_flush as *const () as usize,
        dn_detokenizer_free as *const () as usize,
        dn_sampler_options_init as *const () as usize,
        dn_sampler_create as *const () as usize,
        dn_sampler_sample as *const () as usize,
        dn_sampler_accept as *const () as usize,
        dn_sampler_reset as *const () as usize,
        dn_sampler_free as *const () as usize,
        dn_generate_options_init as *const () as usize,
        dn_generate as *const () as usize,
        dn_generate_ids as *const () as usize,
    ];
    assert!(addresses.iter().all(|&a| a != 0));
    assert_eq!(addresses.len(), rust_decls::functions().len(), "update this list with src/functions.rs");
}

#[test]
fn signatures_match_the_headers() {
    let mut source = String::from("#include <stddef.h>\n#include <stdint.h>\n#include \"deltanet/deltanet.h\"\n\n");
    for f in rust_decls::functions() {
        let c = rust_decls::c_fn_pointer_type(&f);
        source += &format!(
            "_Static_assert(__builtin_types_compatible_p(__typeof__(&{name}), {c}),\n    \"{name}: the Rust declaration is {c}\");\n",
            name = f.name
        );
    }
    let callbacks = rust_decls::callback_types();
    assert_eq!(callbacks.len(), 2, "expected the callback types dn_progress_fn and dn_generate_callback");
    for f in callbacks {
        let c = rust_decls::c_fn_pointer_type(&f);
        source += &format!(
            "_Static_assert(__builtin_types_compatible_p({name}, {c}),\n    \"{name}: the Rust declaration is {c}\");\n",
            name = f.name
        );
    }
    source += "int main(void) { return 0; }\n";
    probe::compile_and_run("signatures", &source);
}

#[test]
fn a_wrong_signature_is_caught() {
    // The check above must be able to fail: a deliberately wrong pointer constness does not compile.
    let source = "#include \"deltanet/deltanet.h\"\n\
        _Static_assert(!__builtin_types_compatible_p(__typeof__(&dn_state_clone), \
        dn_status (*)(dn_state *, dn_state **)), \"constness is not compared\");\n\
        _Static_assert(!__builtin_types_compatible_p(__typeof__(&dn_forward), \
        dn_status (*)(dn_stream *, const dn_model *, dn_state *, const int32_t *, size_t, dn_logits_mode, float *, uint64_t *)), \
        \"pointee types are not compared\");\n\
        int main(void) { return 0; }\n";
    probe::compile_and_run("negative", source);
}
