//! `NativeSession`: one request's session. Each method converts its arguments and calls the
//! core's state machine (session_core::session) once; the JS facade (lib/session.js) gives it
//! Astro's API. Reads answer `null` when the stored values must be loaded first; the facade
//! then awaits `load()` and asks again, so a request that never reads storage never pays for an
//! async round trip.

use std::sync::{Arc, Mutex, MutexGuard};

use napi::bindgen_prelude::{Buffer, BufferSlice, Either, Either3, Either4, Null, ObjectFinalize, PromiseRaw, Undefined};
use napi::Env;
use napi_derive::napi;
use session_core::id::SessionId;
use session_core::session::update::{self, Updated};
use session_core::session::{self, commit, load, Lookup, Session};
use session_core::Error;

use crate::completions;
use crate::errors::{guard, IntoJs, Result};
use crate::external_memory::{Accounted, Reported};

#[napi(custom_finalize)]
pub struct NativeSession {
    inner: Arc<Mutex<Session>>,
    /// The memory the session holds, as V8 was last told (after each load, update or commit).
    reported: Reported,
}

impl ObjectFinalize for NativeSession {
    fn finalize(self, env: Env) -> napi::Result<()> {
        self.reported.release(&env)
    }
}

/// "Take these flash values first" (`consume()`), then ask again.
#[napi(object)]
pub struct ConsumeFirst {
    pub consume: Vec<String>,
}

/// A read's answer: the value, `null` to say "load first", or [`ConsumeFirst`].
type Answer<T> = Either3<T, Null, ConsumeFirst>;

fn answer<T, U>(lookup: Lookup<T>, convert: impl FnOnce(T) -> U) -> Answer<U> {
    match lookup {
        Lookup::Ready(value) => Either3::A(convert(value)),
        Lookup::NeedsLoad => Either3::B(Null),
        Lookup::NeedsConsume(keys) => Either3::C(ConsumeFirst { consume: keys }),
    }
}

/// What `update()` did: `done`, or the value the key holds now (`current`) to compute from again.
#[napi(object)]
pub struct UpdateOutcome {
    pub done: bool,
    pub current: Option<Buffer>,
}

impl NativeSession {
    pub fn new(session: Session) -> Self {
        Self { inner: Arc::new(Mutex::new(session)), reported: Reported::default() }
    }

    fn lock(&self) -> MutexGuard<'_, Session> {
        session::lock(&self.inner)
    }
}

/// `value`, with what the session holds now, for V8 to be told on the JS thread.
fn accounted<T>(inner: &Mutex<Session>, reported: &Reported, value: T) -> Accounted<T> {
    reported.with(value, session::lock(inner).heap_bytes())
}

