//! Decimal digits read by hand, for every number the core reads from text (a port, an IPv4
//! octet, `Retry-After`): one small loop instead of std's generic integer parsing, which a
//! browser build would carry once per integer type (size rule "no std parsing", BENCHMARKS.md).

/// The value of one or more ASCII digits, saturating at `u32::MAX`; `None` for anything else
/// (an empty text, a sign, a space). Leading zeros are allowed.
pub(crate) fn decimal(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0u32, |n, b| {
        n.saturating_mul(10).saturating_add(u32::from(b - b'0'))
    }))
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn digits_only_saturating() {
        assert_eq!(decimal(b"0"), Some(0));
        assert_eq!(decimal(b"00080"), Some(80));
        assert_eq!(decimal(b"4294967295"), Some(u32::MAX));
        assert_eq!(decimal(b"18446744073709551616"), Some(u32::MAX));
        for bad in [&b""[..], b"-1", b"+1", b" 1", b"1 ", b"1.5", b"x"] {
            assert_eq!(decimal(bad), None, "{bad:?}");
        }
    }
}
