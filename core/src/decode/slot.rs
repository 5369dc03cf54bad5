//! Where the `JSON.parse` walker (`js_reader`) puts the value of a key, so that `small`
//! describes each body as data.

/// Where `fields` puts the value of a key, for a reader `R` whose failures are `E`. `null`
/// leaves the slot as it is.
///
/// A table of slots instead of a `match` on keys: each field is then data, not code,
/// which is what keeps the browser build small.
pub(crate) enum Slot<'s, R, E> {
    Str(&'s mut Option<String>),
    Bool(&'s mut Option<bool>),
    U64(&'s mut Option<u64>),
    /// A count of seconds: saturated past 2^53, where a JavaScript number is no longer
    /// exact and every caller clamps anyway (`expiresIn` to an hour).
    Seconds(&'s mut Option<u64>),
    I64(&'s mut Option<i64>),
    U16(&'s mut Option<u16>),
    /// A string or an integer, kept as text.
    StrOrInt(&'s mut Option<String>),
    /// Anything else: the closure reads the (non-null) value.
    With(&'s mut dyn FnMut(&mut R) -> Result<(), E>),
}
