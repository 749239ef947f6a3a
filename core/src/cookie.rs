//! The session cookie: finding the id in a `Cookie` header, and building `Set-Cookie` values
//! (RFC 6265bis) with the `cookie` crate.
//!
//! Defaults follow Astro: `HttpOnly` always, `SameSite=Lax`, `Path=/`, `Secure` in production.
//! The rules browsers enforce (the `__Host-` and `__Secure-` prefixes, `SameSite=None` and
//! `Partitioned` needing `Secure`) are checked once, when the configuration is built, so a cookie
//! the browser would silently drop is a configuration error instead.

use cookie::{time::Duration, Cookie};
/// The `SameSite` attribute values.
pub use cookie::SameSite;

use crate::id::SessionId;
use crate::signing::Secrets;
use crate::{Error, Result};

/// The cookie name Astro uses by default.
pub const DEFAULT_COOKIE_NAME: &str = "astro-session";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Priority {
    Low,
    Medium,
    High,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieConfig {
    pub name: String,
    pub domain: Option<String>,
    pub path: String,
    /// Seconds; `None` makes a browser-session cookie.
    pub max_age: Option<i64>,
    /// `None` leaves the attribute out.
    pub same_site: Option<SameSite>,
    pub secure: bool,
    pub partitioned: bool,
    pub priority: Option<Priority>,
    /// Sign the id in the cookie (`s:<id>.<signature>`); then only signed cookies are read.
    pub secrets: Option<Secrets>,
}

impl CookieConfig {
    /// The defaults, with `Secure` on when `production` (Astro: `NODE_ENV=production`).
    pub fn new(name: impl Into<String>, production: bool) -> Self {
        Self {
            name: name.into(),
            domain: None,
            path: "/".into(),
            max_age: None,
            same_site: Some(SameSite::Lax),
            secure: production,
            partitioned: false,
            priority: None,
            secrets: None,
        }
    }

    /// Checks what browsers would otherwise reject without a word.
    pub fn validate(&self) -> Result<()> {
        if self.name.is_empty() || !self.name.bytes().all(is_token_byte) {
            return Err(Error::config(format!(
                "cookie name {:?} is not a valid cookie name: use letters, digits and !#$%&'*+-.^_`|~",
                self.name
            )));
        }
        if let Some(domain) = &self.domain {
            if domain.is_empty() || !domain.bytes().all(|b| b.is_ascii_graphic() && b != b';' && b != b',') {
                return Err(Error::config(format!("cookie domain {domain:?} is not a valid domain")));
            }
        }
        if !self.path.starts_with('/') || !self.path.bytes().all(|b| b.is_ascii_graphic() && b != b';') {
            return Err(Error::config(format!(
                "cookie path {:?} must start with \"/\" and hold no spaces, controls or \";\"",
                self.path
            )));
        }
        if let Some(max_age) = self.max_age {
            if max_age < 0 {
                return Err(Error::config("cookie maxAge must be a number of seconds, 0 or more"));
            }
        }
        let prefix_rule = if self.name.starts_with("__Host-") {
            if !self.secure || self.domain.is_some() || self.path != "/" {
                Some("a __Host- cookie must be secure, have no domain and have path \"/\"")
            } else {
                None
            }
        } else if self.name.starts_with("__Secure-") && !self.secure {
            Some("a __Secure- cookie must be secure")
        } else {
            None
        };
        if let Some(rule) = prefix_rule {
            return Err(Error::config(format!("cookie {:?}: {rule} (browsers ignore it otherwise)", self.name)));
        }
        if self.same_site == Some(SameSite::None) && !self.secure {
            return Err(Error::config(
                "cookie sameSite \"none\" needs secure: true (browsers reject it otherwise)",
            ));
        }
        if self.partitioned && !self.secure {
            return Err(Error::config("a partitioned cookie needs secure: true (browsers reject it otherwise)"));
        }
        Ok(())
    }

    /// The session id in a `Cookie` header: the first cookie of this name whose value is a
    /// well-formed id — signed by one of the secrets, when there are secrets. Any other value is
    /// ignored.
    pub fn session_id_in(&self, header: &str) -> Option<SessionId> {
        let mut values = cookie_values(header, &self.name);
        match &self.secrets {
            Some(secrets) => values.find_map(|value| secrets.verify(value)),
            None => values.find_map(SessionId::parse),
        }
    }

    /// What the first value of this cookie that one of the secrets signed names, whatever it is:
    /// for an application moving from express-session, the id of a session in its old store (one
    /// of express-session's own ids, or a UUID its `genid` made). Only with secrets (an unsigned
    /// value proves nothing), and at most [`MAX_SIGNED_ID_BYTES`] long.
    pub fn signed_id_in(&self, header: &str) -> Option<String> {
        let secrets = self.secrets.as_ref()?;
        cookie_values(header, &self.name)
            .filter(|value| value.len() <= MAX_SIGNED_ID_BYTES * 3 + 64) // (percent-encoded, with its signature)
            .filter_map(|value| secrets.unsign(value))
            .find(|id| id.len() <= MAX_SIGNED_ID_BYTES)
    }

    /// The `Set-Cookie` value that gives the browser session `id` (signed, when there are secrets).
    pub fn set_cookie_for(&self, id: &SessionId) -> String {
        self.set_cookie_lasting(id, self.max_age)
    }

    /// As [`CookieConfig::set_cookie_for`], with a Max-Age of `max_age` seconds in place of the
    /// configured one (`None`: a cookie that lasts as long as the browser session).
    pub fn set_cookie_lasting(&self, id: &SessionId, max_age: Option<i64>) -> String {
        match &self.secrets {
            Some(secrets) => self.set_cookie_with(&secrets.cookie_value(id), max_age),
            None => self.set_cookie_with(id.as_str(), max_age),
        }
    }

    /// The `Set-Cookie` value that gives the browser `value`.
    pub fn set_cookie(&self, value: &str) -> String {
        self.set_cookie_with(value, self.max_age)
    }

    fn set_cookie_with(&self, value: &str, max_age: Option<i64>) -> String {
        let mut cookie = self.base(value);
        if let Some(seconds) = max_age {
            cookie.set_max_age(Duration::seconds(seconds));
        }
        self.finish(cookie)
    }

    /// The `Set-Cookie` value that removes the cookie from the browser.
    pub fn expire_cookie(&self) -> String {
        let mut cookie = self.base("");
        cookie.make_removal();
        self.finish(cookie)
    }

    fn base<'a>(&'a self, value: &'a str) -> Cookie<'a> {
        let mut cookie = Cookie::new(self.name.as_str(), value);
        cookie.set_http_only(true);
        cookie.set_path(self.path.as_str());
        cookie.set_secure(self.secure);
        cookie.set_same_site(self.same_site);
        if self.partitioned {
            cookie.set_partitioned(true);
        }
        if let Some(domain) = &self.domain {
            cookie.set_domain(domain.as_str());
        }
        cookie
    }

    fn finish(&self, cookie: Cookie<'_>) -> String {
        let mut text = cookie.to_string();
        // Chrome's Priority attribute is not in RFC 6265bis, so the crate does not write it.
        if let Some(priority) = self.priority {
            text.push_str(match priority {
                Priority::Low => "; Priority=Low",
                Priority::Medium => "; Priority=Medium",
                Priority::High => "; Priority=High",
            });
        }
        text
    }
}

/// The longest id [`CookieConfig::signed_id_in`] reads (express-session's are 32 characters).
pub const MAX_SIGNED_ID_BYTES: usize = 256;

/// The values of every cookie called `name` in a `Cookie` header, in order. Malformed pieces of
/// the header are skipped, never an error: the header comes from the client.
pub fn cookie_values<'h>(header: &'h str, name: &'h str) -> impl Iterator<Item = &'h str> + 'h {
    Cookie::split_parse(header).filter_map(move |cookie| {
        let cookie = cookie.ok()?;
        if cookie.name_raw()? != name {
            return None;
        }
        let value = cookie.value_raw()?;
        // RFC 6265 allows a value in double quotes.
        Some(value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value))
    })
}

