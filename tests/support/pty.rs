//! A program in a pseudo-terminal, its output parsed as a terminal would (vt100), for
//! the TUI's end-to-end test and its benchmarks.
#![allow(dead_code)]

use portable_pty::{Child, CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Session {
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    spawned_at: Instant,
    poll: Duration,
}

impl Session {
    /// Spawns `cmd` in a `rows` x `cols` pseudo-terminal with TERM=xterm-256color.
    pub fn spawn(mut cmd: CommandBuilder, rows: u16, cols: u16) -> Session {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        cmd.env("TERM", "xterm-256color");
        let spawned_at = Instant::now();
        let child = pty.slave.spawn_command(cmd).expect("spawn in the pty");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let writer = pty.master.take_writer().expect("pty writer");
        let size = |n: u16| std::num::NonZeroU16::new(n).expect("a terminal size above zero");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(size(rows), size(cols), 0)));
        let sink = parser.clone();
        std::thread::spawn(move || {
            // Keeps the master open for as long as output comes.
            let _master = pty.master;
            let mut buf = [0u8; 65536];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("parser lock").process(&buf[..n]);
            }
        });
        Session {
            parser,
            writer,
            child,
            spawned_at,
            poll: Duration::from_millis(1),
        }
    }

    /// How often `wait_for` looks at the screen (1 ms unless set): finer for timing
    /// benchmarks, coarser to leave a busy machine's CPU to the program under test.
    pub fn polling_every(mut self, poll: Duration) -> Session {
        self.poll = poll;
        self
    }

    /// When the program was started, to time its first frame from.
    pub fn spawned_at(&self) -> Instant {
        self.spawned_at
    }

    pub fn screen(&self) -> String {
        self.parser.lock().expect("parser lock").screen().contents()
    }

    /// Runs `f` over the parsed screen (modes, cursor, cells).
    pub fn with_screen<T>(&self, f: impl FnOnce(&vt100::Screen) -> T) -> T {
        f(self.parser.lock().expect("parser lock").screen())
    }

    pub fn send(&mut self, bytes: &str) {
        self.writer
            .write_all(bytes.as_bytes())
            .expect("write to the pty");
        self.writer.flush().expect("flush the pty");
    }

    /// Polls the screen until `ready` holds or `patience` runs out (then panics showing
    /// the last screen). Returns the screen and how long it took.
    pub fn wait_for(
        &self,
        what: &str,
        patience: Duration,
        ready: impl Fn(&str) -> bool,
    ) -> (String, Duration) {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return (screen, started.elapsed());
            }
            if started.elapsed() > patience {
                panic!("timed out waiting for {what}; the screen:\n{screen}");
            }
            std::thread::sleep(self.poll);
        }
    }

    /// The process id, to read its memory from /proc.
    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }

    /// Waits for the program to exit on its own.
    pub fn wait_exit(&mut self, patience: Duration) -> Option<portable_pty::ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < patience {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}
