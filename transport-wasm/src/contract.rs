//! The module's side of js/contract.js, the one declaration of what crosses between this
//! module and its JavaScript (js/api.js, js/fetch.js): the shapes are described there, the
//! numbers are mirrored here, and the tests below import contract.js and hold each number
//! here to it.

use js_sys::Array;
use plex_pin::TransportErrorKind;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/contract.js")]
extern "C" {
    /// The `FAILURE` number of what js/fetch.js's `send` rejected with (`OTHER` for an
    /// error that is no `TransportFailure`), read as js/api.js reads it. (Imported by the
    /// Rust API, it also makes wasm-bindgen ship contract.js beside fetch.js, which imports
    /// it.)
    #[wasm_bindgen(js_name = failureOf)]
    pub(crate) fn failure_of(error: &JsValue) -> u8;
}

/// What `Task.step()` answers: the first item of its `[tag, value]` (contract.js's `DONE`,
/// `WAIT` and `SEND`).
#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug))]
pub(crate) enum Step {
    /// The task ended with the value.
    Done = 0,
    /// Step again after the value, in milliseconds.
    Wait = 1,
    /// Send the value, a request (`wire::request`).
    Send = 2,
}

impl Step {
    /// `[tag, value]`, as `Task.step()` answers.
    pub(crate) fn with(self, value: &JsValue) -> JsValue {
        Array::of2(&(self as u8).into(), value).into()
    }
}

/// contract.js's `FAILURE`, by number: the core's kind of each failure js/fetch.js reports.
const FAILURES: [TransportErrorKind; 5] = [
    TransportErrorKind::Connect,
    TransportErrorKind::Timeout,
    TransportErrorKind::BodyTooLarge,
    TransportErrorKind::Redirect,
    TransportErrorKind::Other,
];

/// The core's kind for contract.js's `FAILURE` number (an unknown number is `Other`).
pub(crate) fn failure_kind(number: u8) -> TransportErrorKind {
    let kind = FAILURES.get(usize::from(number)).copied();
    kind.unwrap_or(TransportErrorKind::Other)
}

/// contract.js's `OPTIONS`: where each option's value is in the array the constructor takes.
/// Each variant is the option's name, capitalised. (By position, not by name: reading them by
/// name would cost the module their texts and a property lookup each, 220 B gzipped.)
#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug))]
pub(crate) enum Opt {
    Product,
    ClientId,
    Version,
    Platform,
    PlatformVersion,
    Device,
    DeviceName,
    Model,
    BaseUrl,
    AuthAppUrl,
    LinkPageUrl,
    ForwardUrl,
    RequestTimeoutMs,
    PollIntervalMs,
    LoginTimeoutMs,
    Link,
}

impl Opt {
    /// Every option, in contract.js's order.
    #[cfg(test)]
    const ALL: [Opt; 16] = [
        Opt::Product,
        Opt::ClientId,
        Opt::Version,
        Opt::Platform,
        Opt::PlatformVersion,
        Opt::Device,
        Opt::DeviceName,
        Opt::Model,
        Opt::BaseUrl,
        Opt::AuthAppUrl,
        Opt::LinkPageUrl,
        Opt::ForwardUrl,
        Opt::RequestTimeoutMs,
        Opt::PollIntervalMs,
        Opt::LoginTimeoutMs,
        Opt::Link,
    ];

    /// The JavaScript type the constructor reads the option's value as.
    #[cfg(test)]
    fn js_type(self) -> &'static str {
        match self {
            Opt::RequestTimeoutMs | Opt::PollIntervalMs | Opt::LoginTimeoutMs => "number",
            Opt::Link => "boolean",
            _ => "string",
        }
    }
}

#[cfg(test)]
mod tests {
    use js_sys::{Array, Object, Reflect};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::{failure_kind, Opt, Step};

    #[wasm_bindgen(module = "/js/contract.js")]
    extern "C" {
        #[wasm_bindgen(thread_local_v2)]
        static OPTIONS: Array;
        #[wasm_bindgen(thread_local_v2)]
        static FAILURE: Object;
        #[wasm_bindgen(thread_local_v2)]
        static DONE: JsValue;
        #[wasm_bindgen(thread_local_v2)]
        static WAIT: JsValue;
        #[wasm_bindgen(thread_local_v2)]
        static SEND: JsValue;
    }

    /// `Task.step()`'s tags are the ones js/api.js tells apart.
    #[wasm_bindgen_test]
    fn step_tags_are_contract_js_numbers() {
        for (step, theirs) in [
            (Step::Done, &DONE),
            (Step::Wait, &WAIT),
            (Step::Send, &SEND),
        ] {
            let theirs = theirs.with(JsValue::as_f64);
            assert_eq!(theirs, Some(step as u8 as f64), "{step:?}");
            let answer: Array = step.with(&"value".into()).unchecked_into();
            assert_eq!(answer.get(0).as_f64(), theirs);
            assert_eq!(answer.get(1), "value");
        }
    }

    /// The constructor reads each option where js/api.js puts it, as the type api.js checked:
    /// a list reordered on either side would set one option from another's value.
    #[wasm_bindgen_test]
    fn options_are_read_in_contract_js_order() {
        let theirs: Vec<(String, String)> = OPTIONS.with(|options| {
            options
                .iter()
                .map(|entry| {
                    let entry: Array = entry.unchecked_into();
                    (
                        entry.get(0).as_string().unwrap(),
                        entry.get(1).as_string().unwrap(),
                    )
                })
                .collect()
        });
        assert_eq!(theirs.len(), Opt::ALL.len(), "{theirs:?}");
        for (at, opt) in Opt::ALL.into_iter().enumerate() {
            assert_eq!(opt as usize, at, "{opt:?} is listed in its place");
            let variant = format!("{opt:?}");
            let (name, js_type) = &theirs[at];
            let capitalised = name[..1].to_uppercase() + &name[1..];
            assert_eq!(capitalised, variant, "option {at}");
            assert_eq!(js_type, opt.js_type(), "{name}'s type");
        }
    }

    /// Each failure kind js/fetch.js reports is the core's kind of the same name.
    #[wasm_bindgen_test]
    fn failure_kinds_are_contract_js_numbers() {
        use plex_pin::TransportErrorKind as Kind;
        let ours = [
            ("CONNECT", Kind::Connect),
            ("TIMEOUT", Kind::Timeout),
            ("BODY_TOO_LARGE", Kind::BodyTooLarge),
            ("REDIRECT", Kind::Redirect),
            ("OTHER", Kind::Other),
        ];
        assert_eq!(
            FAILURE.with(|f| Object::keys(f).length()),
            ours.len() as u32
        );
        for (name, kind) in ours {
            let number = FAILURE.with(|f| Reflect::get(f, &name.into()).unwrap());
            let number = number
                .as_f64()
                .unwrap_or_else(|| panic!("{name} is a number"));
            assert_eq!(failure_kind(number as u8), kind, "{name}");
        }
        assert_eq!(failure_kind(200), Kind::Other, "an unknown number");
    }
}
