//! [`EncodeFlags`] and [`DecodeFlags`]: bit sets of the tokenizer's options.

use std::ops::BitOr;

use deltanet_sys as sys;

/// Options of [`Tokenizer::encode`](crate::Tokenizer::encode), combined with `|`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct EncodeFlags(u32);

impl EncodeFlags {
    /// No flags.
    pub const NONE: EncodeFlags = EncodeFlags(0);
    /// Add what the tokenizer's template adds (e.g. a bos token).
    pub const ADD_SPECIAL: EncodeFlags = EncodeFlags(sys::DN_ENCODE_ADD_SPECIAL);
    /// Match special tokens written in the text ("<|endoftext|>").
    pub const PARSE_SPECIAL: EncodeFlags = EncodeFlags(sys::DN_ENCODE_PARSE_SPECIAL);

    /// The C flag bits.
    pub fn bits(self) -> u32 {
        self.0
    }
}

impl BitOr for EncodeFlags {
    type Output = EncodeFlags;
    fn bitor(self, other: EncodeFlags) -> EncodeFlags {
        EncodeFlags(self.0 | other.0)
    }
}

/// Options of [`Tokenizer::decode`](crate::Tokenizer::decode) and detokenizers, combined with `|`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DecodeFlags(u32);

impl DecodeFlags {
    /// No flags.
    pub const NONE: DecodeFlags = DecodeFlags(0);
    /// Leave out special tokens (bos, eos, ...).
    pub const SKIP_SPECIAL: DecodeFlags = DecodeFlags(sys::DN_DECODE_SKIP_SPECIAL);

    /// The C flag bits.
    pub fn bits(self) -> u32 {
        self.0
    }
}

impl BitOr for DecodeFlags {
    type Output = DecodeFlags;
    fn bitor(self, other: DecodeFlags) -> DecodeFlags {
        DecodeFlags(self.0 | other.0)
    }
}
