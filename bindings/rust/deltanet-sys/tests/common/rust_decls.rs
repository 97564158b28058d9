//! Reads this crate's Rust declarations (src/functions.rs, src/types.rs) as text and spells their
//! types in C, so that a C compiler can compare them with the headers' declarations.

/// A Rust function or function-pointer declaration.
#[derive(Debug, Clone)]
pub struct RustFn {
    pub name: String,
    /// Parameter types as written in Rust.
    pub params: Vec<String>,
    /// Return type as written in Rust; "()" when there is none.
    pub ret: String,
}

/// The source of the extern block.
pub const FUNCTIONS_RS: &str = include_str!("../../src/functions.rs");
/// The source of the types (callback typedefs).
pub const TYPES_RS: &str = include_str!("../../src/types.rs");

/// Source without // comments (doc comments included).
fn code_only(source: &str) -> String {
    source.lines().map(|line| line.find("//").map_or(line, |at| &line[..at])).collect::<Vec<_>>().join("\n")
}

/// Parses "(a: T, b: U) -> R" (text starting at the opening parenthesis) into types.
fn parse_signature(name: &str, text: &str) -> (RustFn, usize) {
    let close = text.find(')').unwrap_or_else(|| panic!("{name}: no ')'"));
    let params = text[1..close]
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once(':').map_or(p, |(_, ty)| ty).trim().to_string())
        .collect();
    let after = text[close + 1..].trim_start();
    let (ret, used) = match after.strip_prefix("->") {
        Some(ret) => {
            let end = ret.find([';', '>', ',']).unwrap_or(ret.len());
            (ret[..end].trim().to_string(), text.len() - ret.len() + end)
        }
        None => ("()".to_string(), close + 1),
    };
    (RustFn { name: name.to_string(), params, ret }, used)
}

/// Every `pub fn` of the extern block.
pub fn functions() -> Vec<RustFn> {
    let code = code_only(FUNCTIONS_RS);
    let mut out = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("pub fn ") {
        let decl = &rest[at + "pub fn ".len()..];
        let open = decl.find('(').expect("pub fn without '('");
        let (f, used) = parse_signature(decl[..open].trim(), &decl[open..]);
        out.push(f);
        rest = &decl[open + used..];
    }
    out
}

/// Every `pub type NAME = Option<unsafe extern "C" fn(...) -> R>;` of src/types.rs.
pub fn callback_types() -> Vec<RustFn> {
    let code = code_only(TYPES_RS);
    let mut out = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("pub type ") {
        let decl = &rest[at + "pub type ".len()..];
        let end = decl.find(';').expect("pub type without ';'");
        let (name, value) = decl[..end].split_once('=').expect("pub type without '='");
        if let Some(fn_at) = value.find("fn(") {
            let (f, _) = parse_signature(name.trim(), &value[fn_at + 2..]);
            out.push(f);
        }
        rest = &decl[end..];
    }
    out
}

/// The C spelling of a Rust FFI type: `*const *mut dn_state` becomes `dn_state * const *`.
pub fn c_type(rust: &str) -> String {
    let rust = rust.trim();
    if let Some(pointee) = rust.strip_prefix("*const ") {
        return format!("{} const *", c_type(pointee));
    }
    if let Some(pointee) = rust.strip_prefix("*mut ") {
        return format!("{} *", c_type(pointee));
    }
    let base = match rust {
        "()" => "void",
        "c_void" => "void",
        "c_char" => "char",
        "c_int" => "int",
        "c_uint" => "unsigned int",
        "i32" => "int32_t",
        "u32" => "uint32_t",
        "i64" => "int64_t",
        "u64" => "uint64_t",
        "usize" => "size_t",
        "f32" => "float",
        "f64" => "double",
        name if name.starts_with("dn_") => name,
        other => panic!("no C spelling for the Rust type `{other}`"),
    };
    base.to_string()
}

/// The C type of a pointer to a function with this signature, e.g. `int (*)(uint64_t, void *)`.
pub fn c_fn_pointer_type(f: &RustFn) -> String {
    let params: Vec<String> = f.params.iter().map(|p| c_type(p)).collect();
    let params = if params.is_empty() { "void".to_string() } else { params.join(", ") };
    format!("{} (*)({})", c_type(&f.ret), params)
}
