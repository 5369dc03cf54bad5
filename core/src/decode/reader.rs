//! The `small-json` reader: a JSON document read front to back, each object's keys handed
//! to a callback that reads the value it wants and skips the rest.
//!
//! It exists for the browser build's size budget (BENCHMARKS.md): in a scratch module,
//! decoding a pin and an account added 23.8 KB gzipped with serde_json, 10.3 KB with
//! miniserde and 9.2 KB with picojson; in the shipped .wasm, this reader in miniserde's
//! place saved 5.4 KB gzipped.
//!
//! It reads RFC 8259 JSON and refuses anything else, nested at most 128 deep; it reads
//! integers only (fractions and exponents are skipped where nobody asked for them,
//! and refused where an integer is wanted). `small.rs` beside it builds the pin, account and error
//! body on it, and its tests hold the result to serde_json's answers.

use std::borrow::Cow;

/// Nesting limit: serde_json's for the values it reads (it skips unknown ones at any depth,
/// which this reader does by recursion). plex.tv's bodies nest two deep.
const MAX_DEPTH: u32 = 128;

/// Why a document did not read.
#[derive(Debug)]
pub(crate) struct Invalid {
    /// The keys that lead to the failing value, joined by `.`; empty at the top level.
    pub(crate) path: String,
    /// What was wrong, said without quoting the body (it may hold a token).
    pub(crate) what: &'static str,
    /// The byte offset where reading stopped.
    pub(crate) at: usize,
}

impl Invalid {
    /// What was wrong, and where.
    pub(crate) fn message(&self) -> String {
        format!("{} at byte {}", self.what, self.at)
    }
}

pub(crate) type Result<T> = std::result::Result<T, Invalid>;

/// Reads the value of one field; `object` hands it the reader and the key.
type Field<'f, 'a> = dyn FnMut(&mut Reader<'a>, &str) -> Result<()> + 'f;

/// Where [`Reader::fields`] puts the value of a key.
pub(crate) type Slot<'s, 'a> = super::slot::Slot<'s, Reader<'a>, Invalid>;

/// A position in a JSON text. Every read skips whitespace first.
pub(crate) struct Reader<'a> {
    text: &'a str,
    pos: usize,
    depth: u32,
}

impl<'a> Reader<'a> {
    /// Reads `text` as one object into `slots`, and nothing after it but whitespace.
    pub(crate) fn document(text: &'a str, slots: &mut [(&str, Slot<'_, 'a>)]) -> Result<()> {
        let mut reader = Reader::new(text);
        reader.fields(slots)?;
        reader.end()
    }

    fn new(text: &'a str) -> Self {
        Reader {
            text,
            pos: 0,
            depth: 0,
        }
    }

