//! [`Detokenizer`]: token ids to text, one token at a time, for streaming.

use std::ptr::NonNull;

use deltanet_sys as sys;

use crate::cstr::text_from_raw;
use crate::error::{check, non_null, Result};
use crate::flags::DecodeFlags;
use crate::tokenizer::Tokenizer;

/// Turns token ids into text one token at a time, never splitting a UTF-8 character. Borrows its
/// tokenizer. `Send`, not `Sync`.
#[derive(Debug)]
pub struct Detokenizer<'t> {
    raw: NonNull<sys::dn_detokenizer>,
    _tokenizer: &'t Tokenizer,
}

// SAFETY: used by one thread at a time (methods take &mut self; not Sync); the tokenizer is Sync.
unsafe impl Send for Detokenizer<'_> {}

impl<'t> Detokenizer<'t> {
    /// A detokenizer for `tokenizer`.
    pub fn new(tokenizer: &'t Tokenizer, flags: DecodeFlags) -> Result<Detokenizer<'t>> {
        let mut raw = std::ptr::null_mut();
        // SAFETY: valid tokenizer and output pointer.
        check(unsafe { sys::dn_detokenizer_create(tokenizer.as_ptr(), flags.bits(), &mut raw) })?;
        Ok(Detokenizer { raw: non_null(raw, "dn_detokenizer_create")?, _tokenizer: tokenizer })
    }

    /// Adds token `id` and returns the text it completes (possibly empty while a UTF-8 character
    /// is unfinished).
    pub fn push(&mut self, id: i32) -> Result<String> {
        let (mut text, mut len) = (std::ptr::null(), 0);
        // SAFETY: valid handle and output pointers.
        check(unsafe { sys::dn_detokenizer_push(self.raw.as_ptr(), id, &mut text, &mut len) })?;
        // SAFETY: `len` bytes valid until the next call on this detokenizer; copied here.
        Ok(unsafe { text_from_raw(text, len) }.into_owned())
    }

    /// Ends the sequence: returns what was held back (an unfinished character becomes U+FFFD) and
    /// resets for a new sequence.
    pub fn flush(&mut self) -> Result<String> {
        let (mut text, mut len) = (std::ptr::null(), 0);
        // SAFETY: valid handle and output pointers.
        check(unsafe { sys::dn_detokenizer_flush(self.raw.as_ptr(), &mut text, &mut len) })?;
        // SAFETY: as in push.
        Ok(unsafe { text_from_raw(text, len) }.into_owned())
    }
}

impl Drop for Detokenizer<'_> {
    fn drop(&mut self) {
        // SAFETY: owned handle, freed once, before its tokenizer (borrowed).
        unsafe { sys::dn_detokenizer_free(self.raw.as_ptr()) };
    }
}
