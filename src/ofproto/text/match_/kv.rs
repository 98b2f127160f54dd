//! Splitting flow text into `key=value` pairs exactly as OVS's `ofputil_parse_key_value`
//! (`lib/ofp-parse.c`) does: pairs are separated by commas or white space; a key ends at `:`,
//! `=`, `(`, a comma or white space; after `:`/`=` the value runs to the next comma or white
//! space outside parentheses, after `(` it runs to the matching `)` (and on through `->x` for
//! `load(...)->dst`-style values).

/// An iterator over the `(key, value)` pairs of flow text. A bare word yields an empty value.
#[derive(Clone, Debug)]
pub struct KeyValues<'a> {
    rest: &'a str,
}

impl<'a> KeyValues<'a> {
    /// Iterates the pairs of `s`.
    pub fn new(s: &'a str) -> Self {
        KeyValues { rest: s }
    }
}

const SEPARATORS: &[u8] = b", \t\r\n";

/// Length of the value at the start of `s` up to one of `delims` (or the end), skipping over
/// balanced parentheses (`parse_value`).
fn value_len(s: &[u8], delims: &[u8]) -> usize {
    let mut n = 0;
    while n < s.len() && !delims.contains(&s[n]) {
        if s[n] == b'(' {
            let mut level = 0i32;
            loop {
                match s.get(n) {
                    None => return n,
                    Some(b'(') => level += 1,
                    Some(b')') => level -= 1,
                    _ => {}
                }
                n += 1;
                if level <= 0 {
                    break;
                }
            }
        } else {
            n += 1;
        }
    }
    n
}

impl<'a> Iterator for KeyValues<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        let s = self
            .rest
            .trim_start_matches(|c: char| c.is_ascii() && SEPARATORS.contains(&(c as u8)));
        if s.is_empty() {
            self.rest = s;
            return None;
        }
        let bytes = s.as_bytes();
        let key_len = bytes
            .iter()
            .position(|b| b":=(, \t\r\n".contains(b))
            .unwrap_or(bytes.len());
        let key = &s[..key_len];
        let delim = bytes.get(key_len).copied();
        let after = if delim.is_some() {
            key_len + 1
        } else {
            key_len
        };
        let rest = &s[after..];
        let delims: &[u8] = match delim {
            Some(b':') | Some(b'=') => SEPARATORS,
            Some(b'(') => b")",
            _ => {
                self.rest = rest;
                return Some((key, ""));
            }
        };
        let rb = rest.as_bytes();
        let mut len = value_len(rb, delims);
        if delim == Some(b'(') && rb.get(len) == Some(&b')') && rb[len..].starts_with(b")->") {
            len += value_len(&rb[len..], SEPARATORS);
        }
        let value = &rest[..len];
        let consumed = if len < rest.len() { len + 1 } else { len };
        self.rest = &rest[consumed..];
        Some((key, value))
    }
}

/// Splits flow text at the actions, as `ofp_extract_actions` does: everything before the first
/// `action` substring is the match part; the actions are what follows the next `=`.
/// Returns `(match part, Some(actions))`, or `(whole, None)` when there is no `action`, and
/// `Err(())` when `action` is not followed by `=`.
#[allow(clippy::result_unit_err)]
pub fn split_actions(s: &str) -> Result<(&str, Option<&str>), ()> {
    match s.find("action") {
        None => Ok((s, None)),
        Some(i) => {
            let after = &s[i + 1..];
            let eq = after.find('=').ok_or(())?;
            Ok((&s[..i], Some(&after[eq + 1..])))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(s: &str) -> Vec<(&str, &str)> {
        KeyValues::new(s).collect()
    }

    #[test]
    fn splits_like_ovs() {
        assert_eq!(
            pairs("priority=200, ip,nw_src=10.0.0.0/8 tcp_dst:80"),
            [
                ("priority", "200"),
                ("ip", ""),
                ("nw_src", "10.0.0.0/8"),
                ("tcp_dst", "80")
            ]
        );
        assert_eq!(
            pairs("resubmit(,10),ct(commit,nat(src=1.1.1.1)),output:1"),
            [
                ("resubmit", ",10"),
                ("ct", "commit,nat(src=1.1.1.1)"),
                ("output", "1")
            ]
        );
        assert_eq!(
            pairs("load(0x1->NXM_NX_REG0[])"),
            [("load", "0x1->NXM_NX_REG0[]")]
        );
        assert_eq!(pairs("  ,, "), []);
    }

    #[test]
    fn actions_split() {
        assert_eq!(
            split_actions("ip,actions=drop").unwrap(),
            ("ip,", Some("drop"))
        );
        assert_eq!(split_actions("ip").unwrap(), ("ip", None));
        assert!(split_actions("ip,actions").is_err());
    }
}
