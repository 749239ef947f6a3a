//! Private `redis-server` processes for the tests: each on a free loopback port, in its own
//! temporary directory, keeping nothing on disk, killed when dropped (a failed test unwinds and
//! drops it too) or, should the test process itself be killed, by a watchdog ([`guard`]). The
//! tests never touch a server they did not start (such as a shared one on 6379).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use tempfile::TempDir;

const STARTUP: Duration = Duration::from_secs(10);

pub struct RedisServer {
    pub port: u16,
    dir: TempDir,
    extra: Vec<String>,
    /// The server and its watchdog.
    child: Option<(Child, Option<Child>)>,
}

impl RedisServer {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// A server with more `redis-server` arguments (`{dir}` in one is replaced by its directory).
    pub fn start_with(extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let extra = extra.iter().map(|arg| arg.replace("{dir}", &dir.path().display().to_string())).collect();
        let mut server = Self { port: 0, dir, extra, child: None };
        // A port found free may be taken before the server binds it: then try another.
        for _ in 0..5 {
            server.port = free_port();
            if server.spawn().is_ok() {
                return server;
            }
        }
        panic!("could not start redis-server (is it installed?)");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the server is running").0.id()
    }

    /// Kills the server at once (SIGKILL): clients see their connections reset.
    pub fn kill(&mut self) {
        if let Some((mut child, watchdog)) = self.child.take() {
            stop(&mut child);
            // The server is reaped: its pid may be reused, so its watchdog goes now.
            if let Some(mut watchdog) = watchdog {
                stop(&mut watchdog);
            }
        }
    }

    /// Starts the server again on the same port, empty.
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + STARTUP;
        // The port can stay busy for a moment after the kill.
        while let Err(error) = self.spawn() {
            assert!(Instant::now() < deadline, "redis-server did not restart on port {}: {error}", self.port);
            sleep(Duration::from_millis(100));
        }
    }

    /// Freezes the server (SIGSTOP): connections stay open but nothing is answered.
    pub fn pause(&self) {
        signal(self.pid(), "STOP");
    }

    pub fn resume(&self) {
        signal(self.pid(), "CONT");
    }

    fn spawn(&mut self) -> Result<(), String> {
        let dir = self.dir.path();
        let mut child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir)
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| format!("redis-server: {error}"))?;
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("redis-server exited: {status}"));
            }
            if ping(self.port) {
                let watchdog = guard(child.id(), self.dir.path());
                self.child = Some((child, watchdog));
                return Ok(());
            }
            if Instant::now() > deadline {
                stop(&mut child);
                return Err("redis-server did not answer PING".into());
            }
            sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Three masters with every slot assigned, ready when `CLUSTER INFO` says `cluster_state:ok` on all.
pub struct RedisCluster {
    pub nodes: Vec<RedisServer>,
}

impl RedisCluster {
    pub fn start() -> Self {
        let nodes: Vec<RedisServer> = (0..3)
            .map(|_| {
                RedisServer::start_with(&[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "{dir}/nodes.conf",
                    "--cluster-node-timeout",
                    "5000",
                ])
            })
            .collect();
        let addresses: Vec<String> = nodes.iter().map(|node| format!("127.0.0.1:{}", node.port)).collect();
        let status = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("redis-cli");
        assert!(status.success(), "redis-cli --cluster create failed");
        let deadline = Instant::now() + Duration::from_secs(20);
        for node in &nodes {
            while !command(node.port, "CLUSTER INFO").is_some_and(|info| info.contains("cluster_state:ok")) {
                assert!(Instant::now() < deadline, "the cluster did not become ready");
                sleep(Duration::from_millis(50));
            }
        }
        Self { nodes }
    }

    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }
}

/// Kills `pid` and removes `dir` if this test process dies without dropping the server (even by
/// SIGKILL): a shell that waits for its stdin, a pipe from this process, to close.
fn guard(pid: u32, dir: &std::path::Path) -> Option<Child> {
    Command::new("sh")
        .args(["-c", r#"read _; kill -KILL "$1" 2>/dev/null; rm -rf -- "$2""#, "guard", &pid.to_string()])
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("a free port").port()
}

/// Whether the server answers (PONG, or NOAUTH when it wants a password).
fn ping(port: u16) -> bool {
    command(port, "PING").is_some_and(|answer| !answer.is_empty())
}

/// One inline command over a fresh connection; the raw answer.
fn command(port: u16, command: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    stream.write_all(format!("{command}\r\n").as_bytes()).ok()?;
    let mut buffer = [0u8; 4096];
    let read = stream.read(&mut buffer).ok()?;
    Some(String::from_utf8_lossy(&buffer[..read]).into_owned())
}

fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill").arg(format!("-{signal}")).arg(pid.to_string()).status().expect("kill");
    assert!(status.success());
}
