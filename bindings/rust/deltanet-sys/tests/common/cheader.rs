//! A small reader of the public C headers: enough of C to list the `DN_API` functions, the fields
//! of every `typedef struct`, and every enum constant. It relies on the headers' regular style.

use std::path::PathBuf;

use super::probe::include_dirs;

/// A function prototype marked `DN_API`.
#[derive(Debug, Clone)]
pub struct Function {
    /// Its name.
    pub name: String,
    /// The declaration text, comments removed and whitespace collapsed (for messages).
    pub text: String,
}

/// A `typedef struct NAME { ... } NAME;` and its field names in order.
#[derive(Debug, Clone)]
pub struct Struct {
    pub name: String,
    pub fields: Vec<String>,
}

/// One enum: its typedef name (None for an anonymous `enum { ... };`) and constant names.
#[derive(Debug, Clone)]
pub struct Enum {
    pub name: Option<String>,
    pub constants: Vec<String>,
}

/// Everything read from the headers.
#[derive(Debug, Default)]
pub struct Header {
    pub functions: Vec<Function>,
    pub structs: Vec<Struct>,
    pub enums: Vec<Enum>,
}

/// The public headers the Rust declarations mirror.
pub const HEADERS: [&str; 2] = ["deltanet/deltanet.h", "deltanet/text.h"];

/// Finds `relative` (e.g. "deltanet/text.h") in the include folders.
pub fn find_header(relative: &str) -> PathBuf {
    include_dirs()
        .iter()
        .map(|dir| dir.join(relative))
        .find(|path| path.is_file())
        .unwrap_or_else(|| panic!("{relative} is in none of the include folders {:?}", include_dirs()))
}

/// Reads and parses every header of [`HEADERS`].
pub fn read() -> Header {
    let mut header = Header::default();
    for relative in HEADERS {
        let path = find_header(relative);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        parse(&strip_comments(&text), &mut header);
    }
    header
}

/// Removes /* */ and // comments and preprocessor lines.
pub fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |end| &after[end + 2..]);
            out.push(' ');
        } else if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |end| &after[end..]);
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out.lines().filter(|line| !line.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n")
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The identifier that ends `text` (a declarator's name).
fn last_identifier(text: &str) -> String {
    let text = text.trim_end();
    let start = text.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
    text[start..].to_string()
}

fn parse(text: &str, header: &mut Header) {
    // Functions: every "DN_API ... name(...);".
    for (at, _) in text.match_indices("DN_API") {
        let decl = &text[at + "DN_API".len()..];
        let decl = &decl[..decl.find(';').expect("DN_API declaration without ';'")];
        let open = decl.find('(').expect("DN_API declaration without '('");
        header.functions.push(Function { name: last_identifier(&decl[..open]), text: collapse(decl) });
    }
    // Structs with a body.
    let mut rest = text;
    while let Some(at) = rest.find("typedef struct") {
        let decl = &rest[at..];
        let end = decl.find(';').expect("typedef struct without ';'");
        match (decl.find('{'), decl.find('}')) {
            (Some(open), Some(close)) if open < end => {
                let name = last_identifier(&decl[..open]);
                let fields = decl[open + 1..close]
                    .split(';')
                    .filter(|field| !field.trim().is_empty())
                    .map(last_identifier)
                    .collect();
                header.structs.push(Struct { name, fields });
                rest = &decl[close..];
            }
            _ => rest = &decl[end..],
        }
    }
    // Enums, named by their typedef when they have one.
    let mut rest = text;
    while let Some(at) = rest.find("enum") {
        let decl = &rest[at..];
        let word_start = rest[..at].chars().next_back().map_or(true, |c| !(c.is_ascii_alphanumeric() || c == '_'));
        let word_end = decl[4..].starts_with(|c: char| c.is_whitespace() || c == '{');
        let (Some(open), Some(close)) = (decl.find('{'), decl.find('}')) else { break };
        if !word_start || !word_end || decl[4..open].contains(';') || decl[4..open].contains('(') {
            rest = &decl[4..]; // "enum" used as a type name, not a definition
            continue;
        }
        let is_typedef = rest[..at].trim_end().ends_with("typedef");
        let tail = &decl[close + 1..];
        let name = if is_typedef { Some(last_identifier(&tail[..tail.find(';').unwrap_or(0)])) } else { None };
        let constants = decl[open + 1..close]
            .split(',')
            .map(|item| item.split('=').next().unwrap_or("").trim().to_string())
            .filter(|name| !name.is_empty())
            .collect();
        header.enums.push(Enum { name, constants });
        rest = &decl[close..];
    }
}
