//! The keymap is data: each action's keys, the defaults overridden by the config's
//! `[keys]` table. Footer hints and `?` help are generated from it.

use super::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// One key with its modifiers, as written in the config (`"ctrl-d"`, `"G"`, `"enter"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = text;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "backspace" => KeyCode::Backspace,
            "delete" => KeyCode::Delete,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                let n: u8 = f[1..]
                    .parse()
                    .map_err(|_| format!("unknown key '{text}'"))?;
                if !(1..=12).contains(&n) {
                    return Err(format!("unknown key '{text}': function keys are f1 to f12"));
                }
                KeyCode::F(n)
            }
            s => {
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyCode::Char(c),
                    _ => return Err(format!("unknown key '{text}'")),
                }
            }
        };
        Ok(Key { code, ctrl, alt })
    }

    /// The key a terminal event means. Shift is folded into the character (`G`).
    pub fn from_event(event: &KeyEvent) -> Key {
        Key {
            code: event.code,
            ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
            alt: event.modifiers.contains(KeyModifiers::ALT),
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::F(n) => write!(f, "f{n}"),
            KeyCode::Char(c) => write!(f, "{c}"),
            _ => f.write_str("?"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Keymap {
    keys: HashMap<Action, Vec<Key>>,
}

impl Default for Keymap {
    fn default() -> Self {
        let keys = Action::ALL
            .iter()
            .map(|&a| {
                let keys = a
                    .default_keys()
                    .iter()
                    .map(|k| Key::parse(k).expect("default keys parse"))
                    .collect();
                (a, keys)
            })
            .collect();
        Keymap { keys }
    }
}

impl Keymap {
    /// The defaults with the config's overrides; errors name the action or key at fault.
    pub fn with_overrides(overrides: &BTreeMap<String, Vec<String>>) -> Result<Keymap, String> {
        let mut map = Keymap::default();
        for (name, keys) in overrides {
            let action = Action::from_name(name).ok_or_else(|| {
                format!("[keys] {name}: no such action (`?` in the TUI lists them)")
            })?;
            if keys.is_empty() {
                return Err(format!("[keys] {name}: give at least one key"));
            }
            let parsed = keys
                .iter()
                .map(|k| Key::parse(k).map_err(|e| format!("[keys] {name}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            map.keys.insert(action, parsed);
        }
        Ok(map)
    }

    pub fn keys(&self, action: Action) -> &[Key] {
        self.keys.get(&action).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The first key of an action, for hints (`"j"`).
    pub fn hint(&self, action: Action) -> String {
        self.keys(action)
            .first()
            .map(|k| k.to_string())
            .unwrap_or_default()
    }

    /// Which of `candidates` the key triggers (the first, in the order given).
    pub fn resolve(&self, event: &KeyEvent, candidates: &[Action]) -> Option<Action> {
        let key = Key::from_event(event);
        candidates
            .iter()
            .copied()
            .find(|a| self.keys(*a).contains(&key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn resolves_among_candidates_only() {
        let map = Keymap::default();
        let j = event(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(
            map.resolve(&j, &[Action::Up, Action::Down]),
            Some(Action::Down)
        );
        assert_eq!(map.resolve(&j, &[Action::Up]), None);
        let big_g = event(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(
            map.resolve(&big_g, &[Action::Top, Action::Bottom]),
            Some(Action::Bottom)
        );
        let ctrl_d = event(KeyCode::Char('d'), KeyModifiers::CONTROL);
        assert_eq!(
            map.resolve(&ctrl_d, &[Action::Delete, Action::PageDown]),
            Some(Action::PageDown)
        );
    }

    #[test]
    fn overrides_replace_an_actions_keys_and_bad_ones_are_named() {
        let mut o = BTreeMap::new();
        o.insert(
            "quit".to_string(),
            vec!["x".to_string(), "ctrl-q".to_string()],
        );
        let map = Keymap::with_overrides(&o).unwrap();
        let q = event(KeyCode::Char('q'), KeyModifiers::NONE);
        let x = event(KeyCode::Char('x'), KeyModifiers::NONE);
        assert_eq!(map.resolve(&q, &[Action::Quit]), None);
        assert_eq!(map.resolve(&x, &[Action::Quit]), Some(Action::Quit));
        assert_eq!(map.hint(Action::Quit), "x");

        o.insert("launch".to_string(), vec!["l".to_string()]);
        let err = Keymap::with_overrides(&o).unwrap_err();
        assert!(err.contains("launch"), "{err}");
        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), vec!["hyper-q".to_string()]);
        let err = Keymap::with_overrides(&o).unwrap_err();
        assert!(err.contains("quit") && err.contains("hyper-q"), "{err}");
    }
}
