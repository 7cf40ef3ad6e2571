//! What code hosts accept as an owner in `CODEOWNERS`: `@user`,
//! `@org/team`, or an email address.

/// A user or organisation name: letters, digits, `-`, `_` and `.`,
/// starting with a letter or digit.
fn is_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Whether `h` is an owner a code host accepts in `CODEOWNERS`, and
/// nothing that could add a rule of its own (a space, a `#`, a newline).
#[must_use]
pub fn is_handle(h: &str) -> bool {
    if let Some(rest) = h.strip_prefix('@') {
        return match rest.split_once('/') {
            Some((org, team)) => is_name(org) && is_name(team),
            None => is_name(rest),
        };
    }
    let Some((local, domain)) = h.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-'))
        && domain.contains('.')
        && is_name(domain)
        && !domain.ends_with('.')
}

#[cfg(test)]
mod tests {
    use super::is_handle;

    #[test]
    fn handles_code_hosts_accept() {
        for ok in [
            "@ada",
            "@example/platform-team",
            "@my_org/team.a",
            "team@example.com",
        ] {
            assert!(is_handle(ok), "{ok}");
        }
        for bad in [
            "@example/team a",
            "@example/team\n* @evil",
            "@x#y",
            "@@x",
            "@",
            "@org/",
            "@a/b/c",
            "example/team",
            "a@b@c.com",
            "team@localhost",
            "",
        ] {
            assert!(!is_handle(bad), "{bad:?}");
        }
    }
}
