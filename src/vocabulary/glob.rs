//! IAM-style patterns: `*` matches any run of characters, `?` any one.
//! Matching and overlap, for action names (case-insensitively, as IAM
//! compares them) and resource ARNs.

/// Whether `text` matches `pattern`.
#[must_use]
pub fn matches(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let p: Vec<char> = fold(pattern, ignore_case);
    let t: Vec<char> = fold(text, ignore_case);
    // classic two-pointer match with backtracking to the last `*`
    let (mut i, mut j) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        match p.get(i) {
            Some('*') => {
                star = Some((i, j));
                i += 1;
            }
            Some(&c) if c == '?' || Some(&c) == t.get(j) => {
                i += 1;
                j += 1;
            }
            _ => match star {
                Some((si, sj)) => {
                    i = si + 1;
                    j = sj + 1;
                    star = Some((si, sj + 1));
                }
                None => return false,
            },
        }
    }
    p.iter().skip(i).all(|&c| c == '*')
}

/// Whether some text matches both patterns.
#[must_use]
pub fn overlap(a: &str, b: &str, ignore_case: bool) -> bool {
    let a: Vec<char> = fold(a, ignore_case);
    let b: Vec<char> = fold(b, ignore_case);
    // reachable[i][j]: a[i..] and b[j..] can still match a common text
    let (n, m) = (a.len(), b.len());
    let mut memo = vec![vec![None; m + 1]; n + 1];
    meet(&a, &b, 0, 0, &mut memo)
}

fn meet(a: &[char], b: &[char], i: usize, j: usize, memo: &mut [Vec<Option<bool>>]) -> bool {
    if let Some(Some(known)) = memo.get(i).and_then(|row| row.get(j)) {
        return *known;
    }
    let result = match (a.get(i), b.get(j)) {
        (None, None) => true,
        (Some('*'), _) => meet(a, b, i + 1, j, memo) || (j < b.len() && meet(a, b, i, j + 1, memo)),
        (_, Some('*')) => meet(a, b, i, j + 1, memo) || (i < a.len() && meet(a, b, i + 1, j, memo)),
        (Some(&x), Some(&y)) => (x == '?' || y == '?' || x == y) && meet(a, b, i + 1, j + 1, memo),
        _ => false,
    };
    if let Some(slot) = memo.get_mut(i).and_then(|row| row.get_mut(j)) {
        *slot = Some(result);
    }
    result
}

fn fold(s: &str, ignore_case: bool) -> Vec<char> {
    if ignore_case {
        s.chars().flat_map(char::to_lowercase).collect()
    } else {
        s.chars().collect()
    }
}

/// Whether a pattern holds a wildcard.
#[must_use]
pub fn is_pattern(s: &str) -> bool {
    s.contains(['*', '?'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_like_iam() {
        assert!(matches("s3:Get*", "s3:GetObject", true));
        assert!(matches("S3:get*", "s3:GetObject", true));
        assert!(!matches("s3:Get*", "s3:PutObject", true));
        assert!(matches("*", "anything", false));
        assert!(matches("a?c", "abc", false));
        assert!(matches(
            "arn:aws:s3:::bucket/*",
            "arn:aws:s3:::bucket/a/b",
            false
        ));
        assert!(!matches(
            "arn:aws:s3:::bucket/*",
            "arn:aws:s3:::other/a",
            false
        ));
        assert!(matches("*a*b", "xxaxxb", false));
        assert!(!matches("*a*b", "xxaxxbc", false));
    }

    #[test]
    fn overlap_is_a_common_match() {
        assert!(overlap("arn:aws:s3:::a/*", "arn:aws:s3:::a/x", false));
        assert!(overlap("arn:aws:s3:::a/*", "arn:aws:s3:::*", false));
        assert!(overlap("*", "anything", false));
        assert!(!overlap("arn:aws:s3:::a/*", "arn:aws:s3:::b/*", false));
        assert!(overlap("s3:Get*", "s3:*Object", true));
        assert!(!overlap("s3:Get*", "s3:Put*", true));
        assert!(overlap("a*c", "ab*", false));
        assert!(!overlap("a?", "abc", false));
    }
}
