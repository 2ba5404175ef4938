//! Query strings checked the way n8n's OpenAPI validator checks them: unknown
//! parameters are refused, empty values are refused, `true`/`false` and numbers
//! are coerced, and `limit` is capped at 250.

use super::cursor::{self, Cursor};
use super::error::ApiError;

/// The default page size of every n8n list.
pub const DEFAULT_LIMIT: i64 = 100;
/// The largest page n8n serves; more is a 400.
pub const MAX_LIMIT: i64 = 250;

/// Parameters n8n declares with `allowReserved` (all other values must be URL-encoded).
const ALLOW_RESERVED: &[&str] = &["tags", "name", "projectId"];
/// What the validator calls reserved characters in a raw query value.
const RESERVED: &[char] = &[
    ':', '/', '?', '#', '[', ']', '@', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=',
];

/// The `name=value` pairs of one request, decoded and as sent, in order.
#[derive(Clone, Debug, Default)]
pub struct Query {
    pub pairs: Vec<(String, String)>,
    /// Undecoded pairs, the value cut at a second `=` (as the validator reads them).
    raw: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string (`a=1&b=x%20y`); malformed escapes are kept as text.
    pub fn parse(raw: Option<&str>) -> Self {
        let parts = || raw.unwrap_or_default().split('&').filter(|p| !p.is_empty());
        let pairs = parts()
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(name), percent_decode(value))
            })
            .collect();
        let raw = parts()
            .filter_map(|pair| {
                let mut pieces = pair.split('=');
                let name = pieces.next()?;
                Some((name.to_owned(), pieces.next()?.to_owned()))
            })
            .collect();
        Query { pairs, raw }
    }

    /// For tests: a query of decoded pairs.
    #[cfg(test)]
    pub fn of(pairs: &[(&str, &str)]) -> Self {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        Query {
            raw: pairs.clone(),
            pairs,
        }
    }

    /// Checks the parameters in n8n's order: reserved characters in values that
    /// must be URL-encoded, then parameters outside `allowed`, then empty values.
    pub fn check(&self, allowed: &[&str]) -> Result<(), ApiError> {
        for (name, value) in &self.raw {
            if allowed.contains(&name.as_str())
                && !ALLOW_RESERVED.contains(&name.as_str())
                && value.contains(RESERVED)
            {
                return Err(ApiError::bad_request(format!(
                    "Parameter '{name}' must be url encoded. Its value may not contain reserved characters."
                )));
            }
        }
        for (name, _) in &self.pairs {
            if !allowed.contains(&name.as_str()) {
                return Err(ApiError::bad_request(format!(
                    "Unknown query parameter '{name}'"
                )));
            }
        }
        for (name, value) in &self.pairs {
            if value.is_empty() {
                return Err(ApiError::bad_request(format!(
                    "Empty value found for query parameter '{name}'"
                )));
            }
        }
        Ok(())
    }

    /// The single value of `name`; a repeated parameter is an array, which no
    /// parameter here accepts.
    fn single(&self, name: &str, kind: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self
            .pairs
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(type_error(name, kind));
        }
        Ok(first)
    }

    pub fn string(&self, name: &str) -> Result<Option<&str>, ApiError> {
        self.single(name, "string")
    }

    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.single(name, "boolean")? {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(type_error(name, "boolean")),
        }
    }

    /// `limit` as n8n reads it: a number, at most 250. A fractional one passes the
    /// validator and then fails in the database, which is what n8n answers too.
    pub fn limit(&self) -> Result<Option<i64>, ApiError> {
        let Some(raw) = self.single("limit", "number")? else {
            return Ok(None);
        };
        let number: f64 = raw
            .trim()
            .parse()
            .map_err(|_| type_error("limit", "number"))?;
        if !number.is_finite() {
            return Err(type_error("limit", "number"));
        }
        if number > MAX_LIMIT as f64 {
            return Err(ApiError::bad_request("request/query/limit must be <= 250"));
        }
        if number.fract() != 0.0 {
            return Err(ApiError::bad_request("SQLITE_MISMATCH: datatype mismatch"));
        }
        Ok(Some(number as i64))
    }

    /// The decoded `cursor`, if any.
    pub fn cursor(&self) -> Result<Option<Cursor>, ApiError> {
        match self.single("cursor", "string")? {
            None => Ok(None),
            Some(raw) => cursor::decode(raw)
                .map(Some)
                .map_err(|e| ApiError::bad_request(e.to_string())),
        }
    }

    /// A value from a fixed set (`status` of executions).
    pub fn one_of(&self, name: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
        match self.single(name, "string")? {
            None => Ok(None),
            Some(v) if allowed.contains(&v) => Ok(Some(v.to_owned())),
            Some(_) => Err(ApiError::bad_request(format!(
                "request/query/{name} must be equal to one of the allowed values: {}",
                allowed.join(", ")
            ))),
        }
    }
}

/// Decodes `+` and `%XX` escapes of a query component.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn type_error(name: &str, kind: &str) -> ApiError {
    ApiError::bad_request(format!("request/query/{name} must be {kind}"))
}

