//! Colours. Themes are TOML files in themes/ (built in: dark, light, high-contrast);
//! NO_COLOR turns colour off and leaves only bold, reverse and underline.

use ratatui::style::{Color, Modifier, Style};

/// Every style the panes use, by purpose.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    /// Text and background of panes.
    pub base: Style,
    pub muted: Style,
    pub accent: Style,
    pub border: Style,
    pub border_focus: Style,
    pub title: Style,
    pub header: Style,
    pub footer: Style,
    /// A key in hints and help.
    pub key: Style,
    /// The cursor row.
    pub selected: Style,
    /// Rows marked for a bulk action.
    pub marked: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub info: Style,
    pub class_development: Style,
    pub class_staging: Style,
    /// Production must be unmistakable.
    pub class_production: Style,
    pub added: Style,
    pub removed: Style,
    pub changed: Style,
    pub risk_low: Style,
    pub risk_medium: Style,
    pub risk_high: Style,
    /// Matrix cells.
    pub cell_same: Style,
    pub cell_differs: Style,
    pub cell_missing: Style,
}

impl Theme {
    pub fn class(&self, class: crate::domain::environment::EnvClass) -> Style {
        use crate::domain::environment::EnvClass::*;
        match class {
            Development => self.class_development,
            Staging => self.class_staging,
            Production => self.class_production,
        }
    }
}

impl Default for Theme {
    /// The dark theme, as a fallback when no file is loaded.
    fn default() -> Self {
        let fg = |c| Style::new().fg(c);
        Theme {
            name: "dark".into(),
            base: Style::new(),
            muted: fg(Color::DarkGray),
            accent: fg(Color::Cyan),
            border: fg(Color::DarkGray),
            border_focus: fg(Color::Cyan),
            title: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            header: Style::new(),
            footer: fg(Color::Gray),
            key: fg(Color::Yellow).add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            marked: fg(Color::Magenta).add_modifier(Modifier::BOLD),
            ok: fg(Color::Green),
            warn: fg(Color::Yellow),
            error: fg(Color::Red),
            info: fg(Color::Blue),
            class_development: fg(Color::Green),
            class_staging: fg(Color::Yellow),
            class_production: Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            added: fg(Color::Green),
            removed: fg(Color::Red),
            changed: fg(Color::Yellow),
            risk_low: fg(Color::Green),
            risk_medium: fg(Color::Yellow),
            risk_high: fg(Color::Red).add_modifier(Modifier::BOLD),
            cell_same: fg(Color::Green),
            cell_differs: fg(Color::Yellow).add_modifier(Modifier::BOLD),
            cell_missing: fg(Color::DarkGray),
        }
    }
}
