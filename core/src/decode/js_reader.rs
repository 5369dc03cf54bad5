//! The `js-json` reader: the host's `JSON.parse` reads the document, and this walks the
//! parsed value into the slots `small.rs` describes each body with.
//!
//! For the browser build's size (BENCHMARKS.md): the parser is the browser's. What differs
//! from serde_json, each named by the tests of `small.rs`: numbers are JavaScript's, so an
//! integer reads only up to 2^53 − 1 in magnitude (a larger one is refused, never rounded;
//! a count of seconds saturates), and `1.0`, `1e2` or `-0` read as integers; a lone
//! surrogate escape reads as U+FFFD (the pin code and token checks refuse it there); an
//! unknown value may nest deeper than 128; failures name the field, not a line and
//! column. Only a document's own keys are read, whatever a page added to
//! `Object.prototype`.

use std::borrow::Cow;

use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};

/// The largest integer a JavaScript number holds exactly.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// Why a document did not read.
#[derive(Debug)]
pub(crate) struct Invalid {
    /// The keys that lead to the failing value, joined by `.`; empty at the top level.
    pub(crate) path: String,
    /// What was wrong, said without quoting the body (it may hold a token).
    pub(crate) what: &'static str,
}

impl Invalid {
    /// What was wrong.
    pub(crate) fn message(&self) -> String {
        self.what.to_owned()
    }
}

pub(crate) type Result<T> = std::result::Result<T, Invalid>;

/// Where [`Reader::fields`] puts the value of a key.
pub(crate) type Slot<'s, 'a> = super::slot::Slot<'s, Reader<'a>, Invalid>;

/// One parsed value.
pub(crate) struct Reader<'a> {
    value: JsValue,
    text: std::marker::PhantomData<&'a str>,
}

impl<'a> Reader<'a> {
    /// Parses `text` as one object into `slots`.
    pub(crate) fn document(text: &'a str, slots: &mut [(&str, Slot<'_, 'a>)]) -> Result<()> {
        let value = JSON::parse(text).map_err(|_| invalid("not JSON"))?;
        Reader::of(value).fields(slots)
    }

    fn of(value: JsValue) -> Self {
        Reader {
            value,
            text: std::marker::PhantomData,
        }
    }

    /// An error here.
    pub(crate) fn invalid(&self, what: &'static str) -> Invalid {
        invalid(what)
    }

    /// Reads an object, each value into the slot named by its key; unknown keys are left.
    pub(crate) fn fields(&mut self, slots: &mut [(&str, Slot<'_, 'a>)]) -> Result<()> {
        if !self.value.is_object() || Array::is_array(&self.value) {
            return Err(invalid("expected an object"));
        }
        let object: &Object = self.value.unchecked_ref();
        for (key, slot) in slots.iter_mut() {
            let name = JsValue::from_str(key);
            // Own keys only: a page may have added to `Object.prototype`.
            if !Object::has_own(object, &name) {
                continue;
            }
            let value = Reflect::get(object, &name).unwrap_or_default();
            if value.is_null() {
                continue;
            }
            let mut r = Reader::of(value);
            let read = match slot {
                Slot::Str(out) => r.string().map(|s| **out = Some(s.into_owned())),
                Slot::Bool(out) => r.bool().map(|b| **out = Some(b)),
                Slot::U64(out) => r
                    .integer("expected an unsigned integer", 0.0, MAX_SAFE)
                    .map(|n| **out = Some(n as u64)),
                // A float cast saturates: 2^64 and beyond read as u64::MAX.
                Slot::Seconds(out) => r
                    .integer("expected an unsigned integer", 0.0, f64::MAX)
                    .map(|n| **out = Some(n as u64)),
                Slot::I64(out) => r
                    .integer("expected an integer", -MAX_SAFE, MAX_SAFE)
                    .map(|n| **out = Some(n as i64)),
                Slot::U16(out) => r
                    .integer("expected an integer from 0 to 65535", 0.0, 65535.0)
                    .map(|n| **out = Some(n as u16)),
                Slot::StrOrInt(out) => r.string_or_integer().map(|s| **out = Some(s)),
                Slot::With(read) => read(&mut r),
            };
            read.map_err(|mut e| {
                // Pushed, not `concat` (size rule S3).
                let mut path = String::from(*key);
                if !e.path.is_empty() {
                    path.push('.');
                    path.push_str(&e.path);
                }
                e.path = path;
                e
            })?;
        }
        Ok(())
    }

    /// Reads an array, calling `item` for each element.
    pub(crate) fn array(&mut self, item: &mut dyn FnMut(&mut Self) -> Result<()>) -> Result<()> {
        let array: &Array = self
            .value
            .dyn_ref()
            .ok_or_else(|| invalid("expected an array"))?;
        for value in array.iter() {
            item(&mut Reader::of(value))?;
        }
        Ok(())
    }

    /// Reads a string.
    pub(crate) fn string(&mut self) -> Result<Cow<'a, str>> {
        self.value
            .as_string()
            .map(Cow::Owned)
            .ok_or_else(|| invalid("expected a string"))
    }

    fn bool(&mut self) -> Result<bool> {
        self.value
            .as_bool()
            .ok_or_else(|| invalid("expected true or false"))
    }

    /// A whole number from `min` to `max`.
    fn integer(&mut self, what: &'static str, min: f64, max: f64) -> Result<f64> {
        match self.value.as_f64() {
            Some(n) if n.fract() == 0.0 && n >= min && n <= max => Ok(n),
            _ => Err(invalid(what)),
        }
    }

    /// Reads a string or an integer, as text.
    fn string_or_integer(&mut self) -> Result<String> {
        if let Some(text) = self.value.as_string() {
            return Ok(text);
        }
        let n = self.integer("expected a string or an integer", -MAX_SAFE, MAX_SAFE)?;
        Ok((n as i64).to_string())
    }
}

fn invalid(what: &'static str) -> Invalid {
    Invalid {
        path: String::new(),
        what,
    }
}
