//! `NativeSession`: one request's session. Each method converts its arguments and calls the
//! core's state machine (session_core::session) once; the JS facade (lib/session.js) gives it
//! Astro's API. Reads answer `null` when the stored values must be loaded first; the facade
//! then awaits `load()` and asks again, so a request that never reads storage never pays for an
//! async round trip.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use napi::bindgen_prelude::{Buffer, BufferSlice, Either, Either3, Null, Undefined};
use napi::Env;
use napi_derive::napi;
use session_core::id::SessionId;
use session_core::session::{commit, Lookup, Session};
use session_core::Error;

use crate::errors::IntoNapi;

#[napi]
pub struct NativeSession {
    inner: Arc<Mutex<Session>>,
}

/// A read's answer: the value, or `null` to say "load first".
type Answer<T> = Either<T, Null>;

fn answer<T, U>(lookup: Lookup<T>, convert: impl FnOnce(T) -> U) -> Answer<U> {
    match lookup {
        Lookup::Ready(value) => Either::A(convert(value)),
        Lookup::NeedsLoad => Either::B(Null),
    }
}

impl NativeSession {
    pub fn new(session: Session) -> Self {
        Self { inner: Arc::new(Mutex::new(session)) }
    }

    fn lock(&self) -> MutexGuard<'_, Session> {
        // The session's methods leave its state consistent at every step.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[napi]
impl NativeSession {
    /// The value of `key` in V8's format, `undefined` if there is none, `null`: load first.
    #[napi]
    pub fn get<'env>(&self, env: &'env Env, key: String) -> napi::Result<Either3<BufferSlice<'env>, Undefined, Null>> {
        Ok(match self.lock().get(&key).into_napi()? {
            // A copy into a plain Buffer: cheaper, for a value this size, than handing over the Vec
            // as an external buffer (a finalizer for the GC to run later).
            Lookup::Ready(Some(value)) => Either3::A(BufferSlice::copy_from(env, value)?),
            // (`None` would reach JS as null, which means "load first".)
            Lookup::Ready(None) => Either3::B(()),
            Lookup::NeedsLoad => Either3::C(Null),
        })
    }

    #[napi]
    pub fn has(&self, key: String) -> napi::Result<Answer<bool>> {
        let lookup = self.lock().get(&key).into_napi()?;
        Ok(answer(lookup, |value| value.is_some()))
    }

    #[napi]
    pub fn keys(&self) -> Answer<Vec<String>> {
        answer(self.lock().keys(), |keys| keys)
    }

    /// Keys and values interleaved: `[key, value, key, value, …]`.
    #[napi]
    pub fn entries(&self) -> napi::Result<Answer<Vec<Either<String, Buffer>>>> {
        let lookup = self.lock().entries().into_napi()?;
        Ok(answer(lookup, |entries| {
            entries.into_iter().flat_map(|(key, value)| [Either::A(key), Either::B(Buffer::from(value))]).collect()
        }))
    }

    /// Stores `value` (bytes from lib/handoff.js) under `key`, expiring after `ttl` seconds or the
    /// configured default.
    #[napi]
    pub fn set(&self, key: String, value: &[u8], ttl: Option<f64>) -> napi::Result<()> {
        let ttl = match ttl {
            Some(seconds) if seconds.is_finite() && seconds >= 0.0 => Some(Duration::from_secs_f64(seconds)),
            Some(_) => return Err(Error::config("ttl must be a number of seconds, 0 or more")).into_napi(),
            None => None,
        };
        self.lock().set(&key, value.to_vec(), ttl).into_napi()
    }

    #[napi]
    pub fn delete(&self, key: String) -> napi::Result<()> {
        self.lock().delete(&key).into_napi()
    }

    #[napi]
    pub fn destroy(&self) {
        self.lock().destroy();
    }

    #[napi]
    pub fn regenerate(&self) -> napi::Result<()> {
        self.lock().regenerate().into_napi()
    }

    /// Switches to the stored session `id`; `load()` next.
    #[napi]
    pub fn switch_to(&self, id: String) -> napi::Result<()> {
        let id = SessionId::parse(&id)
            .ok_or_else(|| Error::key(format!("{id:?} is not a session id (a lowercase version-4 UUID)")))
            .into_napi()?;
        self.lock().switch_to(id);
        Ok(())
    }

    /// Whether `commit()` has anything to do (so the facade can skip its async round trip).
    #[napi(getter)]
    pub fn dirty(&self) -> bool {
        self.lock().is_dirty()
    }

    #[napi(getter)]
    pub fn session_id(&self) -> Option<String> {
        self.lock().id().map(|id| id.as_str().to_owned())
    }

    /// Reads the stored values (off the JS thread) if they are needed and not read yet.
    #[napi]
    pub async fn load(&self) -> napi::Result<()> {
        let inner = self.inner.clone();
        commit::load(&inner).await.into_napi()
    }

    /// Persists the changes (off the JS thread); resolves to the `Set-Cookie` values to send.
    #[napi]
    pub async fn commit(&self) -> napi::Result<Vec<String>> {
        let inner = self.inner.clone();
        commit::commit(&inner).await.into_napi()
    }
}
