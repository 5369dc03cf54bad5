//! Percent-encoding of URL components, written out: the `percent-encoding` crate carries a
//! 768-byte table of every `%XX` text, a tenth of this crate's share of the .wasm for two
//! call sites. Property-tested against that crate through `auth_url` and `link_pin`
//! (`core/tests/properties.rs`).

/// RFC 3986 unreserved characters: kept as they are in the Auth App's query.
pub(crate) fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Appends `value` to `out` with every byte that `keep` refuses written as `%XX`.
pub(crate) fn encode_into(out: &mut String, value: &str, keep: fn(u8) -> bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in value.as_bytes() {
        if keep(b) {
            out.push(char::from(b));
        } else {
            out.extend([
                '%',
                char::from(HEX[usize::from(b >> 4)]),
                char::from(HEX[usize::from(b & 15)]),
            ]);
        }
    }
}

/// `value` percent-encoded, keeping only what `keep` accepts.
pub(crate) fn encode(value: &str, keep: fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(value.len());
    encode_into(&mut out, value, keep);
    out
}
