//! [`Tokenizer`]: text to token ids and back.

use std::ffi::{c_char, c_int};
use std::path::Path;
use std::ptr::NonNull;

use deltanet_sys as sys;

use crate::cstr::{c_path, c_string, text_from_c};
use crate::error::{check, non_null, Result, Status};
use crate::flags::{DecodeFlags, EncodeFlags};

/// A Hugging Face tokenizer (tokenizer.json). Immutable: `Send` and `Sync`.
#[derive(Debug)]
pub struct Tokenizer {
    raw: NonNull<sys::dn_tokenizer>,
}

// SAFETY: a dn_tokenizer is immutable and documented as usable by any number of threads at once.
unsafe impl Send for Tokenizer {}
// SAFETY: as above.
unsafe impl Sync for Tokenizer {}

/// Calls `fill(capacity, &mut needed)` with a first guess, then once more with the size the
/// library asked for if the guess was too small.
fn grow_and_retry<T: Default + Clone>(
    guess: usize,
    mut fill: impl FnMut(&mut Vec<T>, &mut usize) -> sys::dn_status,
) -> Result<Vec<T>> {
    let mut buffer = vec![T::default(); guess];
    let mut needed = 0usize;
    let status = fill(&mut buffer, &mut needed);
    if Status::from_code(status) == Some(Status::BufferTooSmall) && needed > buffer.len() {
        buffer = vec![T::default(); needed];
        check(fill(&mut buffer, &mut needed))?;
    } else {
        check(status)?;
    }
    buffer.truncate(needed);
    Ok(buffer)
}

impl Tokenizer {
    /// Loads a tokenizer from a model directory (its tokenizer.json, and tokenizer_config.json
    /// when present) or from a tokenizer.json file.
    pub fn load(path: impl AsRef<Path>) -> Result<Tokenizer> {
        let c_path = c_path(path.as_ref())?;
        let mut raw = std::ptr::null_mut();
        // SAFETY: valid string and output pointer.
        check(unsafe { sys::dn_tokenizer_load(c_path.as_ptr(), &mut raw) })?;
        Ok(Tokenizer { raw: non_null(raw, "dn_tokenizer_load")? })
    }

    pub(crate) fn as_ptr(&self) -> *const sys::dn_tokenizer {
        self.raw.as_ptr()
    }

    /// Encodes `text` into token ids.
    pub fn encode(&self, text: &str, flags: EncodeFlags) -> Result<Vec<i32>> {
        grow_and_retry(text.len() + 8, |ids: &mut Vec<i32>, count| {
            // SAFETY: valid handle; text and ids are valid for their lengths.
            unsafe {
                sys::dn_tokenizer_encode(
                    self.as_ptr(),
                    text.as_ptr().cast(),
                    text.len(),
                    flags.bits(),
                    ids.as_mut_ptr(),
                    ids.len(),
                    count,
                )
            }
        })
    }

    /// Decodes token ids into text (bytes that are not valid UTF-8 become U+FFFD).
    pub fn decode(&self, ids: &[i32], flags: DecodeFlags) -> Result<String> {
        let bytes = grow_and_retry(ids.len() * 8 + 16, |text: &mut Vec<u8>, len| {
            // SAFETY: valid handle; ids and text are valid for their lengths.
            unsafe {
                sys::dn_tokenizer_decode(
                    self.as_ptr(),
                    ids.as_ptr(),
                    ids.len(),
                    flags.bits(),
                    text.as_mut_ptr().cast::<c_char>(),
                    text.len(),
                    len,
                )
            }
        })?;
        Ok(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    /// The number of token ids (one more than the largest id).
    pub fn vocab_size(&self) -> usize {
        let mut size = 0;
        // SAFETY: valid handle and output pointer.
        let status = unsafe { sys::dn_tokenizer_vocab_size(self.as_ptr(), &mut size) };
        debug_assert_eq!(status, sys::DN_OK);
        usize::try_from(size).unwrap_or(0)
    }

    /// The vocabulary string of token `id` as written in tokenizer.json (e.g. "Ġthe").
    pub fn token_text(&self, id: i32) -> Result<String> {
        let mut text = std::ptr::null();
        // SAFETY: valid handle and output pointer.
        check(unsafe { sys::dn_tokenizer_token_text(self.as_ptr(), id, &mut text) })?;
        // SAFETY: a NUL-terminated string that lives as long as the tokenizer; copied here.
        Ok(unsafe { text_from_c(text) }.into_owned())
    }

    /// The id of the vocabulary string `text`, if there is one.
    pub fn token_id(&self, text: &str) -> Result<Option<i32>> {
        let text = c_string(text, "token text")?;
        let mut id = -1;
        // SAFETY: valid handle, string and output pointer.
        check(unsafe { sys::dn_tokenizer_token_id(self.as_ptr(), text.as_ptr(), &mut id) })?;
        Ok((id >= 0).then_some(id))
    }

    /// Whether token `id` is special (bos, eos, ...).
    pub fn is_special(&self, id: i32) -> Result<bool> {
        let mut special: c_int = 0;
        // SAFETY: valid handle and output pointer.
        check(unsafe { sys::dn_tokenizer_is_special(self.as_ptr(), id, &mut special) })?;
        Ok(special != 0)
    }

    /// The beginning- and end-of-sequence ids, each `None` where undefined.
    pub fn bos_eos(&self) -> (Option<i32>, Option<i32>) {
        let (mut bos, mut eos) = (-1, -1);
        // SAFETY: valid handle and output pointers.
        let status = unsafe { sys::dn_tokenizer_bos_eos(self.as_ptr(), &mut bos, &mut eos) };
        debug_assert_eq!(status, sys::DN_OK);
        ((bos >= 0).then_some(bos), (eos >= 0).then_some(eos))
    }
}

impl Drop for Tokenizer {
    fn drop(&mut self) {
        // SAFETY: owned handle, freed once; detokenizers borrow it, so none is alive.
        unsafe { sys::dn_tokenizer_free(self.raw.as_ptr()) };
    }
}