    /// Succeeds if only whitespace is left.
    fn end(&mut self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.invalid("trailing characters after the JSON value")),
        }
    }

    /// An error at the current position.
    pub(crate) fn invalid(&self, what: &'static str) -> Invalid {
        Invalid {
            path: String::new(),
            what,
            at: self.pos,
        }
    }

    /// The next byte after whitespace, left unread.
    fn peek(&mut self) -> Option<u8> {
        while let Some(&byte) = self.text.as_bytes().get(self.pos) {
            if !matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(byte);
            }
            self.pos += 1;
        }
        None
    }

    /// Reads `byte` if it comes next.
    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect(&mut self, byte: u8, what: &'static str) -> Result<()> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(self.invalid(what))
        }
    }

    /// Reads `word` if the text continues with it.
    fn eat_word(&mut self, word: &str) -> bool {
        let found = self
            .text
            .as_bytes()
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(word.as_bytes()));
        if found {
            self.pos += word.len();
        }
        found
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.invalid("nested too deeply"));
        }
        Ok(())
    }

    /// Reads an object, calling `field` for each key; `field` must read or skip the value.
    /// An error from `field` gets the key prepended to its path.
    fn object(&mut self, field: &mut Field<'_, 'a>) -> Result<()> {
        self.expect(b'{', "expected an object")?;
        self.enter()?;
        if !self.eat(b'}') {
            loop {
                let key = self.string()?;
                self.expect(b':', "expected `:`")?;
                field(self, &key).map_err(|mut e| {
                    e.path = if e.path.is_empty() {
                        key.into_owned()
                    } else {
                        format!("{key}.{}", e.path)
                    };
                    e
                })?;
                if !self.eat(b',') {
                    self.expect(b'}', "expected `,` or `}`")?;
                    break;
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// Reads an object, each value into the slot named by its key; unknown keys are skipped.
    pub(crate) fn fields(&mut self, slots: &mut [(&str, Slot<'_, 'a>)]) -> Result<()> {
        self.object(&mut |r, key| {
            let Some((_, slot)) = slots.iter_mut().find(|(name, _)| *name == key) else {
                return r.skip();
            };
            if r.null()? {
                return Ok(());
            }
            match slot {
                Slot::Str(out) => **out = Some(r.string()?.into_owned()),
                Slot::Bool(out) => **out = Some(r.bool()?),
                Slot::U64(out) | Slot::Seconds(out) => **out = Some(r.u64()?),
                Slot::I64(out) => **out = Some(r.i64()?),
                Slot::U16(out) => **out = Some(r.u16()?),
                Slot::StrOrInt(out) => **out = Some(r.string_or_integer()?),
                Slot::With(read) => read(r)?,
            }
            Ok(())
        })
    }

    /// Reads an array, calling `item` for each element.
    pub(crate) fn array(&mut self, item: &mut dyn FnMut(&mut Self) -> Result<()>) -> Result<()> {
        self.expect(b'[', "expected an array")?;
        self.enter()?;
        if !self.eat(b']') {
            loop {
                item(self)?;
                if !self.eat(b',') {
                    self.expect(b']', "expected `,` or `]`")?;
                    break;
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// Reads `null` if it comes next.
    fn null(&mut self) -> Result<bool> {
        Ok(self.peek() == Some(b'n') && self.word("null")?)
    }

    /// Reads `word`, or fails: the caller saw its first letter.
    fn word(&mut self, word: &str) -> Result<bool> {
        if self.eat_word(word) {
            Ok(true)
        } else {
            Err(self.invalid("invalid literal"))
        }
    }

    fn bool(&mut self) -> Result<bool> {
        match self.peek() {
            Some(b't') => self.word("true"),
            Some(b'f') => self.word("false").map(|_| false),
            _ => Err(self.invalid("expected true or false")),
        }
    }

    /// Reads a string; borrowed from the text unless it holds escapes.
    pub(crate) fn string(&mut self) -> Result<Cow<'a, str>> {
        self.expect(b'"', "expected a string")?;
        let text = self.text;
        let mut owned: Option<String> = None;
        let mut start = self.pos;
        loop {
            let Some(&byte) = text.as_bytes().get(self.pos) else {
                return Err(self.invalid("unterminated string"));
            };
            // Quote and backslash are ASCII: a slice between them is on char boundaries.
            let run = || text.get(start..self.pos).unwrap_or_default();
            match byte {
                b'"' => {
                    let run = run();
                    self.pos += 1;
                    return Ok(match owned {
                        None => Cow::Borrowed(run),
                        Some(mut s) => {
                            s.push_str(run);
                            Cow::Owned(s)
                        }
                    });
                }
                b'\\' => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(run());
                    self.pos += 1;
                    s.push(self.escape()?);
                    start = self.pos;
                }
                0..=0x1f => return Err(self.invalid("control character in a string")),
                _ => self.pos += 1,
            }
        }
    }

    /// Passes over a string, checking its syntax only. serde_json does not decode the
    /// escapes of a value it skips, so a lone surrogate there is no error either.
    fn skip_string(&mut self) -> Result<()> {
        self.expect(b'"', "expected a string")?;
        loop {
            let byte = self.text.as_bytes().get(self.pos).copied();
            self.pos += 1;
            match byte {
                None => return Err(self.invalid("unterminated string")),
                Some(b'"') => return Ok(()),
                Some(b'\\') => {
                    let escape = self.text.as_bytes().get(self.pos).copied();
                    self.pos += 1;
                    match escape {
                        Some(b'u') => drop(self.hex4()?),
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {}
                        _ => return Err(self.invalid("invalid escape")),
                    }
                }
                Some(0..=0x1f) => return Err(self.invalid("control character in a string")),
                Some(_) => {}
            }
        }
    }

    /// The character an escape stands for; the backslash is read.
    fn escape(&mut self) -> Result<char> {
        let byte = self.text.as_bytes().get(self.pos).copied();
        self.pos += 1;
        Ok(match byte {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let high = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&high) {
                    // A surrogate pair: the low half must follow at once.
                    if !self.eat_word("\\u") {
                        return Err(self.invalid("unpaired surrogate in a \\u escape"));
                    }
                    let low = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err(self.invalid("unpaired surrogate in a \\u escape"));
                    }
                    0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    high
                };
                char::from_u32(code)
                    .ok_or_else(|| self.invalid("unpaired surrogate in a \\u escape"))?
            }
            _ => return Err(self.invalid("invalid escape")),
        })
    }

    fn hex4(&mut self) -> Result<u32> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = self
                .text
                .as_bytes()
                .get(self.pos)
                .and_then(|&b| char::from(b).to_digit(16))
                .ok_or_else(|| self.invalid("invalid \\u escape"))?;
            code = code * 16 + digit;
            self.pos += 1;
        }
        Ok(code)
    }

    /// Reads a number as JSON writes it, and returns its text.
    fn number(&mut self) -> Result<&'a str> {
        self.peek();
        let start = self.pos;
        self.eat(b'-');
        let int_start = self.pos;
        if !self.digits() {
            return Err(self.invalid("expected a value"));
        }
        if self.text.as_bytes().get(int_start) == Some(&b'0') && self.pos - int_start > 1 {
            return Err(self.invalid("a number with a leading zero"));
        }
        if self.eat_word(".") && !self.digits() {
            return Err(self.invalid("expected a digit after `.`"));
        }
        if self.eat_word("e") || self.eat_word("E") {
            let _ = self.eat_word("+") || self.eat_word("-");
            if !self.digits() {
                return Err(self.invalid("expected a digit in the exponent"));
            }
        }
        Ok(self.text.get(start..self.pos).unwrap_or_default())
    }

    /// Reads decimal digits; says whether there was one.
    fn digits(&mut self) -> bool {
        let start = self.pos;
        while self
            .text
            .as_bytes()
            .get(self.pos)
            .is_some_and(u8::is_ascii_digit)
        {
            self.pos += 1;
        }
        self.pos > start
    }

    /// Reads an integer as serde_json would hand it on: its text, sign and magnitude, the
    /// magnitude at most `max` (and at most 2^63 when negative). A fraction, an exponent
    /// and `-0` (floats to serde_json) are not integers.
    fn integer(
        &mut self,
        what: &'static str,
        signed: bool,
        max: u64,
    ) -> Result<(&'a str, bool, u64)> {
        let refuse = |r: &Self, at| Invalid {
            at,
            ..r.invalid(what)
        };
        if !matches!(self.peek(), Some(b'-' | b'0'..=b'9')) {
            return Err(self.invalid(what));
        }
        let start = self.pos;
        let text = self.number()?;
        let (negative, digits) = match text.strip_prefix('-') {
            Some(digits) => (true, digits),
            None => (false, text),
        };
        let mut magnitude: u64 = 0;
        for byte in digits.bytes() {
            let digit = byte.wrapping_sub(b'0');
            magnitude = match magnitude
                .checked_mul(10)
                .and_then(|m| m.checked_add(digit.into()))
            {
                Some(m) if digit < 10 => m,
                _ => return Err(refuse(self, start)),
            };
        }
        let fits = if negative {
            signed && magnitude != 0 && magnitude <= 1 << 63
        } else {
            magnitude <= max
        };
        if !fits {
            return Err(refuse(self, start));
        }
        Ok((text, negative, magnitude))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(self
            .integer("expected an unsigned integer", false, u64::MAX)?
            .2)
    }

    fn i64(&mut self) -> Result<i64> {
        let (_, negative, magnitude) =
            self.integer("expected an integer", true, i64::MAX as u64)?;
        // 2^63 becomes i64::MIN, as it should.
        let value = magnitude as i64;
        Ok(if negative {
            value.wrapping_neg()
        } else {
            value
        })
    }

    fn u16(&mut self) -> Result<u16> {
        let what = "expected an integer from 0 to 65535";
        Ok(self.integer(what, false, u16::MAX.into())?.2 as u16)
    }

    /// Reads a string or an integer, as text.
    fn string_or_integer(&mut self) -> Result<String> {
        if self.peek() == Some(b'"') {
            return self.string().map(Cow::into_owned);
        }
        let what = "expected a string or an integer";
        Ok(self.integer(what, true, u64::MAX)?.0.to_owned())
    }

    /// Reads any value and drops it.
    fn skip(&mut self) -> Result<()> {
        match self.peek() {
            Some(b'{') => self.object(&mut |r, _| r.skip()),
            Some(b'[') => self.array(&mut Self::skip),
            Some(b'"') => self.skip_string(),
            Some(b't' | b'f') => self.bool().map(drop),
            Some(b'n') => self.word("null").map(drop),
            _ => self.number().map(drop),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Reads `text` as one object with `field`.
    fn document<'a>(text: &'a str, field: &mut Field<'_, 'a>) -> Result<()> {
        let mut reader = Reader::new(text);
        reader.object(field)?;
        reader.end()
    }

    /// The values of a flat object's string fields, or the error.
    fn strings(text: &str) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        document(text, &mut |r, key| {
            out.push((key.to_owned(), r.string()?.into_owned()));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn strings_unescape_and_borrow_when_they_can() {
        let pairs = strings(r#"{"a":"plain","b\n":"x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00y"}"#);
        assert_eq!(
            pairs.unwrap(),
            [
                ("a".to_owned(), "plain".to_owned()),
                ("b\n".to_owned(), "x\"\\/\u{8}\u{c}\n\r\té😀y".to_owned()),
            ]
        );
        let mut reader = Reader::new(r#""plain" "esc\n""#);
        assert!(matches!(reader.string().unwrap(), Cow::Borrowed("plain")));
        assert!(matches!(reader.string().unwrap(), Cow::Owned(s) if s == "esc\n"));
    }

    #[test]
    fn bad_strings_are_refused() {
        for text in [
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\ud800\u0041"}"#,
            r#"{"a":"\udc00"}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12"}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":"open}"#,
        ] {
            let error = strings(text).unwrap_err();
            assert_eq!(error.path, "a", "{text}");
        }
    }

    #[test]
    fn integers_are_read_and_other_numbers_refused_where_one_is_wanted() {
        let read = |text: &str| {
            let mut n = None;
            document(text, &mut |r, _| {
                n = Some(r.u64()?);
                Ok(())
            })
            .map(|()| n)
        };
        assert_eq!(read(r#"{"n":0}"#).unwrap(), Some(0));
        assert_eq!(
            read(r#"{"n": 18446744073709551615 }"#).unwrap(),
            Some(u64::MAX)
        );
        for bad in [
            "18446744073709551616",
            "1.0",
            "1e3",
            "-1",
            "01",
            "-",
            "1.",
            "1e",
            "+1",
        ] {
            let error = read(&format!(r#"{{"n":{bad}}}"#)).unwrap_err();
            assert_eq!(error.path, "n", "{bad}");
        }
    }

    #[test]
    fn skip_takes_any_value_and_only_json() {
        let skip_all = |text: &str| document(text, &mut |r, _| r.skip());
        skip_all(r#"{"a":[1,-2.5e+3,0.1E-2,"s",true,false,null,{"b":[]},{}],"c":{}}"#).unwrap();
        for bad in [
            r#"{"a":tru}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":{"b"}}"#,
            r#"{"a":1,}"#,
            r#"{"a":1} x"#,
            r#"{"a" 1}"#,
            r#"{"a":.5}"#,
            r#"{"a":NaN}"#,
            "",
            "[]",
        ] {
            assert!(skip_all(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn nesting_is_limited_like_serde_json() {
        let nested = |depth: usize| {
            let inner = depth - 1;
            format!(r#"{{"a":{}{}}}"#, "[".repeat(inner), "]".repeat(inner))
        };
        let skip_all = |text: &str| document(text, &mut |r, _| r.skip());
        skip_all(&nested(128)).unwrap();
        assert_eq!(
            skip_all(&nested(129)).unwrap_err().what,
            "nested too deeply"
        );
        // Far deeper than the stack could take with no limit, refused at the limit.
        assert!(skip_all(&nested(32 * 1024)).is_err());
    }

    #[test]
    fn errors_name_the_path_and_the_offset() {
        let error = document(r#"{"outer": {"inner": x}}"#, &mut |r, key| {
            if key == "outer" {
                r.object(&mut |r, _| r.bool().map(drop))
            } else {
                r.skip()
            }
        })
        .unwrap_err();
        assert_eq!(error.path, "outer.inner");
        assert_eq!(error.at, 20);
        assert_eq!(error.what, "expected true or false");
    }
}
