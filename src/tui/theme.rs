//! Colours. Themes are TOML files in themes/ (built in: dark, light, high-contrast);
//! NO_COLOR turns colour off and leaves only bold, dim, reverse and underline.

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

/// Lists every style field once: file loading, checks and tests go through it.
macro_rules! styles {
    ($($field:ident),* $(,)?) => {
        impl Theme {
    /// The style of a risk level.
    pub fn risk(&self, risk: crate::domain::diff::Risk) -> ratatui::style::Style {
        use crate::domain::diff::Risk;
        match risk {
            Risk::Low => self.risk_low,
            Risk::Medium => self.risk_medium,
            Risk::High => self.risk_high,
        }
    }

            /// Every style's name, as written in theme files.
            pub const STYLES: &'static [&'static str] = &[$(stringify!($field)),*];

            fn style_mut(&mut self, name: &str) -> Option<&mut Style> {
                match name {
                    $(stringify!($field) => Some(&mut self.$field),)*
                    _ => None,
                }
            }

            /// Every style with its name.
            pub fn styles(&self) -> Vec<(&'static str, Style)> {
                vec![$((stringify!($field), self.$field)),*]
            }
        }
    };
}

styles!(
    base,
    muted,
    accent,
    border,
    border_focus,
    title,
    header,
    footer,
    key,
    selected,
    marked,
    ok,
    warn,
    error,
    info,
    class_development,
    class_staging,
    class_production,
    added,
    removed,
    changed,
    risk_low,
    risk_medium,
    risk_high,
    cell_same,
    cell_differs,
    cell_missing,
);

/// The themes that ship in the binary, by name.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error(
        "theme '{spec}' is neither a built-in theme ({}) nor a readable file: {source}",
        built_in_names()
    )]
    Read {
        spec: String,
        source: std::io::Error,
    },
    #[error("invalid theme file {file}: {message}")]
    Invalid { file: String, message: String },
}

fn built_in_names() -> String {
    BUILT_IN
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// NO_COLOR set to anything but the empty string (https://no-color.org).
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

impl Theme {
    /// The theme the config names: a built-in name or a path to a TOML file. With
    /// `no_color`, the monochrome theme whatever the config says.
    pub fn resolve(spec: &str, no_color: bool) -> Result<Theme, ThemeError> {
        if no_color {
            return Ok(Theme::monochrome());
        }
        if let Some((_, text)) = BUILT_IN.iter().find(|(name, _)| *name == spec) {
            return Theme::parse(text, &format!("themes/{spec}.toml"));
        }
        let text = std::fs::read_to_string(spec).map_err(|source| ThemeError::Read {
            spec: spec.to_owned(),
            source,
        })?;
        Theme::parse(&text, spec)
    }

    /// Parses a theme file: `name = "..."` and one inline table per style, each with
    /// optional `fg`, `bg` (a colour name, `#rrggbb` or a 0-255 index) and `modifiers`.
    /// Every style must be there, so a theme never silently borrows from another.
    pub fn parse(text: &str, file: &str) -> Result<Theme, ThemeError> {
        let invalid = |message: String| ThemeError::Invalid {
            file: file.to_owned(),
            message,
        };
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            invalid(e.message().to_owned() + &line_of(text, e.span()))
        })?;
        let mut theme = Theme::monochrome();
        theme.name = match table.get("name") {
            Some(toml::Value::String(name)) => name.clone(),
            Some(_) => return Err(invalid("`name` must be a string".into())),
            None => return Err(invalid("`name` is missing".into())),
        };
        for (key, value) in &table {
            if key == "name" {
                continue;
            }
            let slot = theme.style_mut(key).ok_or_else(|| {
                invalid(format!(
                    "unknown style `{key}` (styles: {})",
                    Theme::STYLES.join(", ")
                ))
            })?;
            *slot = parse_style(key, value).map_err(invalid)?;
        }
        if let Some(missing) = Theme::STYLES.iter().find(|s| !table.contains_key(**s)) {
            return Err(invalid(format!(
                "style `{missing}` is missing (write `{missing} = {{}}` for the terminal's own colours)"
            )));
        }
        Ok(theme)
    }

    /// No colour at all, for NO_COLOR: only bold, dim, reverse and underline.
    pub fn monochrome() -> Theme {
        let m = |modifier| Style::new().add_modifier(modifier);
        let none = Style::new();
        Theme {
            name: "monochrome".into(),
            base: none,
            muted: m(Modifier::DIM),
            accent: m(Modifier::BOLD),
            border: m(Modifier::DIM),
            border_focus: m(Modifier::BOLD),
            title: m(Modifier::BOLD),
            header: none,
            footer: none,
            key: m(Modifier::BOLD),
            selected: m(Modifier::REVERSED),
            marked: m(Modifier::BOLD | Modifier::UNDERLINED),
            ok: none,
            warn: m(Modifier::BOLD),
            error: m(Modifier::BOLD | Modifier::UNDERLINED),
            info: none,
            class_development: none,
            class_staging: m(Modifier::BOLD),
            class_production: m(Modifier::REVERSED | Modifier::BOLD),
            added: m(Modifier::BOLD),
            removed: m(Modifier::DIM),
            changed: m(Modifier::UNDERLINED),
            risk_low: none,
            risk_medium: m(Modifier::BOLD),
            risk_high: m(Modifier::BOLD | Modifier::REVERSED),
            cell_same: none,
            cell_differs: m(Modifier::BOLD),
            cell_missing: m(Modifier::DIM),
        }
    }
}