/// Offset and page size of an offset-paged list, from `limit` and `cursor` (a
/// cursor's own limit wins, as in n8n).
pub fn offset_page(query: &Query) -> Result<(i64, i64), ApiError> {
    let limit = query.limit()?;
    Ok(match query.cursor()? {
        Some(Cursor::Offset { offset, limit: l }) => (offset, l.or(limit).unwrap_or(DEFAULT_LIMIT)),
        Some(Cursor::LastId { limit: l, .. }) => (0, l.or(limit).unwrap_or(DEFAULT_LIMIT)),
        None => (0, limit.unwrap_or(DEFAULT_LIMIT)),
    })
}

/// Slices `total` items by n8n's offset rules and returns the index range and the
/// next cursor. A limit of 0 or less means "no limit" to the database, while the
/// next cursor is still computed from it, as n8n does.
pub fn offset_slice(
    total: usize,
    offset: i64,
    limit: i64,
) -> (std::ops::Range<usize>, Option<String>) {
    let start = usize::try_from(offset.max(0))
        .unwrap_or(usize::MAX)
        .min(total);
    let end = if limit <= 0 {
        total
    } else {
        start
            .saturating_add(usize::try_from(limit).unwrap_or(usize::MAX))
            .min(total)
    };
    let next = ((total as i64) > offset.saturating_add(limit))
        .then(|| cursor::encode_offset(limit, offset.saturating_add(limit)));
    (start..end, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Query {
        Query::of(pairs)
    }

    #[test]
    fn unknown_and_empty_parameters_are_refused() {
        let e = q(&[("foo", "1")]).check(&["limit"]).unwrap_err();
        assert_eq!(e.message, "Unknown query parameter 'foo'");
        let e = q(&[("limit", "")]).check(&["limit"]).unwrap_err();
        assert_eq!(e.message, "Empty value found for query parameter 'limit'");
    }

    #[test]
    fn limit_rules() {
        assert_eq!(q(&[]).limit().unwrap(), None);
        assert_eq!(q(&[("limit", "250")]).limit().unwrap(), Some(250));
        assert_eq!(
            q(&[("limit", "251")]).limit().unwrap_err().message,
            "request/query/limit must be <= 250"
        );
        assert_eq!(
            q(&[("limit", "x")]).limit().unwrap_err().message,
            "request/query/limit must be number"
        );
        assert_eq!(
            q(&[("limit", "1"), ("limit", "2")])
                .limit()
                .unwrap_err()
                .message,
            "request/query/limit must be number"
        );
    }

    #[test]
    fn parses_query_strings() {
        let parsed = Query::parse(Some("tags=a%2Cb&name=My+Flow&x=%zz&empty=&flag"));
        let expect = [
            ("tags", "a,b"),
            ("name", "My Flow"),
            ("x", "%zz"),
            ("empty", ""),
            ("flag", ""),
        ];
        assert_eq!(
            parsed.pairs,
            expect.map(|(a, b)| (a.to_string(), b.to_string()))
        );
        assert!(Query::parse(None).pairs.is_empty());
        assert_eq!(Query::parse(Some("a=%4")).pairs[0].1, "%4");
    }

    #[test]
    fn reserved_characters_must_be_encoded() {
        // Answers of a real n8n 1.123.0.
        let msg = |q: &str| {
            Query::parse(Some(q))
                .check(&["cursor", "limit", "name"])
                .err()
                .map(|e| e.message)
        };
        let reserved = Some("Parameter 'cursor' must be url encoded. Its value may not contain reserved characters.".to_string());
        assert_eq!(
            msg("cursor=@@&foo=1"),
            reserved,
            "before unknown parameters"
        );
        assert_eq!(msg("cursor=a+b"), reserved);
        assert_eq!(msg("cursor=a,b"), reserved);
        assert_eq!(msg("cursor=a%2Bb"), None);
        assert_eq!(
            msg("cursor=eyJsaW1pdCI6MSwib2Zmc2V0IjoxfQ=="),
            None,
            "padding is cut off"
        );
        assert_eq!(msg("name=a@b"), None, "name allows reserved characters");
        assert!(msg("limit=1,2").is_some_and(|m| m.starts_with("Parameter 'limit'")));
    }

    #[test]
    fn booleans() {
        assert_eq!(
            q(&[("active", "true")]).boolean("active").unwrap(),
            Some(true)
        );
        assert_eq!(
            q(&[("active", "1")]).boolean("active").unwrap_err().message,
            "request/query/active must be boolean"
        );
    }

    #[test]
    fn slices_like_n8n() {
        let (r, next) = offset_slice(5, 0, 2);
        assert_eq!((r, next.is_some()), (0..2, true));
        let (r, next) = offset_slice(5, 4, 2);
        assert_eq!((r, next), (4..5, None));
        let (r, next) = offset_slice(4, 2, 2);
        assert_eq!((r, next), (2..4, None));
    }
}
