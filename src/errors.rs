//! Core errors → JS errors. The message carries the stable code as a prefix
//! ("ERR_SESSION_PARSE: …"), which `lib/errors.js` turns into a `SessionError` with `code`.

use session_core::Error;

pub fn to_napi(error: Error) -> napi::Error {
    napi::Error::from_reason(error.to_string())
}

pub trait IntoNapi<T> {
    fn into_napi(self) -> napi::Result<T>;
}

impl<T> IntoNapi<T> for session_core::Result<T> {
    fn into_napi(self) -> napi::Result<T> {
        self.map_err(to_napi)
    }
}
