//! Shared by the integration tests: private Redis servers, and the checks every store must pass.
#![allow(dead_code)] // each test binary uses its own part of it

pub mod redis_server;
pub mod store_checks;
