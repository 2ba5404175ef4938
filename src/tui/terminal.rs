//! Entering and leaving the terminal: raw mode and the alternate screen, undone on
//! quit, on error and on panic (a panic hook restores the terminal before the message
//! is printed, so it is readable).

use crossterm::cursor::{Hide, Show};
use crossterm::execute;
use crossterm::terminal::{
    EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode,
    enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Once, OnceLock};
use std::thread::ThreadId;

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// The terminal is in raw mode on the alternate screen.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// The thread that draws: a panic there ends the TUI.
static UI_THREAD: OnceLock<ThreadId> = OnceLock::new();

/// The terminal while the TUI owns it; dropping it gives the terminal back.
pub struct TerminalGuard {
    pub terminal: Term,
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

pub fn enter() -> io::Result<TerminalGuard> {
    let _ = UI_THREAD.set(std::thread::current().id());
    install_panic_hook();
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let setup = execute!(io::stdout(), EnterAlternateScreen, Hide)
        .and_then(|()| Terminal::new(CrosstermBackend::new(io::stdout())));
    match setup {
        Ok(terminal) => Ok(TerminalGuard { terminal }),
        Err(e) => {
            restore();
            Err(e)
        }
    }
}

/// Leaves raw mode and the alternate screen and shows the cursor; once, however often
/// it is called.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = execute!(
            io::stdout(),
            EndSynchronizedUpdate,
            LeaveAlternateScreen,
            Show
        );
        let _ = disable_raw_mode();
    }
}

/// A panic on the drawing thread restores the terminal, then prints as usual. One in
/// background work only goes to the log: printing would scribble over the screen,
/// and the shell reports the failed work itself.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let on_ui_thread = UI_THREAD.get() == Some(&std::thread::current().id());
            if ACTIVE.load(Ordering::SeqCst) && !on_ui_thread {
                tracing::error!("panic in background work: {info}");
                return;
            }
            restore();
            previous(info);
        }));
    });
}
