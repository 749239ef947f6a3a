//! The one error type of the core. Every failure a user can cause or meet carries a stable code
//! (which the binding turns into a JS `SessionError` with `code`) and a message that says what to do.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// A session key that cannot be used (empty, not a string).
    Key,
    /// A value that cannot be stored (function, symbol, class instance…).
    Serialize,
    /// Text or bytes that are not a valid encoded value (corrupt or hostile storage, bad input).
    Parse,
    /// The store failed (I/O error, connection refused, protocol error).
    Storage,
    /// The store did not answer in time.
    Timeout,
    /// An invalid option.
    Config,
    /// A bug in napi-session (a Rust panic, caught before it reached Node).
    Internal,
}

impl ErrorCode {
    /// The stable code string JS sees.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Key => "ERR_SESSION_KEY",
            ErrorCode::Serialize => "ERR_SESSION_SERIALIZE",
            ErrorCode::Parse => "ERR_SESSION_PARSE",
            ErrorCode::Storage => "ERR_SESSION_STORAGE",
            ErrorCode::Timeout => "ERR_SESSION_TIMEOUT",
            ErrorCode::Config => "ERR_SESSION_CONFIG",
            ErrorCode::Internal => "ERR_SESSION_INTERNAL",
        }
    }
}

impl AsRef<str> for ErrorCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    pub fn key(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Key, message)
    }

    pub fn serialize(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Serialize, message)
    }

    pub fn parse(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Parse, message)
    }

    pub fn storage(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Storage, message)
    }

    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Timeout, message)
    }

    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Config, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for Error {}