/// The session id from a `Cookie` header: the first cookie called `name` whose value is a
/// well-formed id. A value that is not an id is ignored.
pub fn find_session_id(header: &str, name: &str) -> Option<SessionId> {
    cookie_values(header, name).find_map(SessionId::parse)
}

/// RFC 9110 `token` characters, which are what a cookie name may hold.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

    #[test]
    fn finds_the_first_valid_id_and_ignores_the_rest() {
        let header = format!("a=1; astro-session=not-an-id; astro-session={ID}; other=x");
        assert_eq!(find_session_id(&header, "astro-session").unwrap().as_str(), ID);
        assert_eq!(find_session_id(&format!("astro-session=\"{ID}\""), "astro-session").unwrap().as_str(), ID);
        assert!(find_session_id("astro-session=../../etc/passwd", "astro-session").is_none());
        assert!(find_session_id("", "astro-session").is_none());
        assert!(find_session_id(";;;=;==; astro-session", "astro-session").is_none());
        assert!(find_session_id(&format!("xastro-session={ID}"), "astro-session").is_none());
    }

    #[test]
    fn with_secrets_only_signed_ids_are_read_and_written() {
        let mut config = CookieConfig::new("sid", false);
        config.secrets = Some(Secrets::new(vec!["keyboard cat keyboard cat keyboard cat".into()]).unwrap());
        let id = SessionId::parse(ID).unwrap();
        let set_cookie = config.set_cookie_for(&id);
        let pair = set_cookie.split(';').next().unwrap();
        assert!(pair.starts_with("sid=s%3A"), "{set_cookie}");
        assert_eq!(config.session_id_in(pair), Some(id.clone()));
        assert_eq!(config.session_id_in(&format!("sid={ID}")), None, "an unsigned id is not read");
        assert_eq!(config.session_id_in(&format!("sid={ID}; {pair}")), Some(id), "the signed one is");
    }

    #[test]
    fn a_signed_id_of_any_form_is_read_only_where_asked_and_only_if_signed() {
        // require('cookie-signature').sign('tz6Fh2y4r4bGz5Rm0NOTi3y0v4pzBkJf', secret), as
        // express-session sets it (encodeURIComponent of 's:' + it): computed with Node.
        let express = "sid=s%3Atz6Fh2y4r4bGz5Rm0NOTi3y0v4pzBkJf.A9UXffYeuNxkrKDB0T5N4kTZs%2BwLTPdXpvezNyBFo%2FE";
        let mut config = CookieConfig::new("sid", false);
        assert_eq!(config.signed_id_in(express), None, "without secrets nothing is verified");
        config.secrets = Some(Secrets::new(vec!["keyboard cat keyboard cat keyboard cat".into()]).unwrap());
        assert_eq!(config.signed_id_in(express).as_deref(), Some("tz6Fh2y4r4bGz5Rm0NOTi3y0v4pzBkJf"));
        assert_eq!(config.session_id_in(express), None, "it is no session id of ours");
        assert_eq!(config.signed_id_in(&express.replace("tz6F", "tz6G")), None, "tampered");
        assert_eq!(config.signed_id_in("sid=s%3Atz6Fh2y4r4bGz5Rm0NOTi3y0v4pzBkJf"), None, "unsigned");
        // A UUID (express-session with a uuid genid) is read too.
        let uuid = config.set_cookie_for(&SessionId::parse(ID).unwrap());
        assert_eq!(config.signed_id_in(uuid.split(';').next().unwrap()).as_deref(), Some(ID));
        let long = format!("sid={}", "x".repeat(10_000));
        assert_eq!(config.signed_id_in(&long), None);
    }

    #[test]
    fn tolerates_garbage_headers() {
        for header in ["\u{0}\u{1}", "=", ";", "a", "a=b=c", "  ;  ; x = y  ", "\u{FFFD}=\u{FFFD}"] {
            assert!(find_session_id(header, "s").is_none());
        }
        assert_eq!(find_session_id(&format!("garbage; ;=; s={ID}"), "s").unwrap().as_str(), ID);
    }

    #[test]
    fn default_cookie_attributes() {
        let config = CookieConfig::new("astro-session", false);
        config.validate().unwrap();
        assert_eq!(config.set_cookie(ID), format!("astro-session={ID}; HttpOnly; SameSite=Lax; Path=/"));
        let production = CookieConfig::new("astro-session", true);
        assert_eq!(production.set_cookie(ID), format!("astro-session={ID}; HttpOnly; SameSite=Lax; Secure; Path=/"));
    }

    #[test]
    fn every_option_is_written() {
        let config = CookieConfig {
            name: "sid".into(),
            domain: Some("example.com".into()),
            path: "/app".into(),
            max_age: Some(3600),
            same_site: Some(SameSite::Strict),
            secure: true,
            partitioned: true,
            priority: Some(Priority::High),
            secrets: None,
        };
        config.validate().unwrap();
        assert_eq!(
            config.set_cookie(ID),
            format!(
                "sid={ID}; HttpOnly; SameSite=Strict; Partitioned; Secure; Path=/app; Domain=example.com; Max-Age=3600; Priority=High"
            )
        );
    }

    #[test]
    fn expiring_cookie_clears_the_value() {
        let text = CookieConfig::new("s", false).expire_cookie();
        assert!(text.starts_with("s=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0; Expires="), "{text}");
    }

    #[test]
    fn browser_rules_are_config_errors() {
        let check = |f: &dyn Fn(&mut CookieConfig)| {
            let mut config = CookieConfig::new("sid", false);
            f(&mut config);
            config.validate()
        };
        assert!(check(&|c| c.name = "__Host-sid".into()).is_err());
        assert!(check(&|c| {
            c.name = "__Host-sid".into();
            c.secure = true;
        })
        .is_ok());
        assert!(check(&|c| {
            c.name = "__Host-sid".into();
            c.secure = true;
            c.path = "/app".into();
        })
        .is_err());
        assert!(check(&|c| {
            c.name = "__Host-sid".into();
            c.secure = true;
            c.domain = Some("a.com".into());
        })
        .is_err());
        assert!(check(&|c| c.name = "__Secure-sid".into()).is_err());
        assert!(check(&|c| c.same_site = Some(SameSite::None)).is_err());
        assert!(check(&|c| c.partitioned = true).is_err());
        assert!(check(&|c| c.name = "bad name".into()).is_err());
        assert!(check(&|c| c.name = "".into()).is_err());
        assert!(check(&|c| c.path = "app".into()).is_err());
        assert!(check(&|c| c.path = "/a;b".into()).is_err());
        assert!(check(&|c| c.max_age = Some(-1)).is_err());
        let err = check(&|c| c.name = "__Secure-sid".into()).unwrap_err();
        assert_eq!(err.code, crate::ErrorCode::Config);
    }
}