/// " (line N)" for a parse error's position, when known.
fn line_of(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    span.and_then(|s| text.get(..s.start))
        .map(|before| format!(" (line {})", before.lines().count().max(1)))
        .unwrap_or_default()
}

fn parse_style(key: &str, value: &toml::Value) -> Result<Style, String> {
    let toml::Value::Table(fields) = value else {
        return Err(format!(
            "`{key}` must be a table like {{ fg = \"cyan\", modifiers = [\"bold\"] }}"
        ));
    };
    let mut style = Style::new();
    for (field, value) in fields {
        match field.as_str() {
            "fg" => style = style.fg(parse_color(key, field, value)?),
            "bg" => style = style.bg(parse_color(key, field, value)?),
            "modifiers" => {
                let toml::Value::Array(items) = value else {
                    return Err(format!("`{key}.modifiers` must be a list of names"));
                };
                for item in items {
                    let name = item.as_str().unwrap_or_default();
                    let modifier = parse_modifier(name).ok_or_else(|| {
                        format!(
                            "`{key}.modifiers`: unknown modifier {item} (use bold, dim, italic, underlined, reversed, crossed_out, slow_blink, rapid_blink, hidden)"
                        )
                    })?;
                    style = style.add_modifier(modifier);
                }
            }
            other => {
                return Err(format!(
                    "`{key}.{other}`: unknown field (use fg, bg, modifiers)"
                ));
            }
        }
    }
    Ok(style)
}

fn parse_color(key: &str, field: &str, value: &toml::Value) -> Result<Color, String> {
    value
        .as_str()
        .and_then(|s| s.parse::<Color>().ok())
        .ok_or_else(|| {
            format!(
                "`{key}.{field}`: unknown colour {value} (use a name like \"dark-gray\", \"#rrggbb\" or \"0\" to \"255\")"
            )
        })
}

fn parse_modifier(name: &str) -> Option<Modifier> {
    Some(match name {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" | "underline" => Modifier::UNDERLINED,
        "reversed" | "reverse" => Modifier::REVERSED,
        "crossed_out" => Modifier::CROSSED_OUT,
        "slow_blink" => Modifier::SLOW_BLINK,
        "rapid_blink" => Modifier::RAPID_BLINK,
        "hidden" => Modifier::HIDDEN,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_themes_parse_and_the_dark_file_is_the_default() {
        for (name, text) in BUILT_IN {
            let theme = Theme::parse(text, name).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(&theme.name, name);
            assert_ne!(
                theme.class_production, theme.class_development,
                "{name}: production must stand out"
            );
        }
        assert_eq!(Theme::resolve("dark", false).unwrap(), Theme::default());
    }

    #[test]
    fn no_color_gives_a_theme_without_any_colour() {
        let theme = Theme::resolve("high-contrast", true).unwrap();
        for (name, style) in theme.styles() {
            assert_eq!(style.fg, None, "{name} has a foreground colour");
            assert_eq!(style.bg, None, "{name} has a background colour");
            let allowed =
                Modifier::BOLD | Modifier::DIM | Modifier::REVERSED | Modifier::UNDERLINED;
            assert!(allowed.contains(style.add_modifier), "{name}: {style:?}");
        }
        assert_ne!(theme.class_production, theme.class_development);
    }

    #[test]
    fn bad_theme_files_name_the_file_and_the_field() {
        let dark = BUILT_IN[0].1;
        let err = Theme::parse(&dark.replace("fg = \"cyan\"", "fg = \"cyna\""), "mine.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("mine.toml") && err.contains("accent.fg") && err.contains("cyna"),
            "{err}"
        );

        let err = Theme::parse(&format!("{dark}\nshiny = {{}}\n"), "mine.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown style `shiny`"), "{err}");

        let without_muted: String = dark
            .lines()
            .filter(|l| !l.starts_with("muted "))
            .collect::<Vec<_>>()
            .join("\n");
        let err = Theme::parse(&without_muted, "mine.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`muted` is missing"), "{err}");

        let err = Theme::parse(
            &dark.replace("modifiers = [\"bold\"]", "modifiers = [\"blod\"]"),
            "mine.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("modifiers") && err.contains("blod"), "{err}");

        let err = Theme::parse("name = \"x\"\nmuted = {", "broken.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("broken.toml") && err.contains("line 2"),
            "{err}"
        );

        let err = Theme::resolve("/nowhere/theme.toml", false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/nowhere/theme.toml") && err.contains("high-contrast"),
            "{err}"
        );
    }

    #[test]
    fn a_theme_file_on_disk_is_loaded_by_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.toml");
        std::fs::write(
            &path,
            BUILT_IN[1].1.replace("name = \"light\"", "name = \"mine\""),
        )
        .unwrap();
        let theme = Theme::resolve(path.to_str().unwrap(), false).unwrap();
        assert_eq!(theme.name, "mine");
    }
}