#[napi]
impl NativeSession {
    /// The value of `key` in V8's format, `undefined` if there is none, `null`: load first,
    /// `{ consume }`: take flash values first.
    #[napi]
    pub fn get<'env>(
        &self,
        env: &'env Env,
        key: String,
    ) -> Result<Either4<BufferSlice<'env>, Undefined, Null, ConsumeFirst>> {
        guard(|| {
            Ok(match self.lock().get(&key).into_js()? {
                // A copy into a plain Buffer: cheaper, for a value this size, than handing over the
                // Vec as an external buffer (a finalizer for the GC to run later).
                Lookup::Ready(Some(value)) => {
                    Either4::A(BufferSlice::copy_from(env, value).map_err(|e| crate::errors::to_js(Error::internal(e.reason)))?)
                }
                // (`None` would reach JS as null, which means "load first".)
                Lookup::Ready(None) => Either4::B(()),
                Lookup::NeedsLoad => Either4::C(Null),
                Lookup::NeedsConsume(keys) => Either4::D(ConsumeFirst { consume: keys }),
            })
        })
    }

    /// Whether `key` has a value; nothing is converted.
    #[napi]
    pub fn has(&self, key: String) -> Result<Answer<bool>> {
        guard(|| Ok(answer(self.lock().has(&key).into_js()?, |found| found)))
    }

    #[napi]
    pub fn keys(&self) -> Result<Answer<Vec<String>>> {
        guard(|| Ok(answer(self.lock().keys(), |keys| keys)))
    }

    /// Keys and values interleaved: `[key, value, key, value, …]`.
    #[napi]
    pub fn entries(&self) -> Result<Answer<Vec<Either<String, Buffer>>>> {
        guard(|| {
            let lookup = self.lock().entries().into_js()?;
            Ok(answer(lookup, |entries| {
                entries.into_iter().flat_map(|(key, value)| [Either::A(key), Either::B(Buffer::from(value))]).collect()
            }))
        })
    }

    /// Stores `value` (bytes from lib/handoff.js) under `key`, expiring after `ttl` seconds or the
    /// configured default.
    #[napi]
    pub fn set(&self, key: String, value: &[u8], ttl: Option<f64>) -> Result<()> {
        guard(|| {
            let ttl = ttl.map(session::ttl_from_seconds).transpose().into_js()?;
            self.lock().set(&key, value.to_vec(), ttl).into_js()
        })
    }

    /// As `set`, for a value the next request to read it takes (and no other).
    #[napi]
    pub fn flash(&self, key: String, value: &[u8], ttl: Option<f64>) -> Result<()> {
        guard(|| {
            let ttl = ttl.map(session::ttl_from_seconds).transpose().into_js()?;
            self.lock().flash(&key, value.to_vec(), ttl).into_js()
        })
    }

    #[napi]
    pub fn delete(&self, key: String) -> Result<()> {
        guard(|| self.lock().delete(&key).into_js())
    }

    #[napi]
    pub fn destroy(&self) -> Result<()> {
        guard(|| {
            self.lock().destroy();
            Ok(())
        })
    }

    /// A new id for the same values: `id` (the application's choice, a v4 UUID) or a random one.
    #[napi]
    pub fn regenerate(&self, id: Option<String>) -> Result<()> {
        guard(|| {
            let id = id
                .map(|id| {
                    SessionId::parse(&id)
                        .ok_or_else(|| Error::key("regenerate() takes a session id (a version-4 UUID, lower case); this is not one"))
                })
                .transpose()
                .into_js()?;
            self.lock().regenerate(id).into_js()
        })
    }

    /// Switches to the stored session `id`; `load()` next.
    #[napi]
    pub fn switch_to(&self, id: String) -> Result<()> {
        guard(|| {
            let id = SessionId::parse(&id)
                .ok_or_else(|| Error::key("load() takes a session id (a version-4 UUID); this is not one"))
                .into_js()?;
            self.lock().switch_to(id);
            Ok(())
        })
    }

    /// This request's cookie Max-Age in seconds (null: a browser-session cookie), in place of the
    /// configured one; with `changed`, sent at the next write.
    #[napi]
    pub fn set_cookie_max_age(&self, seconds: Option<f64>, changed: bool) -> Result<()> {
        guard(|| {
            let seconds = seconds
                .map(|seconds| {
                    if seconds.is_finite() && seconds >= 0.0 && seconds <= i64::MAX as f64 {
                        Ok(seconds.floor() as i64)
                    } else {
                        Err(Error::config("a cookie's max age must be a number of seconds, 0 or more"))
                    }
                })
                .transpose()
                .into_js()?;
            self.lock().set_cookie_max_age(seconds, changed).into_js()
        })
    }

    /// Whether `commit()` has anything to do (so the facade can skip its async round trip).
    #[napi(getter)]
    pub fn dirty(&self) -> bool {
        self.lock().is_dirty()
    }

    /// The id, once it is known to be a stored session's (or a new one's).
    #[napi(getter)]
    pub fn session_id(&self) -> Option<String> {
        self.lock().id().map(|id| id.as_str().to_owned())
    }

    /// Reads the stored values (off the JS thread) if they are needed and not read yet.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn load<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Accounted<()>>> {
        let (inner, reported) = (self.inner.clone(), self.reported.clone());
        completions::spawn(env, async move {
            load::load(&inner).await?;
            Ok(accounted(&inner, &reported, ()))
        })
    }

    /// Takes the flash values of `keys` for this request (off the JS thread).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn consume<'env>(&self, env: &'env Env, keys: Vec<String>) -> napi::Result<PromiseRaw<'env, Accounted<()>>> {
        let (inner, reported) = (self.inner.clone(), self.reported.clone());
        completions::spawn(env, async move {
            update::consume(&inner, keys).await?;
            Ok(accounted(&inner, &reported, ()))
        })
    }

    /// Writes `value` under `key` now if the key still holds `base` (V8 bytes as `get` gave them;
    /// null: no value), else answers the value it holds.
    #[napi(ts_return_type = "Promise<UpdateOutcome>")]
    pub fn update<'env>(
        &self,
        env: &'env Env,
        key: String,
        base: Option<&[u8]>,
        value: &[u8],
        ttl: Option<f64>,
    ) -> napi::Result<PromiseRaw<'env, Accounted<UpdateOutcome>>> {
        let (inner, reported) = (self.inner.clone(), self.reported.clone());
        let (base, value) = (base.map(<[u8]>::to_vec), value.to_vec());
        completions::spawn(env, async move {
            let ttl = ttl.map(session::ttl_from_seconds).transpose()?;
            let outcome = match update::update(&inner, &key, base, value, ttl).await? {
                Updated::Done => UpdateOutcome { done: true, current: None },
                Updated::Changed(current) => UpdateOutcome { done: false, current: current.map(Buffer::from) },
            };
            Ok(accounted(&inner, &reported, outcome))
        })
    }

    /// Gives back the turn an `update()` kept while its function ran again.
    #[napi]
    pub fn release_turn(&self) {
        self.lock().release_turn();
    }

    /// Persists the changes (off the JS thread); resolves to the `Set-Cookie` values to send.
    #[napi(ts_return_type = "Promise<string[]>")]
    pub fn commit<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Accounted<Vec<String>>>> {
        let (inner, reported) = (self.inner.clone(), self.reported.clone());
        completions::spawn(env, async move {
            let cookies = commit::commit(&inner).await?;
            Ok(accounted(&inner, &reported, cookies))
        })
    }
}
