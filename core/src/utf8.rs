//! Lossy UTF-8 decoding of what a server sent, for error texts and excerpts.
//! A leaf module: `error` and `response` use it.

use std::borrow::Cow;

/// `String::from_utf8_lossy`, to the byte: each maximal invalid sequence becomes one U+FFFD.
///
/// Written over `str::from_utf8`, which every build carries anyway, instead of std's
/// separate chunk decoder: 140 B less in the browser build (gzipped, measured).
pub(crate) fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    let first = match std::str::from_utf8(bytes) {
        Ok(text) => return Cow::Borrowed(text),
        Err(e) => e,
    };
    let mut text = String::with_capacity(bytes.len() + 2);
    let mut rest = bytes;
    let mut error = Some(first);
    while let Some(e) = error {
        let valid = rest.get(..e.valid_up_to()).unwrap_or_default();
        text.push_str(std::str::from_utf8(valid).unwrap_or_default());
        text.push(char::REPLACEMENT_CHARACTER);
        // `None`: the input ends inside a sequence, which is replaced as a whole.
        let skip = e.valid_up_to() + e.error_len().unwrap_or(rest.len());
        rest = rest.get(skip..).unwrap_or_default();
        error = std::str::from_utf8(rest).err();
    }
    text.push_str(std::str::from_utf8(rest).unwrap_or_default());
    Cow::Owned(text)
}

#[cfg(test)]
mod tests {
    use super::lossy;

    #[test]
    fn every_two_byte_input_decodes_as_std_does() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let bytes = [a, b, 0xE2, 0x82];
                for end in [1, 2, 4] {
                    let input = &bytes[..end];
                    assert_eq!(lossy(input), String::from_utf8_lossy(input), "{input:?}");
                }
            }
        }
        assert!(matches!(
            lossy(b"plain"),
            std::borrow::Cow::Borrowed("plain")
        ));
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn any_input_decodes_as_std_does(bytes: Vec<u8>, text: String, cut in 0usize..64) {
            assert_eq!(lossy(&bytes), String::from_utf8_lossy(&bytes));
            // Mostly valid text, cut anywhere and with stray bytes: the usual excerpt.
            let mut mixed = text.into_bytes();
            mixed.truncate(cut);
            mixed.extend_from_slice(&bytes);
            assert_eq!(lossy(&mixed), String::from_utf8_lossy(&mixed));
        }
    }
}
