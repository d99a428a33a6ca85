//! Secrets in URLs: [`redact_urls`] is the one function that takes the user name and password
//! out of every URL in a text (`http://user:pw@host:8000/metrics` →
//! `http://***@host:8000/metrics`; host, port, path and query stay). Everything that shows or
//! sends text uses it: source ids, source and event error messages, the headless commands'
//! output, `swarmglass:` errors, log lines and webhook payloads. Only the code that makes a
//! request keeps the real URL.

use std::borrow::Cow;

/// What the user name and password of a URL are replaced with.
pub const REDACTED: &str = "***";

/// `text` with the userinfo (`user:password@`) of every `scheme://…` URL in it replaced by
/// `***`. A bare URL is a text with one URL in it. Text without such a URL comes back borrowed.
///
/// A URL's authority is taken to end at `/`, `?`, `#`, or a character that a URL cannot hold
/// unescaped (white space, a control character, `"`, `<`, `>`, `` ` ``, `{`, `}`, `|`, `\`,
/// `^`), so a URL quoted in a message (`` `…` ``, `"…"`, `(…)` with a path) is found; its
/// userinfo is everything before the last `@` in the authority.
#[must_use]
pub fn redact_urls(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut copied = 0; // bytes of `text` already in `out`
    let mut from = 0; // where to look for the next "://"
    while let Some(found) = text[from..].find("://") {
        let start = from + found + 3;
        let end = text[start..]
            .find(ends_authority)
            .map_or(text.len(), |n| start + n);
        from = end.max(start);
        let Some(at) = text[start..end].rfind('@') else {
            continue;
        };
        if &text[start..start + at] == REDACTED {
            continue;
        }
        out.push_str(&text[copied..start]);
        out.push_str(REDACTED);
        copied = start + at;
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// True for the characters that end a URL's authority in running text.
fn ends_authority(c: char) -> bool {
    matches!(
        c,
        '/' | '?' | '#' | '"' | '<' | '>' | '`' | '{' | '}' | '|' | '\\' | '^'
    ) || c.is_whitespace()
        || c.is_control()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_replaced_and_the_rest_kept() {
        for (given, shown) in [
            (
                "http://user:secret@10.0.0.1:8000/metrics?x=1",
                "http://***@10.0.0.1:8000/metrics?x=1",
            ),
            ("ws://u:secret@h/ws/monitor", "ws://***@h/ws/monitor"),
            ("redis://:secret@h:6379/0", "redis://***@h:6379/0"),
            ("rediss://secret@h", "rediss://***@h"),
            ("https://TOKEN@[::1]:8443", "https://***@[::1]:8443"),
            // A password with an `@` in it: the host is after the last one.
            ("http://u:p@ss@h:1/", "http://***@h:1/"),
            // Nothing to hide.
            ("http://h:8000/metrics", "http://h:8000/metrics"),
            ("http://h/a@b", "http://h/a@b"),
            ("mailto:someone@example.com", "mailto:someone@example.com"),
            ("no url here", "no url here"),
            ("", ""),
        ] {
            assert_eq!(redact_urls(given), shown, "{given}");
        }
    }

    #[test]
    fn every_url_in_running_text_is_redacted() {
        let text = "cannot connect to http://a:secret@h1:1/metrics: error sending request for url (http://a:secret@h1:1/metrics); bad URL `ws://b:secret@h2` and \"redis://:secret@h3:6379\"\nws://c:secret@h4";
        let out = redact_urls(text);
        assert!(!out.contains("secret"), "{out}");
        assert_eq!(
            out,
            "cannot connect to http://***@h1:1/metrics: error sending request for url (http://***@h1:1/metrics); bad URL `ws://***@h2` and \"redis://***@h3:6379\"\nws://***@h4"
        );
    }

    #[test]
    fn redacting_twice_changes_nothing_and_clean_text_is_not_copied() {
        let once = redact_urls("http://u:p@h/x").into_owned();
        assert_eq!(redact_urls(&once), once);
        assert!(matches!(redact_urls(&once), Cow::Borrowed(_)));
        assert!(matches!(redact_urls("http://h/x"), Cow::Borrowed(_)));
    }

    #[test]
    fn odd_text_never_panics() {
        for text in [
            "://",
            "://@",
            "a://",
            "1://u:p@h",
            "é://u:p@h",
            "x://é:p@h/é",
            ":// http://",
            "http://@",
            "http://u:p@",
        ] {
            let _ = redact_urls(text);
        }
        assert_eq!(redact_urls("http://u:p@"), "http://***@");
        // Whatever stands before "://", what looks like userinfo goes: better too much than a leak.
        assert_eq!(redact_urls("1://u:p@h"), "1://***@h");
    }
}
