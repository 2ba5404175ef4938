//! The `/` filter: case-insensitive substring match, `!` in front inverts it.

/// A filter as typed after `/`. Empty matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// As typed, `!` included (the shell shows and remembers it).
    pub text: String,
    needle: String,
    pub invert: bool,
}

impl Filter {
    pub fn parse(text: &str) -> Filter {
        let trimmed = text.trim();
        let (invert, rest) = match trimmed.strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, trimmed),
        };
        Filter {
            text: trimmed.to_owned(),
            needle: rest.to_lowercase(),
            invert,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.needle.is_empty()
    }

    /// Whether a row whose searchable text is `haystack` passes.
    pub fn matches(&self, haystack: &str) -> bool {
        if self.needle.is_empty() {
            return true;
        }
        contains_ignore_case(haystack, &self.needle) != self.invert
    }

    /// Like `matches`, over several fields of one row.
    pub fn matches_any<'a>(&self, fields: impl IntoIterator<Item = &'a str>) -> bool {
        if self.needle.is_empty() {
            return true;
        }
        let hit = fields
            .into_iter()
            .any(|f| contains_ignore_case(f, &self.needle));
        hit != self.invert
    }
}

/// `needle` must already be lower case. Avoids allocating for ASCII haystacks.
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        let (h, n) = (haystack.as_bytes(), needle.as_bytes());
        if n.len() > h.len() {
            return false;
        }
        h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
    } else {
        haystack.to_lowercase().contains(needle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_case_insensitively_and_inverts_with_bang() {
        let f = Filter::parse("Slack");
        assert!(f.matches("post to slack"));
        assert!(!f.matches("email"));
        let f = Filter::parse("!slack");
        assert!(f.invert);
        assert!(!f.matches("Post to Slack"));
        assert!(f.matches("email"));
        assert!(Filter::parse("").matches("anything"));
        assert!(Filter::parse("!").matches("anything"));
        assert!(Filter::parse("über").matches("ÜBER alles"));
        assert!(Filter::parse("prod").matches_any(["x", "production"]));
    }
}
